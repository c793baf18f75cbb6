"""The boot stages. Each is its own process at boot (`ignite run --stage NAME`) and a
module here with `run(ctx: StageContext) -> None` that first plans, then acts.

Stages share data only through files (the config cache, the state file, the neednet
flag), as upstream does, so that each process imports only what its stage needs.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ignite.config.model import Config

STAGES = ("fetch-offline", "fetch", "kargs", "disks", "mount", "files", "umount")
_MODULES = {
    "fetch-offline": "fetch",
    "fetch": "fetch",
    "kargs": "kargs",
    "disks": "disks",
    "mount": "mount",
    "files": "files",
    "umount": "umount",
}


@dataclass
class StageContext:
    """Where a stage reads and writes. Defaults are the initramfs ones."""

    stage: str
    root: Path = Path("/sysroot")
    platform: str | None = None
    config_cache: Path = Path("/run/ignition.json")
    state_file: Path = Path("/run/ignition/state")
    neednet_file: Path = Path("/run/ignition/neednet")
    cmdline_file: Path = Path("/proc/cmdline")
    config_file: Path | None = None
    fetch_timeout: float = 120.0
    # `ignite apply`: the config's device paths mapped to image files or loop devices.
    device_map: dict[str, str] = field(default_factory=dict)
    _config: Config | None = field(default=None, repr=False)

    def config(self) -> Config:
        """The rendered config the fetch stages cached, read once, never re-validated."""
        if self._config is None:
            from ignite.stages.cache import load_config

            self._config = load_config(self)
        return self._config

    def set_config(self, config: Config) -> None:
        self._config = config


def run_stage(ctx: StageContext) -> None:
    """Runs one stage; its module is imported only now."""
    if ctx.stage not in _MODULES:
        from ignite.errors import UsageError

        raise UsageError(f"unknown stage {ctx.stage!r}; stages are: {', '.join(STAGES)}")
    module = importlib.import_module(f"ignite.stages.{_MODULES[ctx.stage]}")
    module.run(ctx)
