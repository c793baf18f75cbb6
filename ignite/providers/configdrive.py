"""Config drives and other local media: wait for a filesystem label, mount it read-only
for one read, unmount (with retries, as upstream)."""
from __future__ import annotations

import logging
import os
import posixpath
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ignite import distro
from ignite.errors import DeviceError, ProviderError
from ignite.system.mounts import Mounted

log = logging.getLogger("ignite.providers")
BY_LABEL_ENV = distro.BY_LABEL_ENV  # tests: a folder of symlinks to their loop devices


def by_label_dir() -> Path:
    return Path(os.environ.get(BY_LABEL_ENV, distro.BY_LABEL_DIR))


def wait_for_label(label: str, timeout: float | None, stop: threading.Event | None = None) -> Path | None:
    """/dev/disk/by-label/LABEL once it exists (polled each second); None on timeout or stop."""
    device = by_label_dir() / label
    end = None if timeout is None else time.monotonic() + timeout
    while True:
        if device.exists():
            return device
        now = time.monotonic()
        if (end is not None and now >= end) or (stop is not None and stop.is_set()):
            return None
        pause = 1.0 if end is None else min(1.0, end - now)
        if stop is not None:
            stop.wait(pause)
        else:
            time.sleep(pause)


def read_file(device: Path, path: str, platform: str, fstype: str = "auto") -> bytes | None:
    """The file at `path` on `device` (mounted read-only for the read); None when absent."""
    ((_, data),) = read_files(device, (path,), platform, fstype)
    if isinstance(data, OSError):
        raise ProviderError(platform, f"cannot read {path} on {device}: {data.strerror}")
    return data


def read_files(
    device: Path, paths: tuple[str, ...], platform: str, fstype: str = "auto"
) -> list[tuple[str, bytes | OSError | None]]:
    """Each of `paths` on `device`, in one read-only mount: its bytes, None when absent,
    or the OSError that reading it gave."""
    try:
        with Mounted(str(device), "ignite-drive-", fstype=fstype, attempts=distro.MEDIA_UMOUNT_ATTEMPTS) as mnt:
            found: list[tuple[str, bytes | OSError | None]] = []
            for path in paths:
                target = Path(mnt) / posixpath.normpath("/" + path).lstrip("/")
                try:
                    found.append((path, target.read_bytes()))
                except FileNotFoundError:
                    log.info("%s: no %s on %s", platform, path, device)
                    found.append((path, None))
                except OSError as exc:
                    found.append((path, exc))
            return found
    except DeviceError as exc:  # a mount refused (MountError), or an unmount
        raise ProviderError(platform, str(exc)) from None


def from_label(
    label: str, path: str, platform: str, timeout: float | None, stop: threading.Event | None = None
) -> bytes | None:
    device = wait_for_label(label, timeout, stop)
    if device is None:
        return None
    return read_file(device, path, platform)


Source = Callable[[threading.Event], "bytes | None"]


def race(platform: str, sources: list[Source], network: list[Source] | None = None) -> bytes | None:
    """The first source that returns without error wins (even with no data); the others are
    told to stop. If every source fails, the last error is raised.

    `network` sources (metadata services) run in daemon threads: a loser still retrying
    an address that never answers (the IPv6 link-local service where there is none) is
    abandoned when the stage ends, instead of holding the process until its deadline. The
    drive sources are waited for at exit, so that none is left mounted."""
    import queue

    stop = threading.Event()
    outcomes: queue.SimpleQueue[tuple[bool, bytes | None | BaseException]] = queue.SimpleQueue()

    def attempt(source: Source) -> None:
        try:
            outcomes.put((True, source(stop)))
        except BaseException as exc:  # noqa: BLE001 - handed to the racing thread, which raises the last one
            outcomes.put((False, exc))

    everyone = [(source, False) for source in sources] + [(source, True) for source in network or []]
    for source, daemon in everyone:
        threading.Thread(target=attempt, args=(source,), daemon=daemon, name=f"ignite-{platform}").start()
    error: BaseException | None = None
    try:
        for _ in everyone:
            ok, outcome = outcomes.get()
            if ok:
                return outcome  # type: ignore[return-value]
            assert isinstance(outcome, BaseException)
            error = outcome
            log.info("%s: one source failed: %s", platform, outcome)
        assert error is not None
        raise error
    finally:
        stop.set()
