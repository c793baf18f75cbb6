"""Helpers of the disks tests: GPT type GUIDs, configs, a stage runner guarded to the
test's own loop devices."""
from __future__ import annotations

import copy
from pathlib import Path

from blockdev import LoopDevices
from ignite.config.codec import config_from_json
from ignite.stages import StageContext, run_stage
from plan_check import planned_then_run

GPT_LINUX = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
GPT_ESP = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
GPT_SWAP = "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F"


def config(storage: dict) -> dict:
    return {"ignition": {"version": "3.4.0"}, "storage": copy.deepcopy(storage)}


class Runner:
    def __init__(self, tmp_path: Path, loops: LoopDevices | None):
        self.root = tmp_path / "root"
        self.root.mkdir(exist_ok=True)
        self.state = tmp_path / "state"
        self.loops = loops

    def ctx(self, stage: str, cfg: dict, device_map: dict[str, str] | None = None) -> StageContext:
        ctx = StageContext(stage=stage, root=self.root, state_file=self.state,
                           config_cache=self.root.parent / "cache.json", device_map=device_map or {})
        ctx.set_config(config_from_json(cfg))
        return ctx

    def run(self, stage: str, cfg: dict, device_map: dict[str, str] | None = None) -> None:
        if self.loops is not None:
            self._guard(cfg, device_map or {})
        ctx = self.ctx(stage, cfg, device_map)
        planned_then_run(stage, ctx.config(), self.root, self.state, ctx.device_map, lambda: run_stage(ctx))

    def _guard(self, cfg: dict, device_map: dict[str, str]) -> None:
        """Every device the config names must be one of the test's loop devices."""
        storage = cfg.get("storage", {})
        names = [d["device"] for d in storage.get("disks", [])] + [f["device"] for f in storage.get("filesystems", [])]
        for name in names:
            target = device_map.get(name, name)
            if target.startswith("/dev/loop"):
                self.loops.guard(target) if Path(target).exists() else None
            elif not target.startswith("/dev/disk/by-") and not target.startswith("/dev/nonexistent"):
                raise AssertionError(f"test config names {name}, which is not a test loop device")
