"""Plan = what happens: the stage runners of the disks and files tests plan a stage first
(the code `ignite plan` runs), run it, and compare the predicted operations with the
actions the stage put in the boot record."""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ignite import record
from ignite.errors import IgniteError


def planned_then_run(stage: str, config: Any, root: Path, state_file: Path, device_map: dict[str, str],
                     run: Callable[[], None], state: dict[str, Any] | None = None, *, compare: bool = True) -> None:
    """Plans `stage`, runs it (`run`), and asserts the record's actions equal the plan's.
    A plan that fails must fail as the stage does (same error type and message)."""
    from ignite.plan import stage_operations

    if not compare:  # e.g. a rerun the journal guides: the plan is of a first run
        run()
        return
    try:
        predicted = stage_operations(stage, config, root, device_map, state)
    except IgniteError as planned:
        try:
            run()
        except IgniteError as actual:
            assert type(planned) is type(actual), f"plan failed with {planned!r}, the stage with {actual!r}"
            if "device does not exist" in str(planned):  # the plan does not wait for it
                assert str(actual).split(": ")[0] == str(planned).split(": ")[0]
                assert "device did not appear within" in str(actual)
            else:
                assert str(planned) == str(actual), f"plan failed with {planned!r}, the stage with {actual!r}"
            raise
        raise AssertionError(f"plan failed ({planned}) but the {stage} stage succeeded") from None
    log = record.path_for(state_file)
    before = len(record.read(log))
    run()
    done = [(e["action"], e["target"]) for e in record.read(log)[before:]
            if e.get("event") == "action" and e.get("stage") == stage]
    assert predicted == done, f"{stage}: plan said {predicted}, the stage did {done}"


def journal_exists(root: Path) -> bool:
    """A files-stage journal in the target: the stage finishes (or skips) what a run of the
    same config began, where the plan describes a first run."""
    from ignite.root import Root
    from ignite.stages.files_journal import JOURNAL

    return os.path.exists(Root(root).resolve(JOURNAL))
