"""Deleting the configs a machine carries on its own disks, when the kernel command line
asks for it (ignite.delete_local_config=1), at the end of a successful files stage: the
OEM partition's config.ign (label OEM) and the boot filesystem's ignition/ directory
(label boot, where coreos-installer puts the config). Each is mounted read-write just for
the removal. Off by default: the image's owner decides whether these copies may go."""
from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from ignite import distro
from ignite.errors import DeviceError, ProviderError
from ignite.system.mounts import Mounted

log = logging.getLogger("ignite.providers")
# (label's knob, default label, what to remove on it)
TARGETS = ((distro.OEM_LABEL_ENV, distro.OEM_LABEL, "config.ign"),
           (distro.BOOT_LABEL_ENV, distro.BOOT_LABEL, "ignition"))


def delete_local_configs() -> list[str]:
    """Removes what exists of TARGETS; returns what was removed ("LABEL:path")."""
    from ignite.providers.configdrive import by_label_dir

    removed = []
    for env, default, rel in TARGETS:
        label = os.environ.get(env) or default
        device = by_label_dir() / label
        if device.exists() and _remove_on(device, rel):
            removed.append(f"{label}:{rel}")
    return removed


def _remove_on(device: Path, rel: str) -> bool:
    try:
        with Mounted(str(device), "ignite-localcfg-", options=("rw",), attempts=distro.MEDIA_UMOUNT_ATTEMPTS) as mnt:
            target = Path(mnt) / rel
            try:
                if target.is_dir() and not target.is_symlink():
                    shutil.rmtree(target)
                else:
                    target.unlink()
            except FileNotFoundError:
                return False
            except OSError as exc:
                raise ProviderError("local config", f"cannot delete {rel} on {device}: {exc.strerror}") from None
            os.sync()
            log.info("deleted %s from %s", rel, device)
            return True
    except DeviceError as exc:  # a mount refused (MountError), or an unmount
        raise ProviderError("local config", f"cannot delete {rel}: {exc}") from None
