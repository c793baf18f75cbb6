"""RAID arrays with mdadm, as upstream: created every time (no reuse check)."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from ignite.config.model import Raid
from ignite.errors import DeviceError
from ignite.stages.devices import Devices
from ignite.system import mdadm

log = logging.getLogger("ignite.disks")


@dataclass(frozen=True)
class RaidPlan:
    raid: Raid
    index: int
    members: tuple[str, ...]

    def argv(self) -> list[str]:
        r = self.raid
        return mdadm.create_argv(r.name, r.level or "", self.members, r.spares or 0, r.options)


def plan_raid(raid: Raid, index: int, devices: Devices) -> RaidPlan:
    if not raid.devices:
        raise DeviceError(raid.name, "a RAID array needs member devices", f"storage.raid.{index}.devices")
    members = tuple(devices.resolve(d, json_path=f"storage.raid.{index}.devices.{n}")
                    for n, d in enumerate(raid.devices))
    return RaidPlan(raid, index, members)


def apply_raid(plan: RaidPlan, devices: Devices) -> None:
    from ignite.system.run import run

    log.info("creating RAID array %s", plan.raid.name)
    run("mdadm", *plan.argv())
    devices.resolve(mdadm.array_path(plan.raid.name))
