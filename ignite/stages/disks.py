"""The disks stage: partitions → RAID → LUKS → filesystems, each phase planned before it acts.

Every disk's partition plan is computed and checked before any table is written, and
filesystems that already exist on devices the partitioning leaves alone are checked
then too: an invalid config changes nothing on any disk."""
from __future__ import annotations

from ignite.errors import IgniteError
from ignite.log import get_logger
from ignite.stages.disks_devices import Devices, split_partition

TYPE_CHECKING = False  # typing costs the mount stage, which imports this module, ~2 ms
if TYPE_CHECKING:
    from ignite.config.model import Storage
    from ignite.stages import StageContext
    from ignite.stages.disks_partitions import DiskPlan

log = get_logger("ignite.disks")


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

    for i, volume in enumerate(storage.luks):
        disks_luks.apply_luks(disks_luks.plan_luks(volume, i, devices), ctx.state_file)

    fs_plans = [disks_filesystems.plan_filesystem(fs, i, devices.resolve(fs.device))
                for i, fs in disks_filesystems.wanted(storage.filesystems)]
    disks_filesystems.apply_filesystems(fs_plans)


def created_devices(storage: Storage) -> tuple[str, ...]:
    """The device paths the config's RAID arrays and LUKS volumes make."""
    from ignite.system.mdadm import array_path

    return tuple([array_path(r.name) for r in storage.raid] + [f"/dev/mapper/{v.name}" for v in storage.luks]
                 + [f"/dev/disk/by-id/dm-name-{v.name}" for v in storage.luks])


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
