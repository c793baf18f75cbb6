"""The umount stage: unmounts what the mount stage mounted, deepest first."""
from __future__ import annotations

from ignite.errors import IgniteError
from ignite.log import get_logger

TYPE_CHECKING = False  # typing and logging cost this stage's start-up ~8 ms
if TYPE_CHECKING:
    from ignite.stages import StageContext

log = get_logger("ignite.umount")


def run(ctx: StageContext) -> None:
    from ignite.stages.mount import mountable

    filesystems = mountable(ctx.config().storage.filesystems)
    if not filesystems:
        return
    from ignite.root import Root
    from ignite.system import mounts

    root = Root(ctx.root)
    failures: list[IgniteError] = []
    for fs in reversed(filesystems):
        target = root.resolve(fs.path or "/")
        log.info("unmounting %s", target)
        try:
            mounts.umount(target)
        except IgniteError as exc:
            failures.append(exc)
    if failures:
        raise failures[0]
