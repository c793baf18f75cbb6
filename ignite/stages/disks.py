"""The disks stage: partitions → RAID → LUKS → filesystems, each phase planned before it acts.

Every disk's partition plan is computed and checked before any table is written, and
filesystems that already exist on devices the partitioning leaves alone are checked
then too: an invalid config changes nothing on any disk."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ignite.errors import IgniteError
from ignite.stages.disks_devices import Devices, created_devices, split_partition

if TYPE_CHECKING:
    from collections.abc import Callable

    from ignite.config.model import Resource, Storage
    from ignite.resource import FetchSettings
    from ignite.stages import StageContext
    from ignite.stages.disks_partitions import DiskPlan

log = logging.getLogger("ignite.disks")


def run(ctx: StageContext) -> None:
    storage = ctx.config().storage
    if not (storage.disks or storage.raid or storage.filesystems or storage.luks):
        log.info("disks: nothing to do")
        return
    from ignite.stages import disks_filesystems, disks_luks, disks_partitions, disks_raid

    devices = Devices(ctx.device_map, created=created_devices(storage))
    disk_plans = [disks_partitions.plan_disk(disk, i, devices.resolve(disk.device))
                  for i, disk in enumerate(storage.disks)]
    _precheck_filesystems(storage, disk_plans, devices)
    for plan in disk_plans:
        disks_partitions.apply_disk(plan)

    for i, raid in enumerate(storage.raid):
        disks_raid.apply_raid(disks_raid.plan_raid(raid, i, devices), devices)

    fetch_key = _key_fetcher(ctx)
    for i, volume in enumerate(storage.luks):
        disks_luks.apply_luks(disks_luks.plan_luks(volume, i, devices, fetch_key), ctx.state_file)

    fs_plans = [disks_filesystems.plan_filesystem(fs, i, devices.resolve(fs.device))
                for i, fs in disks_filesystems.wanted(storage.filesystems)]
    disks_filesystems.apply_filesystems(fs_plans)


def _key_fetcher(ctx: StageContext) -> Callable[[Resource], bytes]:
    """LUKS key files are fetched with the config's CAs, proxy and timeouts and the
    platform's credentials, as every resource (the settings are made on first use)."""
    made: list[FetchSettings] = []

    def fetch_key(resource: Resource) -> bytes:
        from ignite.providers import settings_for
        from ignite.resource import fetch_bytes
        from ignite.stages.cache import stage_platform

        if not made:
            made.append(settings_for(stage_platform(ctx), ctx.config()))
        return fetch_bytes(resource, made[0])

    return fetch_key


def _precheck_filesystems(storage: Storage, disk_plans: list[DiskPlan], devices: Devices) -> None:
    """Rejects, before any partition table is written, an existing filesystem that the
    filesystems phase would refuse, on a device the partitioning does not change."""
    from ignite.stages.disks_filesystems import plan_filesystem, wanted

    changed = {p.node: (p.touched, p.wipe_table) for p in disk_plans}
    for i, fs in wanted(storage.filesystems):
        try:
            node = devices.resolve(fs.device, timeout=0)
        except IgniteError:
            continue  # made later (a new partition, an array, a LUKS mapping)
        if node in changed:
            continue
        part = split_partition(node)
        if part and part[0] in changed:
            touched, wiped = changed[part[0]]
            if wiped or part[1] in touched:
                continue
        plan_filesystem(fs, i, node)
