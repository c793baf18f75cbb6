"""`ignite apply CONFIG --root DIR [--device-map CFGDEV=IMAGE_OR_DEV …]`: every stage in
one process, against a directory root and image files (image builds, `make demo`, tests).

Image files are attached to loop devices for the run and always detached; with a device
map, the config may use only mapped devices (a guard in stages/devices.Devices), so an
image build never touches the machine's own disks."""
from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ignite import devicemap, record
from ignite.errors import IgniteError

if TYPE_CHECKING:
    from ignite.config.model import Config
    from ignite.stages import StageContext

log = logging.getLogger("ignite.apply")
STAGES = ("disks", "mount", "files", "umount")


@dataclass
class ApplyResult:
    ran: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # stage → why
    loop_devices: dict[str, str] = field(default_factory=dict)  # config device → loop device used


def load(config_path: Path, fetch_timeout: float = 120.0) -> Config:
    """The config file, parsed and rendered as the fetch stage renders it: merge/replace
    references fetched and verified, CAs inlined, the result validated."""
    from ignite.config.parse import parse
    from ignite.config.render import render_user_config
    from ignite.resource import FetchSettings

    data = config_path.read_bytes()
    config = parse(data, source=str(config_path))
    record.config_source("user", str(config_path), data)
    return render_user_config(config, FetchSettings(http_total=fetch_timeout), [])


def apply(config_path: Path, root: Path, device_map: dict[str, str], *, devices: bool = True,
          state_dir: Path | None = None, before_files: Callable[[Path], None] | None = None) -> ApplyResult:
    """Runs disks, mount, files and umount against `root`. With `devices` False (or when a
    stage needs root and this is not root), the disks and mount stages are skipped and the
    result says why. `before_files(root)` runs after the mount stage, e.g. to unpack a base
    tree into the freshly made filesystems of an image build."""
    with tempfile.TemporaryDirectory(prefix="ignite-apply-", dir=state_dir) as tmp:
        record.open_for(Path(tmp) / "state", "fetch")  # the report names the config apply rendered
        config = load(Path(config_path))
        return _apply_stages(config, Path(tmp), Path(root), device_map, devices, before_files)


def _apply_stages(config: Config, state: Path, root: Path, device_map: dict[str, str], devices: bool,
                  before_files: Callable[[Path], None] | None) -> ApplyResult:
    from ignite.stages import StageContext, run_stage
    from ignite.stages.cache import save_config

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    result = ApplyResult()
    storage = config.storage
    needs_devices = bool(storage.disks or storage.raid or storage.luks or storage.filesystems)
    if needs_devices and not devices:
        result.skipped.update(disks="devices disabled", mount="devices disabled", umount="devices disabled")
    elif needs_devices and os.geteuid() != 0:
        why = "needs root (loop devices, mkfs, mount)"
        result.skipped.update(disks=why, mount=why, umount=why)
    if config.kernel_arguments.should_exist or config.kernel_arguments.should_not_exist:
        result.skipped["kargs"] = "kernel arguments cannot be applied to a directory root"

    attached: list[str] = []
    mounted = False
    ctx = StageContext(stage="disks", root=root, config_cache=state / "config.json",
                       state_file=state / "state", neednet_file=state / "neednet")
    try:
        if "disks" not in result.skipped:
            ctx.device_map = _attach(device_map, attached, result)
        ctx.set_config(config)
        save_config(ctx, config)
        for stage in STAGES:
            if stage in result.skipped:
                log.info("apply: skipping %s: %s", stage, result.skipped[stage])
                continue
            ctx.stage = stage
            if stage == "files" and before_files is not None:
                before_files(root)
            run_stage(ctx)
            mounted = stage == "mount" or (mounted and stage != "umount")
            result.ran.append(stage)
    finally:
        if mounted:
            _unmount_quietly(ctx)
        devicemap.detach(attached, "apply")
    return result


def _attach(device_map: dict[str, str], attached: list[str], result: ApplyResult) -> dict[str, str]:
    mapped = devicemap.attach(device_map, attached)
    result.loop_devices.update({cfgdev: node for cfgdev, node in mapped.items() if node in attached})
    return mapped


def _unmount_quietly(ctx: StageContext) -> None:
    from ignite.stages.umount import run as umount

    ctx.stage = "umount"
    try:
        umount(ctx)
    except IgniteError as exc:
        log.error("apply: cannot unmount after a failure: %s", exc)

