"""The one runner for external commands: argv in, logged, stderr captured, typed errors out.

Never a shell. Tools are named by their logical name (see `tools.py`), so a distribution
can swap them in one place. os.posix_spawn and a poll loop rather than subprocess: at boot
every stage is its own process, and subprocess (with threading, selectors, signal, locale
and contextlib) costs each stage that runs a command ~6 ms of start-up (`sh` cost ~86 ms).
What subprocess.Popen did for ignite is kept: the executable looked up on the PATH the
command gets, the descriptors this process inherited not passed on, SIGPIPE and SIGXFSZ
back to their defaults, stdin from /dev/null unless there is input.
"""
from __future__ import annotations

import _thread
import os
import time

from ignite.errors import CommandError, ToolMissingError, how_it_ended
from ignite.log import get_logger
from ignite.system.tools import tool

TYPE_CHECKING = False  # not typing's: the files stage runs at every boot
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from typing import Any

log = get_logger("ignite.run")  # not logging: its import costs every stage that runs a command ~6 ms


class meanwhile:
    """Within the block, `steps` advances a step at a time whenever a command this thread
    runs has nothing to say, until the steps are exhausted or one raises. Its error is
    then `error`, for the block's owner to raise once its own work is done: a command is
    never killed half done for it. A step must be short: the command's end is noticed
    between steps (files_alongside)."""

    def __init__(self, steps: Iterator[None]) -> None:
        self.steps: Iterator[None] | None = steps
        self.error: Exception | None = None
        self._thread = _thread.get_ident()
        self._stepping = False

    def __enter__(self) -> meanwhile:
        global _meanwhile
        _meanwhile = self
        return self

    def __exit__(self, *_: object) -> None:
        global _meanwhile
        _meanwhile = None

    def pending(self) -> bool:
        """Whether steps are left for this thread's command (not one a step runs)."""
        return self.steps is not None and not self._stepping and self._thread == _thread.get_ident()

    def step(self) -> bool:
        """One step; False when none was left (or it raised)."""
        assert self.steps is not None
        self._stepping = True
        try:
            next(self.steps)
            return True
        except StopIteration:
            pass
        except Exception as exc:  # noqa: BLE001  (handed over: the block's owner raises it)
            self.error = exc
        finally:
            self._stepping = False
        self.steps = None
        return False


_meanwhile: meanwhile | None = None


# Linux's numbers (the same on every architecture ignite targets), not the signal module's:
# its import builds enums, ~0.5 ms.
SIGKILL, SIGPIPE, SIGXFSZ = 9, 13, 25


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
    log.info("running %s", shell_join(shown))
    full_env = dict(os.environ) if env is None else {**os.environ, **env}
    data = input.encode() if isinstance(input, str) else input
    child = _Child(argv, full_env, data is not None)
    try:
        stdout, stderr = child.communicate(data, timeout, shown)
    finally:
        child.close()
    result = Completed(tuple(argv), child.returncode, stdout.decode(errors="replace"), stderr.decode(errors="replace"))
    if check and child.returncode != 0:
        log.error("%s %s: %s", argv[0], how_it_ended(child.returncode), result.stderr.strip())
        raise CommandError(shown, child.returncode, result.stderr)
    return result


# What shlex.quote leaves unquoted. Not shlex itself: it imports `re` (~7 ms of start-up).
_SHELL_SAFE = b"%+,-./0123456789:=@ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"


def shell_quote(arg: str) -> str:
    """shlex.quote(arg)."""
    if not arg:
        return "''"
    if arg.isascii() and not arg.encode().translate(None, _SHELL_SAFE):
        return arg
    return "'" + arg.replace("'", "'\"'\"'") + "'"


def shell_join(argv: Sequence[str]) -> str:
    """shlex.join(argv): the command as a shell would read it back."""
    return " ".join(map(shell_quote, argv))


def _executable(name: str, env: Mapping[str, str]) -> str:
    """Where the command `name` is, as execvp(3) would find it on the command's PATH."""
    if "/" in name:
        return name
    # Not os.get_exec_path: it imports warnings (~0.3 ms of every stage that runs a command).
    for directory in env.get("PATH", os.defpath).split(os.pathsep):
        path = os.path.join(directory, name)
        if os.access(path, os.X_OK) and not os.path.isdir(path):
            return path
    raise ToolMissingError(name)


def _inherited_fds() -> list[int]:
    """Descriptors above 2 that a spawned command would inherit (this process's own are
    opened close-on-exec; these came from whoever started it)."""
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return []
    found = []
    for fd in map(int, names):
        try:
            if fd > 2 and os.get_inheritable(fd):
                found.append(fd)
        except OSError:  # the listing's own descriptor, closed since
            continue
    return found


class _Child:
    """A spawned command with its output (and input) on pipes."""

    def __init__(self, argv: list[str], env: dict[str, str], with_input: bool):
        path = _executable(argv[0], env)
        self.fds: dict[int, bytearray] = {}
        self.stdin: int | None = None
        self.returncode = 0
        self.pid = 0
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        actions: list[tuple[Any, ...]] = [
            (os.POSIX_SPAWN_CLOSE, fd) for fd in _inherited_fds()]
        if with_input:
            in_r, in_w = os.pipe()
            actions.append((os.POSIX_SPAWN_DUP2, in_r, 0))
        else:
            actions.append((os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0))
        actions += [(os.POSIX_SPAWN_DUP2, out_w, 1), (os.POSIX_SPAWN_DUP2, err_w, 2)]
        try:
            self.pid = os.posix_spawn(path, argv, env, file_actions=actions, setsigdef=(SIGPIPE, SIGXFSZ))
        except FileNotFoundError:
            for fd in (out_r, out_w, err_r, err_w, *((in_r, in_w) if with_input else ())):
                os.close(fd)
            raise ToolMissingError(argv[0]) from None
        except BaseException:
            for fd in (out_r, out_w, err_r, err_w, *((in_r, in_w) if with_input else ())):
                os.close(fd)
            raise
        os.close(out_w)
        os.close(err_w)
        if with_input:
            os.close(in_r)
            self.stdin = in_w
        self.stdout, self.stderr = out_r, err_r
        self.fds = {out_r: bytearray(), err_r: bytearray()}

    def communicate(self, data: bytes | None, timeout: float | None, shown: list[str]) -> tuple[bytes, bytes]:
        """The command's output, once it has ended; a command that runs long (mkfs of a large
        disk, a LUKS format, an mdadm create) is named on the console every few seconds, and
        one past `timeout` is killed."""
        import select  # here: a stage that loads this module may run no command

        from ignite import progress

        started = time.monotonic()
        notice_at = started + progress.FIRST_AFTER
        deadline = None if timeout is None else started + timeout
        poller = select.poll()
        for fd in self.fds:
            poller.register(fd, select.POLLIN)
        view = memoryview(data or b"")
        if self.stdin is not None:
            if view:
                poller.register(self.stdin, select.POLLOUT)
            else:
                self._close_stdin()
        open_fds = len(self.fds) + (self.stdin is not None)
        work = _meanwhile if _meanwhile is not None and _meanwhile.pending() else None
        while open_fds:
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                self._kill()
                raise CommandError(shown, -SIGKILL,
                                   f"timed out after {timeout} s. {self.fds[self.stderr].decode(errors='replace')}")
            if now >= notice_at:
                progress.still_running(" ".join(shown[:3]) + (" …" if len(shown) > 3 else ""), now - started)
                notice_at = now + progress.PROGRESS_INTERVAL
            wake = notice_at if deadline is None else min(notice_at, deadline)
            events = poller.poll(max(wake - now, 0.0) * 1000) if work is None else poller.poll(0)
            if not events and work is not None:
                if work.step():
                    continue
                work = None
                events = poller.poll(max(wake - now, 0.0) * 1000)
            for fd, _ in events:
                if fd == self.stdin:
                    try:
                        view = view[os.write(fd, view[:select.PIPE_BUF]):]
                    except BrokenPipeError:  # the command stopped reading: what it read is what it gets
                        view = view[:0]
                    if not view:
                        poller.unregister(fd)
                        self._close_stdin()
                        open_fds -= 1
                    continue
                chunk = os.read(fd, 1 << 16)
                if chunk:
                    self.fds[fd] += chunk
                else:
                    poller.unregister(fd)
                    open_fds -= 1
        self._wait()
        return bytes(self.fds[self.stdout]), bytes(self.fds[self.stderr])

    def _close_stdin(self) -> None:
        if self.stdin is not None:
            os.close(self.stdin)
            self.stdin = None

    def _kill(self) -> None:
        """SIGKILL, then what it wrote to stderr until then, then its exit."""
        os.kill(self.pid, SIGKILL)
        self._close_stdin()
        while chunk := os.read(self.stderr, 1 << 16):
            self.fds[self.stderr] += chunk
        self._wait()

    def _wait(self) -> None:
        _, status = os.waitpid(self.pid, 0)
        self.returncode = os.waitstatus_to_exitcode(status)
        self.pid = 0

    def close(self) -> None:
        """The pipes closed; a command still running (an exception on the way) killed and reaped."""
        self._close_stdin()
        for fd in self.fds:
            os.close(fd)
        self.fds = {}
        if self.pid:
            os.kill(self.pid, SIGKILL)
            self._wait()


def available(name: str) -> bool:
    """Whether tool `name` can be found on PATH."""
    from shutil import which

    return which(tool(name)) is not None
