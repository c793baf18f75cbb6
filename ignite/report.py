"""What a run leaves in the target for people and tools to read afterwards.

- `/etc/.ignition-result.json`: the file upstream writes (tools such as Fedora CoreOS's
  console messages read it): boot id, date, whether a user config was provided, and the
  previous report if Ignition had already run on this system.
- `/etc/ignite/report.json`: ignite's own: version, the config's sources and the hash of
  the rendered config, every action taken (kind and path or name, never contents or
  password hashes), and per-stage timings.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from ignite import distro
from ignite.log import get_logger

TYPE_CHECKING = False  # not typing's: 3 ms of every files stage's start-up
if TYPE_CHECKING:
    from datetime import datetime
    from typing import Any

log = get_logger("ignite.actions")  # not logging: 7 ms at every boot

RESULT_FILE = distro.RESULT_FILE
IGNITE_REPORT = distro.IGNITE_REPORT
BOOT_ID = Path(distro.BOOT_ID)
ALREADY_RAN = (
    "Ignition has already run on this system. Unexpected behavior may occur. "
    "Ignition is not designed to run more than once per system."
)


class ActionLog:
    """Actions of one stage, in order, with timings. (Not a dataclass: the files stage runs
    at every boot, and dataclasses costs it 6 ms of start-up.)"""

    def __init__(self, stage: str, started: float | None = None, actions: list[dict[str, str]] | None = None) -> None:
        self.stage = stage
        self.started = time.monotonic() if started is None else started
        self.actions: list[dict[str, str]] = [] if actions is None else actions

    def record(self, action: str, target: str) -> None:
        """One line per action in the log too; never contents or hashes."""
        log.info("%s: %s %s", self.stage, action, target)
        self.actions.append({"action": action, "target": target})

    def seconds(self) -> float:
        return round(time.monotonic() - self.started, 6)


def result_json(
    fetched_configs: list[dict[str, Any]] | None,
    previous: bytes | None,
    boot_id_file: Path = BOOT_ID,
    now: datetime | None = None,
) -> bytes:
    """The result file's bytes: keys in upstream's order, 2-space indent, newline."""
    if now is None:
        from datetime import datetime

        now = datetime.now().astimezone()
    result: dict[str, Any] = {
        "provisioningBootID": boot_id_file.read_text().strip(),
        "provisioningDate": rfc3339(now),
        "userConfigProvided": any(c.get("kind") == "user" for c in fetched_configs or ()),
    }
    if previous is not None:
        report = json.loads(previous)
        if report is not None:
            result["previousReport"] = report
    return (json.dumps(result, indent=2, ensure_ascii=False) + "\n").encode()


def rfc3339(moment: datetime) -> str:
    """Go's time.RFC3339: seconds, `Z` for UTC, else ±hh:mm."""
    text = moment.replace(microsecond=0).isoformat()
    if text.endswith("+00:00"):
        text = text[:-6] + "Z"
    return text


def ignite_report(
    *,
    version: str,
    config_sha256: str | None,
    fetched_configs: list[dict[str, Any]] | None,
    stage_timings: dict[str, float],
    actions: list[dict[str, str]],
) -> bytes:
    report = {
        "ignite": {"version": version},
        "config": {"sha256": config_sha256, "sources": fetched_configs or []},
        "stages": {name: {"seconds": secs} for name, secs in stage_timings.items()},
        "actions": actions,
    }
    return (json.dumps(report, indent=2, ensure_ascii=False) + "\n").encode()
