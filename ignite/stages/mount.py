"""The mount stage: every filesystem with a path, mounted under the root, parents first.

A failure unmounts what this run mounted, so the stage leaves no half state."""
from __future__ import annotations

import json
import os
import stat

from ignite.errors import DeviceError, IgniteError, NodeError
from ignite.log import get_logger

TYPE_CHECKING = False  # typing and logging cost this stage's start-up ~8 ms
if TYPE_CHECKING:
    from ignite.config.model import Filesystem
    from ignite.stages import StageContext

log = get_logger("ignite.mount")
UNMOUNTABLE = ("", "swap", "none")


def mountable(filesystems: tuple[Filesystem, ...]) -> list[Filesystem]:
    """Filesystems with a path and a mountable format, shallowest path first (stable)."""
    chosen = [fs for fs in filesystems if fs.path and (fs.format or "") not in UNMOUNTABLE]
    return sorted(chosen, key=lambda fs: len([c for c in fs.path.split("/") if c]))


def target_of(root: os.PathLike[str], path: str) -> str:
    """`root` + `path`, a plain join (the mount stage follows no symlinks)."""
    return os.path.join(os.fspath(root), *[c for c in path.split("/") if c])


def run(ctx: StageContext) -> None:
    filesystems = mountable(ctx.config().storage.filesystems)
    if not filesystems:
        return
    from ignite.stages.disks_devices import Devices
    from ignite.system import mounts

    from ignite.stages.disks import created_devices

    devices = Devices(ctx.device_map, created=created_devices(ctx.config().storage))
    done: list[str] = []
    created: list[str] = []
    try:
        for fs in filesystems:
            target = target_of(ctx.root, fs.path or "/")
            created += _make_dirs(ctx.root, fs.path or "/")
            device = devices.resolve(fs.device) if ctx.device_map else fs.device
            log.info("mounting %s (%s) on %s", fs.device, fs.format, target)
            mounts.mount(device, target, fs.format or "", fs.mount_options)
            done.append(target)
    except (IgniteError, OSError) as exc:
        for target in reversed(done):
            try:
                mounts.umount(target)
            except IgniteError as undo:
                log.error("cannot unmount %s after a failed mount: %s", target, undo)
        if isinstance(exc, DeviceError | NodeError):
            raise
        raise DeviceError(fs.device, f"cannot mount on {fs.path}: {exc}") from None
    finally:
        if created:
            _notate(ctx, created)


def _make_dirs(root: os.PathLike[str], path: str) -> list[str]:
    """Creates the missing components of `path` below `root` (0755), refusing any existing
    component that is not a real directory. Returns the root-relative dirs it made."""
    made = []
    current = os.fspath(root)
    rel = ""
    for part in [c for c in path.split("/") if c]:
        current = os.path.join(current, part)
        rel = f"{rel}/{part}"
        try:
            st = os.lstat(current)
        except FileNotFoundError:
            os.mkdir(current, 0o755)
            os.chmod(current, 0o755)
            made.append(rel)
            continue
        if not stat.S_ISDIR(st.st_mode):
            raise NodeError(path, f"mount path contains non-directory component {rel!r}")
    return made


def _notate(ctx: StageContext, dirs: list[str]) -> None:
    """Records the directories the stage created in the state file (notatedDirectories)."""
    path = ctx.state_file
    try:
        state = json.loads(path.read_text())
    except FileNotFoundError:
        state = {}
    state["notatedDirectories"] = (state.get("notatedDirectories") or []) + dirs
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(state))
    os.replace(tmp, path)
