"""The disks stage's whole plan, made before anything is written: every disk's partitions
(the decision table in disks_partitions), the RAID arrays, the LUKS volumes and the
filesystems, each against what the devices hold now.

A filesystem on a partition the plan (re)creates is judged by what lies at that
partition's future place on the disk (a low-level probe at its offset): creating a
partition does not erase what was there, so a boot would find the same bytes. A
filesystem on an array or a LUKS mapping the stage itself makes can only be judged once
that device exists: its plan says so ("decided at boot") and the stage decides then.

`ignite plan` and the disks stage both call `plan_storage`; the stage then acts on the
plan, recording one action per operation `operations` lists, so the two cannot differ."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ignite.errors import DeviceError, IgniteError
from ignite.stages.devices import Devices, partition_node, split_partition
from ignite.system import blkid

if TYPE_CHECKING:
    from ignite.config.model import Filesystem, Luks, Raid, Storage
    from ignite.stages.disks_partitions import DiskPlan
    from ignite.system.sgdisk import PartitionInfo

LATER = "decided at boot"


@dataclass
class Placement:
    """Where a config device path lands: now, or once the plan's partitions exist."""

    node: str | None  # the node (predicted for a partition to be made), None when unknown
    disk: DiskPlan | None = None  # the disk plan the device is a partition of
    number: int | None = None
    made: bool = False  # (re)created by this plan: its bytes are probed at its new place
    later: bool = False  # an array or LUKS mapping made at boot, or not predictable

    def signature(self) -> blkid.Signature | None:
        if self.later or self.node is None:
            return None
        if self.made and self.disk is not None and self.number is not None:
            start, size = self.disk.layout[self.number]
            return blkid.probe(self.disk.node, offset=start * self.disk.sector_size,
                               size=size * self.disk.sector_size)
        return blkid.probe(self.node)


@dataclass
class LuksStep:
    volume: Luks
    index: int
    device: str
    action: str  # "format", "reuse" or LATER
    found: blkid.Signature | None = None


@dataclass
class RaidStep:
    raid: Raid
    index: int
    members: list[str]


@dataclass
class FsStep:
    fs: Filesystem
    index: int
    node: str | None
    action: str  # "format", "reuse" or LATER
    found: blkid.Signature | None = None


@dataclass
class StoragePlan:
    disks: list[DiskPlan] = field(default_factory=list)
    raid: list[RaidStep] = field(default_factory=list)
    luks: list[LuksStep] = field(default_factory=list)
    filesystems: list[FsStep] = field(default_factory=list)

    def operations(self) -> list[tuple[str, str]]:
        """(action, target) in the order the stage records them."""
        ops: list[tuple[str, str]] = []
        for disk in self.disks:
            ops += disk_operations(disk)
        ops += [("create raid", r.raid.name) for r in self.raid]
        for step in self.luks:
            if step.action == "format":
                ops.append(("format luks", step.volume.name))
            elif step.action == "reuse":
                ops.append(("open luks", step.volume.name))
        ops += [("make filesystem", f.fs.device) for f in self.filesystems if f.action == "format"]
        return ops


def partition_target(device: str, number: int) -> str:
    return f"{device} partition {number}"


LINUX_TYPE = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"  # what sgdisk gives a partition without a type


def disk_operations(plan: DiskPlan) -> list[tuple[str, str]]:
    """The partition table operations the plan predicts for one disk, as `table_changes`
    names them from the table before and after."""
    from ignite.system.sgdisk import PartitionInfo

    after = {}
    for number, (start, size) in plan.layout.items():
        made = next((p for p in plan.creates if p.number == number), None)
        if made is None:
            after[number] = plan.existing[number]
        else:
            # an unspecified GUID is a new random one: never the old one
            after[number] = PartitionInfo(number, start, size, (made.type_guid or LINUX_TYPE).upper(),
                                          (made.guid or "new").upper(), made.label or "")
    return table_changes(plan.device, plan.existing, after, plan.wipe_table)


def table_changes(device: str, before: dict[int, PartitionInfo], after: dict[int, PartitionInfo],
                  wiped: bool) -> list[tuple[str, str]]:
    """What happened to a disk's table, from the table before and after: the stage records
    these from the disk itself, the plan predicts them, and the tests compare the two.
    A partition whose start, type, GUID and label stay is resized when only its size
    changes; any other change is a recreation."""
    ops: list[tuple[str, str]] = [("wipe table", device)] if wiped else []
    for number in sorted(set(before) - set(after)):
        if not wiped:
            ops.append(("delete partition", partition_target(device, number)))
    for number in sorted(after):
        new, old = after[number], None if wiped else before.get(number)
        if old is None:
            verb = "create partition"
        elif old == new:
            continue
        elif (old.start, old.type_guid, old.guid, old.label) == (new.start, new.type_guid, new.guid, new.label):
            verb = "resize partition"
        else:
            verb = "recreate partition"
        ops.append((verb, partition_target(device, number)))
    return ops


def plan_storage(storage: Storage, devices: Devices, *, strict: bool = False) -> StoragePlan:
    """The whole plan; raises the error the boot would give, before anything is written.
    `strict` (ignite plan): a device that does not exist now is an error rather than
    something to wait for."""
    from ignite.stages import disks_filesystems, disks_partitions

    plan = StoragePlan()
    for i, disk in enumerate(storage.disks):
        node = devices.resolve(disk.device, json_path=f"storage.disks.{i}.device")
        disk_plan = disks_partitions.plan_disk(disk, i, node)
        disk_plan.layout = _layout(disk_plan)
        plan.disks.append(disk_plan)
    where = _Locator(plan.disks, devices, strict)
    for i, raid in enumerate(storage.raid):
        if not raid.devices:
            raise DeviceError(raid.name, "a RAID array needs member devices", f"storage.raid.{i}.devices")
        members = [where.locate(d, f"storage.raid.{i}.devices.{n}").node or d for n, d in enumerate(raid.devices)]
        plan.raid.append(RaidStep(raid, i, members))
    for i, volume in enumerate(storage.luks):
        plan.luks.append(_plan_luks(volume, i, where))
    for i, fs in disks_filesystems.wanted(storage.filesystems):
        plan.filesystems.append(_plan_fs(fs, i, where))
    return plan


def _layout(plan: DiskPlan) -> dict[int, tuple[int, int]]:
    """{number: (start, size)} of the table the plan leaves (a pretend run of its ops)."""
    from ignite.system import sgdisk

    final = {n: (p.start, p.size) for n, p in plan.existing.items() if n not in plan.deletes and not plan.wipe_table}
    numbers = [p.number for p in plan.creates]
    if not numbers:
        return final
    ops = (["--clear"] if plan.wipe_table else []) + plan.ops()
    final.update(sgdisk.pretend(plan.node, ops, numbers))
    return final


class _Locator:
    def __init__(self, disks: list[DiskPlan], devices: Devices, strict: bool) -> None:
        self.disks = disks
        self.devices = devices
        self.strict = strict

    def locate(self, path: str, json_path: str) -> Placement:
        if path in self.devices.created:
            return Placement(None, later=True)
        mapped = self.devices.mapped(path)
        for disk in self.disks:
            if mapped == disk.node:
                return Placement(disk.node, disk, None, made=False)
            for number in disk.layout:
                if mapped == partition_node(disk.node, number) or _names_partition(path, disk, number):
                    return self._partition(disk, number)
        try:
            node = self.devices.resolve(path, timeout=0)
        except IgniteError:
            if self.strict:
                raise DeviceError(path, "does not exist on this machine (the boot would wait for it, "
                                  "then fail)", json_path) from None
            return Placement(None, later=True)
        part = split_partition(node)
        if part is not None:
            for disk in self.disks:
                if os.path.realpath(disk.node) == part[0]:
                    return self._partition(disk, part[1])
        return Placement(node)

    def _partition(self, disk: DiskPlan, number: int) -> Placement:
        made = disk.wipe_table or number in disk.touched
        if number not in disk.layout:
            raise DeviceError(partition_target(disk.device, number), "the plan deletes this partition, "
                              "but the config uses it", f"storage.disks.{disk.index}")
        return Placement(partition_node(disk.node, number), disk, number, made=made)


def _names_partition(path: str, disk: DiskPlan, number: int) -> bool:
    """by-partlabel / by-partuuid links of the table the plan leaves."""
    kind, _, value = path.removeprefix("/dev/disk/").partition("/")
    if kind not in ("by-partlabel", "by-partuuid"):
        return False
    created = {p.number: p for p in disk.creates}
    if number in created:
        label, guid = created[number].label, created[number].guid
    elif number in disk.existing:
        label, guid = disk.existing[number].label, disk.existing[number].guid
    else:
        return False
    if kind == "by-partlabel":
        return label == value
    return guid is not None and guid.lower() == value.lower()


def _plan_fs(fs: Filesystem, index: int, where: _Locator) -> FsStep:
    from ignite.stages.disks_filesystems import decide_filesystem

    placement = where.locate(fs.device, f"storage.filesystems.{index}.device")
    found = placement.signature()
    if found is None:
        return FsStep(fs, index, placement.node, LATER)
    return FsStep(fs, index, placement.node, decide_filesystem(fs, index, found), found)


def _plan_luks(volume: Luks, index: int, where: _Locator) -> LuksStep:
    """Format or reuse, by what the device carries now; whether the key opens a volume to
    reuse is checked at boot (opening it would change this machine)."""
    at = f"storage.luks.{index}"
    if volume.cex.enabled:
        raise DeviceError(volume.name, "CEX (IBM Z secure keys) is not supported by ignite", f"{at}.cex")
    if not volume.device:
        raise DeviceError(volume.name, "a LUKS volume needs a device", f"{at}.device")
    placement = where.locate(volume.device, f"{at}.device")
    found = placement.signature()
    if volume.wipe_volume is True:
        return LuksStep(volume, index, volume.device, "format", found)
    if found is None:
        return LuksStep(volume, index, volume.device, LATER)
    if found.type == "crypto_LUKS":
        return LuksStep(volume, index, volume.device, "reuse", found)
    if found.type:
        raise DeviceError(volume.device, f"volume is not of the correct type (found {found.type}) "
                          "and wipeVolume is false", at)
    return LuksStep(volume, index, volume.device, "format", found)
