"""The kargs stage: hand `kernelArguments` to the distribution's helper, as upstream does.

The helper (`ignite-kargs-helper`, see dracut/30ignite) receives every should-exist
argument in config order, then every should-not-exist one, each as one argv element even
if it contains spaces. It persists them in the bootloader config and reboots when they
changed; ignite itself never edits a bootloader.
"""
from __future__ import annotations

# Not typing (nor logging, nor shlex): each costs the stage's start-up. The annotations'
# modules are imported for real: the stage has loaded both before it gets here.
from ignite.config.model import KernelArguments
from ignite.errors import CommandError, StageError, ToolMissingError
from ignite.log import get_logger
from ignite.stages import StageContext
from ignite.system import run as system_run

log = get_logger("ignite.kargs")


def helper_args(kargs: KernelArguments) -> list[str]:
    args: list[str] = []
    for arg in kargs.should_exist:
        args += ["--should-exist", arg]
    for arg in kargs.should_not_exist:
        args += ["--should-not-exist", arg]
    return args


def run(ctx: StageContext) -> None:
    args = helper_args(ctx.config().kernel_arguments)
    if not args:
        log.info("kargs: no kernelArguments in the config, nothing to do")
        return
    try:
        _run_helper(args)
    except (CommandError, ToolMissingError) as exc:
        raise StageError(
            "kargs",
            RuntimeError(f"applying kernelArguments ($.kernelArguments) failed: {exc}"),
        ) from None


def _run_helper(args: list[str]) -> None:
    log.info("kargs: running the kernel-arguments helper with %s", system_run.shell_join(args))
    done = system_run.run("kargs-helper", *args)
    for line in done.stdout.splitlines():
        log.info("kargs helper: %s", line)
