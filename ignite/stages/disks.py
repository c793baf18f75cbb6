"""The disks stage: the whole plan first (partitions, RAID, LUKS, filesystems: see
disks_plan), then partitions → RAID → LUKS → filesystems, each operation recorded.

Every disk's partition plan, and every filesystem on a device that exists or whose place
on a disk the plan fixes, is decided before any table is written: an invalid config
changes nothing on any disk. `ignite plan` runs the same planning and stops there."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ignite.log import get_logger
from ignite.stages.devices import Devices, created_devices

if TYPE_CHECKING:
    from collections.abc import Callable

    from ignite.config.model import Resource
    from ignite.resource import FetchSettings
    from ignite.stages import StageContext
    from ignite.stages.disks_plan import StoragePlan

log = get_logger("ignite.disks")


def run(ctx: StageContext) -> None:
    storage = ctx.config().storage
    if not (storage.disks or storage.raid or storage.filesystems or storage.luks):
        log.info("disks: nothing to do")
        return
    from ignite.report import ActionLog
    from ignite.stages.disks_plan import plan_storage

    devices = Devices(ctx.device_map, created=created_devices(storage))
    plan = plan_storage(storage, devices)
    keys = _luks_keys(plan, _key_fetcher(ctx))  # fetched before anything is written
    act(plan, devices, keys, ctx, ActionLog("disks").record)


def act(plan: StoragePlan, devices: Devices, keys: dict[str, tuple[bytes, bool]], ctx: StageContext,
        record: Callable[[str, str], None]) -> None:
    from ignite.stages import disks_filesystems, disks_luks, disks_partitions, disks_raid
    from ignite.stages.disks_plan import LATER, table_changes
    from ignite.system import sgdisk

    for disk in plan.disks:
        disks_partitions.apply_disk(disk)
        # recorded from the table as it now is: what happened, not what was meant to
        changed = disk.wipe_table or disk.touched
        after = sgdisk.read(disk.node).partitions if changed else disk.existing
        for action, target in table_changes(disk.device, disk.existing, after, disk.wipe_table):
            record(action, target)

    for step in plan.raid:
        disks_raid.apply_raid(disks_raid.plan_raid(step.raid, step.index, devices), devices)
        record("create raid", step.raid.name)

    for luks_step in plan.luks:
        vol = luks_step.volume
        key, generated = keys[vol.name]
        node = devices.resolve(vol.device or "", json_path=f"storage.luks.{luks_step.index}.device")
        luks_plan = disks_luks.LuksPlan(vol, luks_step.index, node, key, generated)
        done = disks_luks.apply_luks(luks_plan, ctx.state_file)
        record("format luks" if done == "format" else "open luks", vol.name)

    # Each device is probed again now that it exists: the decision is the one the plan made
    # when the device holds what the plan found (and the record shows it when it does not).
    fs_plans = [disks_filesystems.plan_filesystem(
        s.fs, s.index, devices.resolve(s.fs.device, json_path=f"storage.filesystems.{s.index}.device"))
        for s in plan.filesystems]
    for fs_plan, fs_step in zip(fs_plans, plan.filesystems, strict=True):
        if fs_step.action not in (LATER, fs_plan.action):
            log.warning("%s: the plan said %s, the device now says %s", fs_plan.fs.device, fs_step.action,
                        fs_plan.action)
    disks_filesystems.apply_filesystems(fs_plans)
    for fs_plan in fs_plans:
        if fs_plan.action == "format":
            record("make filesystem", fs_plan.fs.device)


def _luks_keys(plan: StoragePlan, fetch_key: Callable[[Resource], bytes]) -> dict[str, tuple[bytes, bool]]:
    """Each volume's key (fetched, or generated) and whether it was generated."""
    import secrets

    keys: dict[str, tuple[bytes, bool]] = {}
    for step in plan.luks:
        if step.volume.key_file.source:
            keys[step.volume.name] = (fetch_key(step.volume.key_file), False)
        else:
            keys[step.volume.name] = (secrets.token_hex(4096).encode(), True)
    return keys


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
