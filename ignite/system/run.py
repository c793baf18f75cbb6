"""The one runner for external commands: argv in, logged, stderr captured, typed errors out.

Never a shell. Tools are named by their logical name (see `tools.py`), so a distribution
can swap them in one place. subprocess rather than `sh`: at boot every stage is its own
process, and `sh` costs ~86 ms to import and ~9 ms a call against ~1 ms here.
"""
from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence

from ignite.errors import CommandError, ToolMissingError, how_it_ended
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
    log.info("running %s", shlex.join(shown))
    full_env = None
    if env is not None:
        full_env = {**os.environ, **env}
    data = input.encode() if isinstance(input, str) else input
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE if data is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=full_env,
        )
    except FileNotFoundError:
        raise ToolMissingError(argv[0]) from None
    stdout, stderr = _communicate(proc, data, timeout, shown)
    result = Completed(tuple(argv), proc.returncode, stdout.decode(errors="replace"), stderr.decode(errors="replace"))
    if check and proc.returncode != 0:
        log.error("%s %s: %s", argv[0], how_it_ended(proc.returncode), result.stderr.strip())
        raise CommandError(shown, proc.returncode, result.stderr)
    return result


def _communicate(proc: subprocess.Popen[bytes], data: bytes | None, timeout: float | None,
                 shown: list[str]) -> tuple[bytes, bytes]:
    """The command's output; a command that runs long (mkfs of a large disk, a LUKS format,
    an mdadm create) is named on the console every few seconds, and one past `timeout` is
    killed."""
    from ignite import progress

    started = time.monotonic()
    first = True
    while True:
        elapsed = time.monotonic() - started
        wait = progress.FIRST_AFTER if first else progress.PROGRESS_INTERVAL
        if timeout is not None:
            wait = min(wait, max(timeout - elapsed, 0.0))
        try:
            stdout, stderr = proc.communicate(data if first else None, timeout=wait)
            return stdout, stderr
        except subprocess.TimeoutExpired:
            first = False
            elapsed = time.monotonic() - started
            if timeout is not None and elapsed >= timeout:
                proc.kill()
                _, stderr = proc.communicate()
                # killed: the error names SIGKILL and says why
                raise CommandError(shown, -signal.SIGKILL,
                                   f"timed out after {timeout} s. {stderr.decode(errors='replace')}") from None
            progress.still_running(" ".join(shown[:3]) + (" …" if len(shown) > 3 else ""), elapsed)


def available(name: str) -> bool:
    """Whether tool `name` can be found on PATH."""
    from shutil import which

    return which(tool(name)) is not None
