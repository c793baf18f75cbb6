"""The one runner for external commands: argv in, logged, stderr captured, typed errors out.

Never a shell. Tools are named by their logical name (see `tools.py`), so a distribution
can swap them in one place. subprocess rather than `sh`: at boot every stage is its own
process, and `sh` costs ~86 ms to import and ~9 ms a call against ~1 ms here.
"""
from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence

from ignite.errors import CommandError, ToolMissingError
from ignite.log import get_logger
from ignite.system.tools import tool

log = get_logger("ignite.run")  # not logging: its import costs every stage that runs a command ~6 ms


class Completed:
    """A finished command. A plain class: dataclasses (with inspect and ast) cost every
    stage that runs a command about 5 ms of start-up."""

    __slots__ = ("argv", "returncode", "stdout", "stderr")

    def __init__(self, argv: tuple[str, ...], returncode: int, stdout: str, stderr: str):
        self.argv = argv
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr

    def __repr__(self) -> str:
        return f"Completed(argv={self.argv!r}, returncode={self.returncode})"


def run(
    name: str,
    *args: str,
    input: str | bytes | None = None,
    check: bool = True,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    redact: Sequence[str] = (),
) -> Completed:
    """Runs tool `name` with `args`. Raises CommandError on a non-zero exit when `check`.

    `input` is never logged (it may be a key or a password hash); nor are the arguments
    listed in `redact` (a password hash on the command line), in logs and errors alike."""
    argv = [tool(name), *map(str, args)]
    shown = [("***" if a in redact else a) for a in argv] if redact else argv
    log.info("running %s", " ".join(shown))
    full_env = None
    if env is not None:
        full_env = {**os.environ, **env}
    data = input.encode() if isinstance(input, str) else input
    try:
        proc = subprocess.run(
            argv,
            input=data,
            stdin=None if data is not None else subprocess.DEVNULL,
            capture_output=True,
            env=full_env,
            timeout=timeout,
        )
    except FileNotFoundError:
        raise ToolMissingError(argv[0]) from None
    except subprocess.TimeoutExpired as exc:
        stderr = (exc.stderr or b"").decode(errors="replace")
        raise CommandError(shown, -1, f"timed out after {timeout} s. {stderr}") from None
    result = Completed(
        tuple(argv),
        proc.returncode,
        proc.stdout.decode(errors="replace"),
        proc.stderr.decode(errors="replace"),
    )
    if check and proc.returncode != 0:
        log.error("%s failed (exit %d): %s", argv[0], proc.returncode, result.stderr.strip())
        raise CommandError(shown, proc.returncode, result.stderr)
    return result


def available(name: str) -> bool:
    """Whether tool `name` can be found on PATH."""
    from shutil import which

    return which(tool(name)) is not None
