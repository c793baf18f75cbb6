"""partx: tells the kernel about partitions from user space (BLKPG)."""
from __future__ import annotations

import logging

from ignite.errors import CommandError
from ignite.system.run import run

log = logging.getLogger("ignite.partx")


def _partx(action: str, device: str, number: int | None) -> bool:
    args = [action] + (["--nr", str(number)] if number is not None else []) + [device]
    try:
        run("partx", *args)
    except CommandError as exc:
        # As upstream: the table on disk is what counts; the check after settling reports problems.
        log.warning("%s", exc)
        return False
    return True


def add(device: str, number: int | None = None) -> bool:
    return _partx("--add", device, number)


def delete(device: str, number: int | None = None) -> bool:
    return _partx("--delete", device, number)


def update(device: str, number: int | None = None) -> bool:
    return _partx("--update", device, number)
