"""What a run leaves in the target for people and tools to read afterwards.

- `/etc/.ignition-result.json`: the file upstream writes (tools such as Fedora CoreOS's
  console messages read it): boot id, date, whether a user config was provided, and the
  previous report if Ignition had already run on this system.
- `/etc/ignite/report.json`: ignite's own: version, the config's sources and the hash of
  the rendered config, every action taken (kind and path or name, never contents or
  password hashes), and per-stage timings.
"""
from __future__ import annotations

import os
import time

from ignite import __version__, distro, errors, jsonio, record
from ignite.errors import ConfigError, UsageError, redact_url
from ignite.log import get_logger
from ignite.stages import STAGES

TYPE_CHECKING = False  # not typing's: 3 ms of every files stage's start-up
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime
    from typing import Any, Protocol

    class Recorder(Protocol):
        """ActionLog.record, or what stands in for it."""

        def __call__(self, action: str, target: str, seconds: float | None = None) -> None: ...

log = get_logger("ignite.actions")  # not logging: 7 ms at every boot

RESULT_FILE = distro.RESULT_FILE
IGNITE_REPORT = distro.IGNITE_REPORT
BOOT_ID = distro.BOOT_ID
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
        self._last = self.started

    def record(self, action: str, target: str, seconds: float | None = None) -> None:
        """One line per action in the log and the boot record too; never contents or hashes.
        An action's time is the time since the previous one (or the stage's start): what
        `ignite status --timings` blames. `seconds`: its own time, measured by the caller,
        for an action recorded after it was done (a node written while a command ran, see
        files_alongside, is recorded at its place in Ignition's order)."""
        if seconds is None:
            now = time.monotonic()
            seconds = now - self._last
            self._last = now
        log.info("%s: %s %s", self.stage, action, target)
        self.actions.append({"action": action, "target": target})
        record.action(self.stage, action, target, seconds)

    def seconds(self) -> float:
        return round(time.monotonic() - self.started, 6)


def result_json(
    fetched_configs: list[dict[str, Any]] | None,
    previous: bytes | None,
    boot_id_file: str | os.PathLike[str] | None = None,
    now: datetime | None = None,
) -> bytes:
    """The result file's bytes: keys in upstream's order, 2-space indent, newline."""
    result: dict[str, Any] = {
        "provisioningBootID": _boot_id(BOOT_ID if boot_id_file is None else boot_id_file),
        "provisioningDate": rfc3339_at() if now is None else rfc3339(now),
        "userConfigProvided": any(c.get("kind") == "user" for c in fetched_configs or ()),
    }
    if previous is not None:
        report = jsonio.loads(previous)
        if report is not None:
            result["previousReport"] = report
    return (jsonio.dumps(result, indent=2, ensure_ascii=False) + "\n").encode()


def _boot_id(path: str | os.PathLike[str]) -> str:
    with open(path) as f:
        return f.read().strip()


def rfc3339(moment: datetime) -> str:
    """Go's time.RFC3339: seconds, `Z` for UTC, else ±hh:mm."""
    text = moment.replace(microsecond=0).isoformat()
    if text.endswith("+00:00"):
        text = text[:-6] + "Z"
    return text


def rfc3339_at(seconds: float | None = None, utc: bool = False) -> str:
    """rfc3339 of a Unix time (now by default), in local time or UTC, through the time
    module: datetime is ~1 ms of every files stage's start-up. Whole seconds as datetime
    has them (rounded to microseconds first, then cut)."""
    if seconds is not None:
        whole = int(seconds)
        seconds = whole + (round((seconds - whole) * 1e6) >= 1_000_000)
    moment = time.gmtime(seconds) if utc else time.localtime(seconds)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", moment)
    offset = moment.tm_gmtoff
    if offset == 0:
        return text + "Z"
    sign = "-" if offset < 0 else "+"
    return f"{text}{sign}{abs(offset) // 3600:02}:{abs(offset) % 3600 // 60:02}"


REPORT_FORMAT = 1
SCHEMA_ID = "https://ignite.invalid/schemas/report-1.json"


def ignite_report(
    *,
    version: str,
    config_sha256: str | None,
    config_version: str | None = None,
    platform: str | None,
    fetched_configs: Sequence[Mapping[str, Any]] | None,
    events: list[dict[str, Any]],
    result: str,
    boot_id: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The report (docs/report.md, schemas/report-1.json) from the state's fetchedConfigs and
    the boot record's events. Never contents, hashes of passwords, credentials or header
    values: the record holds only redacted URLs and ignite's own messages, scrubbed again here."""
    def stamp(seconds: float) -> str:
        return rfc3339_at(seconds, utc=True)

    stages: dict[str, dict[str, Any]] = {}
    actions: list[dict[str, Any]] = []
    fetches: list[dict[str, Any]] = []
    sources: list[dict[str, Any]] = []
    failure: dict[str, Any] | None = None
    first_start: float | None = None
    for event in events:
        kind = event.get("event")
        name = str(event.get("stage"))
        if kind in ("stage-start", "stage") and isinstance(event.get("at"), (int, float)):
            first_start = event["at"] if first_start is None else min(first_start, event["at"])
        if kind == "stage-start":
            stages[name] = {"name": name, "started": stamp(event["at"]), "seconds": None, "status": "running",
                            "actions": {}, "warnings": stages.get(name, {}).get("warnings", [])}
        elif kind == "stage":
            entry = stages.setdefault(name, {"name": name, "actions": {}, "warnings": []})
            entry.update(started=stamp(event["at"]), seconds=event.get("seconds"), status=event.get("status"))
            if event.get("idle"):
                entry["idle"] = True
        elif kind == "action":
            entry = stages.setdefault(name, {"name": name, "started": None, "seconds": None, "status": "running",
                                             "actions": {}, "warnings": []})
            entry["actions"][event["action"]] = entry["actions"].get(event["action"], 0) + 1
            actions.append({"stage": name, "action": event["action"], "target": event["target"],
                            "seconds": event.get("seconds")})
        elif kind == "warning":
            entry = stages.setdefault(name, {"name": name, "started": None, "seconds": None, "status": "running",
                                             "actions": {}, "warnings": []})
            entry["warnings"].append(scrub(event["message"]))
        elif kind == "fetch":
            fetches.append({k: event.get(k) for k in ("stage", "url", "bytes", "attempts", "seconds", "ok")})
        elif kind == "config":
            source = {k: event.get(k) for k in ("kind", "url", "sha256", "bytes")}
            if source not in sources:
                sources.append(source)
        elif kind == "failure":
            failure = {"stage": name, "kind": event.get("kind"), "message": scrub(str(event.get("message")))}
    ordered = sorted(stages.values(), key=lambda s: STAGE_ORDER.get(s["name"], 99))
    for entry in ordered:
        entry.setdefault("started", None)
        entry.setdefault("seconds", None)
        entry.setdefault("status", "running")
    return {
        "format": REPORT_FORMAT,
        "ignite": {"version": version},
        "result": result,
        "bootId": boot_id,
        "platform": platform,
        "started": None if first_start is None else stamp(first_start),
        "finished": rfc3339_at() if now is None else rfc3339(now),
        "config": {
            "sha256": config_sha256,
            "version": config_version,
            "sources": sources,
            "fetchedConfigs": _unique(fetched_configs or []),
        },
        "stages": ordered,
        "actions": actions,
        "fetches": fetches,
        "warnings": [w for s in ordered for w in s["warnings"]],
        "failure": failure,
    }


STAGE_ORDER = {name: i for i, name in enumerate(STAGES)}


def _unique(entries: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The state's fetchedConfigs without repeats: upstream appends the system base config's
    entry once per stage, which says nothing more the second time."""
    seen: list[Mapping[str, Any]] = []
    for entry in entries:
        if entry not in seen:
            seen.append(entry)
    return seen


def render(report: dict[str, Any]) -> bytes:
    """json.dumps(report, indent=2, ensure_ascii=False) + newline. The actions (one per
    node: 10,000 for a large config) are put together directly, in the same layout: the
    indenting encoder is pure Python, ~90 ms for 10,000 actions."""
    actions = report.get("actions")
    if not actions or not all(_plain_action(a) for a in actions):
        return (jsonio.dumps(report, indent=2, ensure_ascii=False) + "\n").encode()
    marker = "\x00actions\x00"
    text = jsonio.dumps({**report, "actions": [marker]}, indent=2, ensure_ascii=False)
    enc = jsonio.encode_basestring
    rendered = ",\n".join(
        f'    {{\n      "stage": {enc(a["stage"])},\n      "action": {enc(a["action"])},\n'
        f'      "target": {enc(a["target"])},\n      "seconds": {_number(a["seconds"])}\n    }}'
        for a in actions)
    slot = f'\n  "actions": [\n    {enc(marker)}\n  ]'
    return (text.replace(slot, f'\n  "actions": [\n{rendered}\n  ]', 1) + "\n").encode()


_ACTION_KEYS = ["stage", "action", "target", "seconds"]


def _plain_action(action: Any) -> bool:
    """An action as ignite_report makes it: these keys in this order, strings and a
    finite number (or null)."""
    if not isinstance(action, dict) or list(action) != _ACTION_KEYS:
        return False
    seconds = action["seconds"]
    return (all(type(action[k]) is str for k in _ACTION_KEYS[:3])
            and (seconds is None or (type(seconds) in (int, float) and seconds == seconds
                                     and abs(seconds) != float("inf"))))


def _number(value: float | None) -> str:
    return "null" if value is None else repr(value)


def scrub(text: str) -> str:
    """A message with every URL in it (scheme://… or data:…) redacted by the one rule,
    `errors.redact_url`: no credentials, no credential-like query values, no data: URL
    contents. The report and the push may leave the machine. A data: URL that is already
    redacted ("data:,... (12 characters)") is left as it is."""
    import re

    def redact(match: re.Match[str]) -> str:
        url, note = match.group("url"), match.group("note") or ""
        if note and url[:5].lower() == "data:" and (url[5:] == "..." or url.partition(",")[2] == "..."):
            return url + note  # redact_url's own output
        bare = url.rstrip(".,;:!?)]}")  # a sentence's punctuation after the URL
        return redact_url(bare) + url[len(bare):] + note

    # A URL runs up to whitespace or a quote.
    pattern = r"""(?i)\b(?P<url>data:[^\s"'<>]+|[a-z][a-z0-9+.-]*://[^\s"'<>]*)(?P<note> \(\d+ characters\))?"""
    return re.sub(pattern, redact, text)


def classify(error: BaseException) -> str:
    """The failure's kind for the report: a fetch error's own class (dns, connect, tls,
    http, timeout, hash, …), else the kind of error."""
    kinds = (
        (errors.ConfigError, "config"), (errors.DeviceError, "device"), (errors.NodeError, "node"),
        (errors.CommandError, "command"), (errors.ToolMissingError, "tool-missing"),
        (errors.ProviderError, "platform"), (errors.RootEscapeError, "root-escape"),
        (errors.IdentityError, "identity"), (errors.SetupError, "setup"), (errors.UsageError, "usage"),
    )
    # The error, then what it wraps: StageError.cause, or the exception being handled when
    # a stage raised its own (kargs wraps a missing tool in its own message).
    # A fetch failure anywhere in the chain names the cause best (a file that could not be
    # written because its source is gone is a fetch failure), else the outermost known kind.
    chain: list[BaseException] = []
    queue: list[BaseException | None] = [error]
    while queue and len(chain) < 16:
        seen = queue.pop(0)
        if seen is not None and seen not in chain:
            chain.append(seen)
            queue.extend((getattr(seen, "cause", None), seen.__cause__, seen.__context__))
    for seen in chain:
        if isinstance(seen, errors.FetchError):
            return f"fetch-{seen.kind}"
    for seen in chain:
        for cls, kind in kinds:
            if isinstance(seen, cls):
                return kind
    if isinstance(error, OSError):
        return "io"
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    return "internal"


def current_report(
    state_file: str, config_cache: str, platform: str | None, *, result: str, finishing: str | None = None,
    finishing_seconds: float | None = None, config_sha256: str | None = None, config_version: str | None = None,
    read_cache: bool = True,
) -> tuple[dict[str, Any], tuple[bytes, ...]]:
    """The report of this boot so far, from the state, the boot record and the cached
    config, and the config's CA bundles (for an https push). `finishing`: the stage that is
    writing the report as its last act, counted as succeeded. `read_cache=False`: the
    caller's config_sha256 and config_version are the cache's own (the files stage has
    them; parsing a 10,000-file cache again costs ~20 ms), and no CAs are wanted."""
    from ignite.stages import state as shared_state

    try:
        state = shared_state.read(state_file)
    except UsageError:
        state = {}
    record.flush()  # this stage's actions so far
    events = record.read(record.path_for(state_file))
    if finishing is not None:
        events = [*events, {"event": "stage", "stage": finishing, "at": _start_of(events, finishing),
                            "seconds": finishing_seconds, "status": "success"}]
    sha = version = None
    cas: tuple[bytes, ...] = ()
    cached = None
    try:
        if read_cache or config_sha256 is None or config_version is None:
            with open(config_cache, "rb") as f:
                cached = f.read()
    except OSError:
        pass
    if cached is not None:
        sha = record.new_sha256(cached).hexdigest()
        version, cas = _config_facts(cached)
    try:
        boot_id: str | None = _boot_id(BOOT_ID)
    except OSError:
        boot_id = None
    report = ignite_report(
        version=__version__, config_sha256=sha or config_sha256, config_version=version or config_version,
        platform=platform,
        fetched_configs=state.get("fetchedConfigs"), events=events, result=result, boot_id=boot_id,
    )
    return report, cas


def _start_of(events: list[dict[str, Any]], stage: str) -> float:
    for event in reversed(events):
        if event.get("event") == "stage-start" and event.get("stage") == stage:
            return float(event["at"])
    return record.wall_now()


def _config_facts(cached: bytes) -> tuple[str | None, tuple[bytes, ...]]:
    """The cached config's spec version and its CA bundles (inlined by the fetch stage as
    data URLs)."""
    try:
        cfg = jsonio.loads(cached)
    except ValueError:
        return None, ()
    ignition = cfg.get("ignition") if isinstance(cfg, dict) else None
    if not isinstance(ignition, dict):
        return None, ()
    version = ignition.get("version") if isinstance(ignition.get("version"), str) else None
    cas = []
    tls = ((ignition.get("security") or {}).get("tls") or {}) if isinstance(ignition.get("security"), dict) else {}
    for ca in tls.get("certificateAuthorities") or ():
        source = ca.get("source") if isinstance(ca, dict) else None
        if isinstance(source, str) and source.lower().startswith("data:"):
            from ignite.config.dataurl import decode_data_url

            try:
                cas.append(decode_data_url(source))
            except ConfigError:
                continue
    return version, tuple(cas)
