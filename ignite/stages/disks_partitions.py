"""Partitions on GPT disks: Ignition's decision table, planned whole for every disk
before any table is written.

Sizes are in the disk's logical sectors. A plan is computed against the current table
(or an empty one for `wipeTable`) with one `sgdisk --pretend` run; only when every
disk's plan is valid does anything get written, one sgdisk call per disk."""
from __future__ import annotations

import logging
import os
import stat
import time
from dataclasses import dataclass, field

from ignite.config.model import Disk, Partition
from ignite.errors import DeviceError
from ignite.stages.devices import partition_node
from ignite.system import mounts, partx, sgdisk, udev

log = logging.getLogger("ignite.disks")
MIB = 1024 * 1024


@dataclass(kw_only=True)
class Wanted:
    """A configured partition with its sizes in sectors (None = not given)."""

    index: int  # position in the config, for error paths
    number: int
    start: int | None
    size: int | None
    label: str | None
    type_guid: str | None
    guid: str | None
    should_exist: bool
    wipe_entry: bool
    resize: bool


@dataclass
class DiskPlan:
    device: str  # as the config names it
    node: str  # the resolved block device (or image file)
    index: int
    wipe_table: bool = False
    deletes: list[int] = field(default_factory=list)
    creates: list[Wanted] = field(default_factory=list)
    kept: list[int] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    # what the disk holds now, and the table the plan leaves {number: (start, size)}
    existing: dict[int, sgdisk.PartitionInfo] = field(default_factory=dict)
    sector_size: int = 512
    layout: dict[int, tuple[int, int]] = field(default_factory=dict)

    def ops(self) -> list[str]:
        ops = [f"--delete={n}" for n in self.deletes]
        for part in self.creates:
            ops.append(f"--new={part.number}:{part.start or 0}:+{part.size or 0}")
            if part.label is not None:
                ops.append(f"--change-name={part.number}:{part.label}")
            if part.type_guid:
                ops.append(f"--typecode={part.number}:{part.type_guid}")
            if part.guid:
                ops.append(f"--partition-guid={part.number}:{part.guid}")
        return ops

    @property
    def touched(self) -> set[int]:
        return set(self.deletes) | {p.number for p in self.creates}


def _sectors(mib: int | None, legacy_sectors: int | None, sector_size: int) -> int | None:
    if legacy_sectors is not None:
        return legacy_sectors * 512 // sector_size
    if mib is None:
        return None
    return mib * (MIB // sector_size)


def _wanted(index: int, part: Partition, sector_size: int) -> Wanted:
    return Wanted(
        index=index,
        number=part.number,
        start=_sectors(part.start_mib, part.start_sectors, sector_size),
        size=_sectors(part.size_mib, part.size_sectors, sector_size),
        label=part.label,
        type_guid=part.type_guid,
        guid=part.guid,
        should_exist=part.should_exist is not False,
        wipe_entry=part.wipe_partition_entry is True,
        resize=part.resize is True,
    )


def _mismatch(have: sgdisk.PartitionInfo, want: Wanted, with_size: bool = True) -> str | None:
    if want.start is not None and want.start != have.start:
        return f"starting sector did not match (specified {want.start}, got {have.start})"
    if with_size and want.size is not None and want.size != have.size:
        return f"size did not match (specified {want.size}, got {have.size})"
    if want.guid and want.guid.lower() != have.guid.lower():
        return f"GUID did not match (specified {want.guid!r}, got {have.guid!r})"
    if want.type_guid and want.type_guid.lower() != have.type_guid.lower():
        return f"type GUID did not match (specified {want.type_guid!r}, got {have.type_guid!r})"
    if want.label is not None and want.label != have.label:
        return f"label did not match (specified {want.label!r}, got {have.label!r})"
    return None


@dataclass(frozen=True)
class DiskFacts:
    """What the decision needs to know of a disk: the partitions it has now (none when the
    table is to be wiped) and where errors point."""

    device: str  # as the config names it
    node: str
    index: int  # in storage.disks, for error paths
    wipe_table: bool
    existing: dict[int, sgdisk.PartitionInfo]


def plan_disk(disk: Disk, index: int, node: str) -> DiskPlan:
    """Decides every partition of `disk`; raises DeviceError naming the first one that
    cannot be satisfied. Reads the disk, never writes it."""
    wipe_table = disk.wipe_table is True
    info = sgdisk.read(node)
    facts = DiskFacts(disk.device, node, index, wipe_table, {} if wipe_table else info.partitions)
    # number-0 entries last, keeping their order (a stable sort, as upstream)
    order = sorted(range(len(disk.partitions)), key=lambda i: disk.partitions[i].number == 0)
    wanted = [_wanted(i, disk.partitions[i], info.sector_size) for i in order]
    _assign_numbers(wanted, facts.existing)
    _resolve_dimensions(facts, wanted)
    plan = decide(facts, wanted)
    plan.existing, plan.sector_size = info.partitions, info.sector_size
    _check_not_in_use(plan, facts.existing)
    return plan


def decide(facts: DiskFacts, wanted: list[Wanted]) -> DiskPlan:
    """Ignition's decision table, a pure function: for each wanted partition (numbers
    assigned, dimensions resolved) against the disk's partitions, keep, create, delete,
    recreate or refuse. Raises DeviceError at the first partition that cannot be
    satisfied; touches nothing."""
    plan = DiskPlan(facts.device, facts.node, facts.index, wipe_table=facts.wipe_table)
    existing = facts.existing
    should = {w.number for w in wanted if w.should_exist}
    for want in wanted:
        where = ("storage", "disks", facts.index, "partitions", want.index)
        have = existing.get(want.number)
        if not want.should_exist and want.number in should:
            continue
        if have is None:
            if want.should_exist:
                plan.creates.append(want)
            continue
        if not want.should_exist:
            if not want.wipe_entry:
                raise DeviceError(facts.device, f"partition {want.number} exists but is specified as nonexistent "
                                  "and wipePartitionEntry is false", where)
            plan.deletes.append(want.number)
            continue
        reason = _mismatch(have, want)
        if reason is None:
            plan.kept.append(want.number)
            plan.messages.append(f"partition {want.number} found with correct specifications")
        elif want.wipe_entry:
            plan.deletes.append(want.number)
            plan.creates.append(want)
        elif want.resize and _mismatch(have, want, with_size=False) is None:
            plan.deletes.append(want.number)
            plan.creates.append(Wanted(index=want.index, number=have.number, start=have.start, size=want.size,
                                       label=have.label, type_guid=have.type_guid, guid=have.guid,
                                       should_exist=True, wipe_entry=False, resize=True))
        else:
            raise DeviceError(facts.device, f"partition {want.number} didn't match: {reason} "
                              "(set wipePartitionEntry to replace it, or resize to grow it)", where)
    return plan


def _assign_numbers(wanted: list[Wanted], existing: dict[int, sgdisk.PartitionInfo]) -> None:
    """number 0 → the lowest number neither kept on the disk nor configured, in order."""
    configured = {w.number for w in wanted if w.number}
    used = {n for n in existing if n not in configured} | {w.number for w in wanted if w.number and w.should_exist}
    for want in wanted:
        if want.number == 0:
            number = 1
            while number in used:
                number += 1
            want.number = number
            used.add(number)


def _resolve_dimensions(facts: DiskFacts, wanted: list[Wanted]) -> None:
    """Fills in where sgdisk would put each partition if all were (re)created: the
    pretend run, which also rejects overlaps and sizes beyond the disk."""
    existing = facts.existing
    ops = ["--clear"] if facts.wipe_table else []
    for want in wanted:
        have = existing.get(want.number)
        if have is not None:
            ops.append(f"--delete={want.number}")
            if not want.wipe_entry:
                want.start = have.start if want.start is None else want.start
                want.size = have.size if want.size is None else want.size
        if want.should_exist:
            ops.append(f"--new={want.number}:{want.start or 0}:+{want.size or 0}")
    inspect = [w.number for w in wanted if w.should_exist and (w.start == 0 or w.size == 0)]
    if not any(w.should_exist for w in wanted) and not existing:
        return
    try:
        dims = sgdisk.pretend(facts.node, ops, inspect)
    except DeviceError as exc:
        numbers = ", ".join(str(w.number) for w in wanted if w.should_exist)
        raise DeviceError(facts.device, f"partitions {numbers} cannot be created as configured: {exc.detail}",
                          ("storage", "disks", facts.index, "partitions")) from None
    for want in wanted:
        if want.number in dims:
            start, size = dims[want.number]
            if want.start is not None:
                want.start = start
            if want.size is not None:
                want.size = size


def _check_not_in_use(plan: DiskPlan, existing: dict[int, sgdisk.PartitionInfo]) -> None:
    if not os.path.exists(plan.node) or not _is_block(plan.node):
        return
    mounted = mounts.mounted_devnums()
    nodes = mounts.partition_nodes(plan.node)
    busy = {n for n, node in nodes.items() if mounts.in_use(node, mounted)}
    if not busy and mounts.in_use(plan.node, mounted) and (plan.touched or plan.wipe_table):
        raise DeviceError(plan.device, f"refusing to operate on directly active disk {plan.node}")
    if plan.wipe_table and busy:
        raise DeviceError(plan.device, f"refusing to wipe active disk: partitions {sorted(busy)} are in use")
    for number in sorted(plan.touched & busy):
        raise DeviceError(plan.device, f"refusing to modify active partition {number} on {plan.node}")


def _is_block(node: str) -> bool:
    return stat.S_ISBLK(os.stat(node).st_mode)


def apply_disk(plan: DiskPlan) -> None:
    """Writes the planned table in one sgdisk call, then tells the kernel."""
    if plan.wipe_table:
        log.info("wiping the partition table of %s", plan.device)
        sgdisk.zap(plan.node)
    ops = plan.ops()
    if ops:
        log.info("partitioning %s: %s", plan.device, " ".join(ops))
        sgdisk.commit(plan.node, ops)
    if (plan.wipe_table or ops) and _is_block(plan.node):
        partx.sync(plan.node)
        udev.settle(plan.node)
        verify_kernel(plan)


def verify_kernel(plan: DiskPlan, timeout: float | None = None) -> None:
    """Waits until deleted partitions are gone and every partition of the table has its
    node with the table's geometry, as upstream waits for each device after settling.

    Nodes may come and go meanwhile (udev's watch re-reading the table when sgdisk closes
    the disk, slow disks, multipath), so the kernel is re-synced with partx while waiting."""
    limit = udev.DEFAULT_TIMEOUT if timeout is None else timeout
    info = sgdisk.read(plan.node)
    scale = info.sector_size // 512
    wanted = {n: (p.start * scale, p.size * scale) for n, p in info.partitions.items()}
    gone = [n for n in plan.deletes if n not in info.partitions]
    deadline = time.monotonic() + limit
    delay, resyncs, announced = 0.01, 0, False
    while True:
        problem = _kernel_problem(plan, wanted, gone)
        if problem is None:
            return
        number, what = problem
        node = partition_node(plan.node, number)
        if time.monotonic() >= deadline:
            raise DeviceError(plan.device, f"partition {number} ({node}) {what} after waiting {limit:g} s "
                              f"for the kernel to match the table (re-synced with partx {resyncs} times)")
        if not announced:
            log.info("waiting up to %g s for partition %d (%s) of %s: %s", limit, number, node, plan.device, what)
            announced = True
        time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
        delay = min(delay * 2, 0.5)
        partx.sync(plan.node, info)
        resyncs += 1


def _kernel_problem(plan: DiskPlan, wanted: dict[int, tuple[int, int]], gone: list[int]) -> tuple[int, str] | None:
    """(number, what is wrong) for the first partition whose node differs from the table."""
    known = mounts.partition_nodes(plan.node)
    for number in gone:
        if number in known:
            return number, "still exists although it was deleted"
    for number, geometry in sorted(wanted.items()):
        node = known.get(number)
        if node is None:
            return number, "is unknown to the kernel"
        if not os.path.exists(node):
            return number, "has no device node"
        try:
            actual = mounts.kernel_geometry(node)
        except (OSError, ValueError):
            return number, "is unknown to the kernel"  # removed while we looked
        if actual != geometry:
            return number, f"has the kernel geometry {actual} instead of the table's {geometry} (512-byte sectors)"
    return None
