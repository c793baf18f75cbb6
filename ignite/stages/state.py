"""The state file the stages share (docs/spec/stages.md#state): a JSON object, dir 0700, file 0600,
trailing newline, every upstream key present (null when empty), saved after every
successful stage. ignite adds `stageTimings` {stage: seconds} for the files stage's report.

Everything ignite keeps outside the target that may hold a secret (this state, with its
persisted LUKS keys; the config cache; the files-stage journal; /run/ignition) is written
by `write_private`/`private_dir`: files 0600, replaced whole through a new temporary file
(never rewritten in place, so an earlier mode cannot stick), directories created 0700.

jsonio, os and errors only (every process has errors loaded already): the stage runner saves
the state even on a no-op stage's fast path."""
from __future__ import annotations

import os

from ignite import jsonio
from ignite.entropy import random_hex
from ignite.errors import UsageError

TYPE_CHECKING = False  # not typing's: the no-op stage path saves the state
if TYPE_CHECKING:
    from typing import Any, TypedDict

    from ignite.config.render import FetchedConfig

    class State(TypedDict, total=False):
        """The state file's record (docs/spec/stages.md#state); every key may be null."""

        fetchedConfigs: list[FetchedConfig] | None
        luksPersistKeyFiles: dict[str, str] | None  # volume name -> data URL of its key
        notatedDirectories: list[str] | None  # made by the mount stage, for the files stage
        providerOutputFiles: list[dict[str, Any]] | None  # files a provider wants in the target
        luksPersistVolumeKeyFiles: dict[str, str] | None
        stageTimings: dict[str, float]  # ignite's: seconds per stage, for the report

KEYS = (
    "fetchedConfigs", "luksPersistKeyFiles", "notatedDirectories", "providerOutputFiles", "luksPersistVolumeKeyFiles",
)
TIMINGS = "stageTimings"
# Upstream appends this every stage that reads the system base config, present or not.
BASE_ENTRY: FetchedConfig = {"kind": "base", "source": "system", "referenced": False}


def read(path: str | os.PathLike[str]) -> State:
    """The state; {} when there is none yet. Unreadable or not JSON: UsageError."""
    try:
        with open(path, "rb") as f:
            state: State = jsonio.loads(f.read())  # JSON, as the stages wrote it (checked below)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read the state file {os.fspath(path)}: {exc}") from None
    return state if isinstance(state, dict) else {}


def write(path: str | os.PathLike[str], state: State) -> None:
    """Atomically, with every upstream key (null when empty), 0600."""
    for key in KEYS:
        state.setdefault(key, None)  # type: ignore[misc]  # KEYS are State's keys
    write_private(path, (jsonio.dumps(state) + "\n").encode(), what="the state file")


def write_private(path: str | os.PathLike[str], data: bytes, *, fsync: bool = False, what: str = "") -> None:
    """Replaces `path` with `data` in one rename: a new file 0600 (random name, O_EXCL,
    never following a link), in a directory made 0700 if missing. An I/O error (ENOSPC)
    is a UsageError naming `what` and the path."""
    path = os.fspath(path)
    parent = os.path.dirname(path) or "."
    tmp = os.path.join(parent, f".{os.path.basename(path)}.{random_hex()}.tmp")
    try:
        private_dir(parent)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            with open(fd, "wb", buffering=0) as out:
                view = memoryview(data)
                while view:
                    view = view[out.write(view):]
                if fsync:
                    os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
    except OSError as exc:
        raise UsageError(f"cannot write {what or 'file'} {path}: {exc.strerror or exc}") from None


def private_dir(path: str | os.PathLike[str]) -> None:
    """`mkdir -p`, every directory it creates 0700 (whatever the umask)."""
    path = os.fspath(path)
    missing = []
    while path and not os.path.isdir(path):
        missing.append(path)
        path = os.path.dirname(path)
    for d in reversed(missing):
        try:
            os.mkdir(d, 0o700)
        except FileExistsError:
            continue
        os.chmod(d, 0o700)


def finish_stage(path: str | os.PathLike[str], stage: str, seconds: float, *, base_entry: bool) -> None:
    """After a successful stage: its timing and (for the stages after the fetch stages,
    which record their own entries) the system base config entry, as upstream saves it.
    Read afresh: the stage itself may have changed the state (mount, files, fetch)."""
    state = read(path)
    if base_entry:
        state["fetchedConfigs"] = [*(state.get("fetchedConfigs") or ()), {**BASE_ENTRY}]
    timings = state.get("stageTimings")
    state["stageTimings"] = {**(timings if isinstance(timings, dict) else {}), stage: round(seconds, 6)}
    write(path, state)
