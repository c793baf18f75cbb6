"""partx: tells the kernel about partitions from user space (BLKPG)."""
from __future__ import annotations

import logging

from ignite.errors import CommandError
from ignite.system import mounts, sgdisk
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


def sync(disk: str, info: sgdisk.DiskInfo | None = None) -> None:
    """Makes the kernel's partitions of `disk` those of its table (`info`, read with sgdisk
    when not given): user-space parsing, so this also works where the kernel has no
    partition parser. Used by the disks stage after writing a table and by --device-map
    for the partitions an image already holds."""
    info = sgdisk.read(disk) if info is None else info
    table = info.partitions
    known = mounts.partition_nodes(disk)
    scale = info.sector_size // 512
    for number in sorted(set(known) - set(table)):
        delete(disk, number)
    for number, part in sorted(table.items()):
        if number not in known:
            add(disk, number)
            continue
        try:
            geometry = mounts.kernel_geometry(known[number])
        except (OSError, ValueError):
            continue  # removed meanwhile: the next sync adds it
        if geometry != (part.start * scale, part.size * scale):
            update(disk, number)
