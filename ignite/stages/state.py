"""The state file the stages share (docs/spec/stages.md#state): a JSON object, dir 0700, file 0600,
trailing newline, every upstream key present (null when empty), saved after every
successful stage. ignite adds `stageTimings` {stage: seconds} for the files stage's report.

json and os only: the stage runner saves the state even on a no-op stage's fast path."""
from __future__ import annotations

import json
import os

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
            state: State = json.loads(f.read())  # JSON, as the stages wrote it (checked below)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        from ignite.errors import UsageError

        raise UsageError(f"cannot read the state file {os.fspath(path)}: {exc}") from None
    return state if isinstance(state, dict) else {}


def write(path: str | os.PathLike[str], state: State) -> None:
    """Atomically, with every upstream key (null when empty)."""
    for key in KEYS:
        state.setdefault(key, None)  # type: ignore[misc]  # KEYS are State's keys
    path = os.fspath(path)
    os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
    tmp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(state, out)
        out.write("\n")
    os.replace(tmp, path)


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
