"""Waiting for device nodes, settling udev, device facts.

pyudev is imported only by `facts`, which the stages call only when udev runs."""
from __future__ import annotations

import os
import time
from pathlib import Path

from ignite import distro
from ignite.errors import DeviceError
from ignite.system.run import run

DEFAULT_TIMEOUT = float(os.environ.get(distro.DEVICE_TIMEOUT_ENV, "90"))
_CONTROL = Path(distro.UDEV_CONTROL)


def running() -> bool:
    """Whether a udevd this process can talk to is running."""
    return _CONTROL.exists()


def settle(device: str | None = None) -> None:
    """`udevadm trigger --settle DEV` as upstream (a bare settle without a device)."""
    if not running():
        return
    if device:
        run("udevadm", "trigger", "--settle", device)
    else:
        run("udevadm", "settle")


def wait_for(path: str, timeout: float | None = None, what: str = "device") -> str:
    """Waits until `path` exists and resolves to a block device; returns the resolved node."""
    from ignite.progress import Waiting

    limit = DEFAULT_TIMEOUT if timeout is None else timeout
    deadline = time.monotonic() + limit
    waiting = Waiting(path, limit)
    delay = 0.01
    while True:
        real = os.path.realpath(path)
        if os.path.exists(real):
            return real
        if time.monotonic() >= deadline:
            raise DeviceError(path, f"{what} did not appear within {limit:g} s")
        waiting.tick()
        time.sleep(delay)
        delay = min(delay * 2, 0.25)


def facts(node: str) -> dict[str, str]:
    """udev's properties of a device node (ID_FS_TYPE, ID_PART_ENTRY_NAME, …)."""
    import pyudev

    device = pyudev.Devices.from_device_file(pyudev.Context(), node)
    return dict(device.properties)
