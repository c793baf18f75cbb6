"""`--device-map CFGDEV=IMAGE_OR_DEV` for `ignite apply` and `ignite plan`: the config's
device paths mapped to loop devices over image files, or to block devices as they are."""
from __future__ import annotations

import logging
import os
import stat

from ignite.errors import IgniteError, UsageError

log = logging.getLogger("ignite.devicemap")


def attach(device_map: dict[str, str], attached: list[str], *, read_only: bool = False) -> dict[str, str]:
    """CFGDEV → device node. Image files are attached to loop devices (appended to
    `attached` as they are, so that the caller detaches them whatever happens next), and
    the partitions their tables hold are made known to the kernel (partx tells the kernel;
    nothing is written to the image)."""
    from ignite.system import loop, partx

    mapped = {}
    for cfgdev, target in device_map.items():
        try:
            mode = os.stat(target).st_mode
        except FileNotFoundError:
            raise UsageError(f"--device-map {cfgdev}={target}: {target} does not exist") from None
        if stat.S_ISREG(mode):
            node = loop.attach(target, read_only=read_only)
            attached.append(node)
            partx.sync(node)  # an image may already hold partitions
        elif stat.S_ISBLK(mode):
            node = target
        else:
            raise UsageError(f"--device-map {cfgdev}={target}: neither an image file nor a block device")
        mapped[cfgdev] = node
    return mapped


def detach(attached: list[str], command: str) -> None:
    """Undoes `attach`, last first. A loop device that will not go is logged, naming it, and
    the others are still detached: the caller's own outcome (or error) is what matters."""
    from ignite.system import loop, partx

    for node in reversed(attached):
        partx.delete(node)
        try:
            loop.detach(node)
        except IgniteError as exc:
            log.error("%s: cannot detach %s (losetup -d %s): %s", command, node, node, exc)
