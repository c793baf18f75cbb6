"""The mount stage: every filesystem with a path, mounted under the root, parents first.

A failure unmounts what this run mounted, so the stage leaves no half state."""
from __future__ import annotations

import os
import stat

from ignite.errors import DeviceError, IgniteError, NodeError
from ignite.log import get_logger
from ignite.stages import state

TYPE_CHECKING = False  # typing and logging cost this stage's start-up ~8 ms
if TYPE_CHECKING:
    from ignite.config.model import Filesystem
    from ignite.stages import StageContext

log = get_logger("ignite.mount")
UNMOUNTABLE = ("", "swap", "none")


def mountable(filesystems: tuple[Filesystem, ...]) -> list[Filesystem]:
    """Filesystems with a path and a mountable format, shallowest path first (stable)."""
    chosen = [fs for fs in filesystems if fs.path and (fs.format or "") not in UNMOUNTABLE]
    return sorted(chosen, key=lambda fs: len([c for c in (fs.path or "").split("/") if c]))


def target_of(root: str | os.PathLike[str], path: str) -> str:
    """`root` + `path`, a plain join (the mount stage follows no symlinks)."""
    return os.path.join(os.fspath(root), *[c for c in path.split("/") if c])


class MountStep:
    """One mount the stage makes: the filesystem, where, and the mount point directories
    it creates first (root-relative); `at`: the filesystem's JSON path in the config."""

    __slots__ = ("fs", "path", "target", "new_dirs", "at")

    def __init__(self, fs: Filesystem, path: str, target: str, new_dirs: list[str], at: str = "") -> None:
        self.fs, self.path, self.target, self.new_dirs, self.at = fs, path, target, new_dirs, at

    def operations(self) -> list[tuple[str, str]]:
        return [("create directory", d) for d in self.new_dirs] + [("mount", self.path)]


def plan_mounts(filesystems: tuple[Filesystem, ...], root: str | os.PathLike[str]) -> list[MountStep]:
    """What the stage would mount where, and which directories it makes; NodeError for a
    mount path through a non-directory. Below an earlier mount, what exists now is not
    what the stage will see: those directories count as made."""
    steps: list[MountStep] = []
    index = {id(fs): i for i, fs in enumerate(filesystems)}
    for fs in mountable(filesystems):
        path = fs.path or "/"
        at = f"storage.filesystems.{index[id(fs)]}"
        over = [s.path for s in steps if _under(path, s.path)]
        hidden = max(over, key=len) if over else None
        steps.append(MountStep(fs, path, target_of(root, path), _dirs_to_make(root, path, hidden, at), at))
    return steps


def _under(path: str, mount: str) -> bool:
    path, mount = "/" + path.strip("/"), "/" + mount.strip("/")
    return path != mount and (mount == "/" or path.startswith(mount + "/"))


def run(ctx: StageContext) -> None:
    steps = plan_mounts(ctx.config().storage.filesystems, ctx.root)
    if not steps:
        return
    from ignite.report import ActionLog
    from ignite.system import mounts

    record = ActionLog("mount").record
    devices = None
    if ctx.device_map:  # `ignite apply`: the config's devices are mapped (at boot they are used as named)
        from ignite.stages.devices import Devices, created_devices

        devices = Devices(ctx.device_map, created=created_devices(ctx.config().storage))
    done: list[str] = []
    created: list[str] = []
    try:
        for step in steps:
            fs = step.fs
            made = _make_dirs(ctx.root, step.path, step.at)
            created += made
            for rel in made:
                record("create directory", rel)
            device = devices.resolve(fs.device) if devices is not None else fs.device
            log.info("mounting %s (%s) on %s", fs.device, fs.format, step.target)
            mounts.mount(device, step.target, fs.format or "", fs.mount_options)
            done.append(step.target)
            record("mount", step.path)
    except (IgniteError, OSError) as exc:
        for target in reversed(done):
            try:
                mounts.umount(target)
            except IgniteError as undo:
                log.error("cannot unmount %s after a failed mount: %s", target, undo)
        if isinstance(exc, DeviceError | NodeError):
            if exc.json_path:
                raise
            raise type(exc)(exc.subject, exc.detail, step.at) from None
        raise DeviceError(fs.device, f"cannot mount on {fs.path}: {exc}", step.at) from None
    finally:
        if created:
            _notate(ctx, created)


def _dirs_to_make(root: str | os.PathLike[str], path: str, hidden: str | None = None, at: str = "") -> list[str]:
    """The root-relative directories `_make_dirs` would create, changing nothing. Below
    `hidden` (an earlier mount) the mounted filesystem's tree is not known here: counted
    as absent (true of a new filesystem)."""
    made = []
    current = os.fspath(root)
    rel = ""
    missing = False
    for part in [c for c in path.split("/") if c]:
        current = os.path.join(current, part)
        rel = f"{rel}/{part}"
        if missing or (hidden is not None and _under(rel, hidden)):
            made.append(rel)
            continue
        try:
            st = os.lstat(current)
        except (FileNotFoundError, NotADirectoryError):
            missing = True
            made.append(rel)
            continue
        if not stat.S_ISDIR(st.st_mode):
            raise NodeError(path, f"mount path contains non-directory component {rel!r}", at and f"{at}.path")
    return made


def _make_dirs(root: str | os.PathLike[str], path: str, at: str = "") -> list[str]:
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
            raise NodeError(path, f"mount path contains non-directory component {rel!r}", at and f"{at}.path")
    return made


def _notate(ctx: StageContext, dirs: list[str]) -> None:
    """Records the directories the stage created in the state file (notatedDirectories)."""
    current = state.read(ctx.state_file)
    current["notatedDirectories"] = (current.get("notatedDirectories") or []) + dirs
    state.write(ctx.state_file, current)  # 0600: it may hold persisted LUKS keys
