"""sgdisk: read a GPT, pretend a batch of operations, commit it in one call.

sgdisk sleeps a second after every write, so a disk's changes go in one invocation.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ignite.errors import CommandError, DeviceError
from ignite.system.run import run

_SECTOR_SIZE = re.compile(r"^Sector size \(logical(?:/physical)?\): (\d+)", re.M)
_ROW = re.compile(r"^\s+(\d+)\s+\d+\s+\d+\s", re.M)
_FIRST = re.compile(r"^First sector: (\d+) \(.*\)$")
_LAST = re.compile(r"^Last sector: (\d+) \(.*\)$")


@dataclass(frozen=True, slots=True)
class PartitionInfo:
    number: int
    start: int  # logical sectors
    size: int
    type_guid: str  # upper case
    guid: str
    label: str


@dataclass(frozen=True, slots=True)
class DiskInfo:
    sector_size: int
    partitions: dict[int, PartitionInfo]


def read(device: str) -> DiskInfo:
    """The current table (empty when the disk has none). Reads only, never writes."""
    listing = run("sgdisk", "--print", device).stdout
    match = _SECTOR_SIZE.search(listing)
    if not match or int(match.group(1)) % 512:
        raise DeviceError(device, f"cannot read the logical sector size from sgdisk: {listing.strip()[:200]}")
    numbers = [int(n) for n in _ROW.findall(listing)]
    if not numbers:
        return DiskInfo(int(match.group(1)), {})
    details = run("sgdisk", *[f"--info={n}" for n in numbers], device).stdout
    return DiskInfo(int(match.group(1)), dict(zip(numbers, _parse_infos(device, details, numbers), strict=True)))


def _parse_infos(device: str, text: str, numbers: list[int]) -> list[PartitionInfo]:
    blocks: list[dict[str, str]] = []
    for line in text.splitlines():
        key, sep, value = line.partition(": ")
        if not sep:
            continue
        if key == "Partition GUID code":
            blocks.append({})
        if blocks:
            blocks[-1][key] = value
    if len(blocks) != len(numbers):
        raise DeviceError(device, f"sgdisk had unexpected output for partitions {numbers}")
    infos = []
    for number, block in zip(numbers, blocks, strict=True):
        first = int(block["First sector"].split()[0])
        last = int(block["Last sector"].split()[0])
        name = block.get("Partition name", "''")
        infos.append(PartitionInfo(
            number=number,
            start=first,
            size=last - first + 1,
            type_guid=block["Partition GUID code"].split()[0].upper(),
            guid=block["Partition unique GUID"].split()[0].upper(),
            label=name[1:-1] if name.startswith("'") and name.endswith("'") else name,
        ))
    return infos


def pretend(device: str, ops: list[str], info: list[int]) -> dict[int, tuple[int, int]]:
    """Runs `ops` with --pretend and returns {number: (start, size)} for each of `info`.

    Raises DeviceError with sgdisk's own words when the operations cannot be satisfied
    (overlap, beyond the end of the disk)."""
    try:
        out = run("sgdisk", "--pretend", *ops, *[f"--info={n}" for n in info], device).stdout
    except CommandError as exc:
        raise DeviceError(device, f"the partitions cannot be laid out: {_why(exc)}") from None
    return parse_pretend(device, out, info)


def _why(exc: CommandError) -> str:
    lines = [ln for ln in exc.stderr.splitlines() if ln.strip() and "not saving changes" not in ln]
    return "; ".join(lines) or str(exc)


def parse_pretend(device: str, out: str, numbers: list[int]) -> dict[int, tuple[int, int]]:
    """The First/Last sector pairs of the --info blocks, in order, one per number."""
    pairs: list[tuple[int, int]] = []
    start: int | None = None
    for line in out.splitlines():
        if m := _FIRST.match(line):
            if start is not None:
                raise DeviceError(device, "sgdisk had unexpected output")
            start = int(m.group(1))
        elif m := _LAST.match(line):
            if start is None:
                raise DeviceError(device, "sgdisk had unexpected output")
            pairs.append((start, int(m.group(1)) - start + 1))
            start = None
    if start is not None or len(pairs) != len(numbers):
        raise DeviceError(device, "sgdisk had unexpected output")
    return dict(zip(numbers, pairs, strict=True))


def commit(device: str, ops: list[str]) -> None:
    if ops:
        run("sgdisk", *ops, device)


def zap(device: str) -> None:
    """--zap-all; a corrupted table makes the first run exit 2, so it runs once more then."""
    try:
        run("sgdisk", "--zap-all", device)
    except CommandError:
        run("sgdisk", "--zap-all", device)
