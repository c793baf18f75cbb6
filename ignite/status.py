"""`ignite status`: was this machine provisioned, when, by which config, and where the time
went; read from the report in the root, or, in the initramfs (a failed or running boot),
from the boot record.

Exit codes: 0 provisioned, 1 provisioning failed, 2 usage or I/O error, 3 never
provisioned, 4 provisioning under way (a boot record without an outcome).
"""
from __future__ import annotations

import json
import os
from typing import Any

from ignite import record
from ignite.errors import UsageError
from ignite.report import IGNITE_REPORT, RESULT_FILE, current_report

EXIT = {"provisioned": 0, "failed": 1, "not-provisioned": 3, "running": 4}
DEFAULT_STATE_FILE = "/run/ignition/state"


def find(root: str, state_file: str = DEFAULT_STATE_FILE, config_cache: str = "/run/ignition.json",
         ) -> tuple[str, dict[str, Any] | None, str | None]:
    """(status, report or None, where it was read)."""
    from ignite.root import Root

    target = Root(root)
    report_path = target.resolve(IGNITE_REPORT)
    report = _load(report_path)
    if report is not None:
        return ("provisioned" if report.get("result") == "success" else "failed"), report, report_path
    record_path = record.path_for(state_file)
    if os.path.exists(record_path):
        events = record.read(record_path)
        failed = any(e.get("event") == "failure" for e in events)
        report, _ = current_report(state_file, config_cache, None, result="failure" if failed else "running")
        return ("failed" if failed else "running"), report, record_path
    result_path = target.resolve(RESULT_FILE)
    result = _load(result_path)
    if result is not None:
        # Provisioned by Ignition itself, or by an ignite without a report.
        return "provisioned", {"result": "success", "ignitionResult": result}, result_path
    return "not-provisioned", None, None


def _load(path: str) -> dict[str, Any] | None:
    try:
        with open(path, "rb") as f:
            data = json.loads(f.read())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path} is not a JSON object")
    return data


def render_json(status: str, report: dict[str, Any] | None, where: str | None) -> str:
    return json.dumps({"status": status, "source": where, "report": report}, indent=2, ensure_ascii=False) + "\n"


def render_text(status: str, report: dict[str, Any] | None, where: str | None, *, long: bool = False,
                timings: bool = False) -> str:
    if report is None:
        return "status: not provisioned (no ignite report, boot record or Ignition result file)\n"
    lines = [f"status: {status.replace('-', ' ')}" + (f" (from {where})" if where else "")]
    if "ignitionResult" in report:
        result = report["ignitionResult"]
        lines.append(f"provisioned by Ignition on {result.get('provisioningDate', '?')} "
                     f"(boot {str(result.get('provisioningBootID', '?'))[:8]}); no ignite report")
        return "\n".join(lines) + "\n"
    when = report.get("finished") if status == "provisioned" else report.get("started")
    boot = str(report.get("bootId") or "?")[:8]
    lines.append(f"when: {when or '?'} (boot {boot}), ignite {report.get('ignite', {}).get('version', '?')}")
    config = report.get("config") or {}
    lines.append(f"config: sha256 {config.get('sha256') or '?'}, spec {config.get('version') or '?'}, "
                 f"platform {report.get('platform') or '?'}")
    for source in config.get("sources") or ():
        digest = str(source.get("sha256", "?"))[:16]
        lines.append(f"  {source.get('kind', '?'):<8} {source.get('url') or '-'}  sha256 {digest}…")
    failure = report.get("failure")
    if failure:
        lines.append(f"failure: stage {failure.get('stage')} ({failure.get('kind')}): {failure.get('message')}")
    stages = report.get("stages") or []
    if stages:
        lines.append("stages: " + " · ".join(_stage_cell(s) for s in stages))
    counts: dict[str, int] = {}
    for stage in stages:
        for name, n in (stage.get("actions") or {}).items():
            counts[name] = counts.get(name, 0) + n
    total = sum(counts.values())
    detail = ", ".join(f"{name} {n}" for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    lines.append(f"actions: {total}" + (f" ({detail})" if detail else ""))
    warnings = report.get("warnings") or []
    lines.append(f"warnings: {len(warnings) or 'none'}")
    lines.extend(f"  {w}" for w in warnings)
    if long:
        lines.append("actions in order:")
        lines.extend(f"  {a.get('stage')}: {a.get('action')} {a.get('target')}" for a in report.get("actions") or ())
        fetches = report.get("fetches") or []
        if fetches:
            lines.append("fetches:")
            lines.extend(f"  {f.get('stage')}: {f.get('url')} {_size(f.get('bytes'))} in {f.get('attempts')} "
                         f"attempt(s){'' if f.get('ok', True) else ' (failed)'}" for f in fetches)
    if timings:
        lines.extend(blame(report))
    return "\n".join(lines) + "\n"


def blame(report: dict[str, Any], top: int = 10) -> list[str]:
    """Where the first boot's time went: stages, slowest first, then the slowest actions and
    fetches (cloud-init's `analyze blame`, for the initramfs)."""
    stages = [s for s in report.get("stages") or () if isinstance(s.get("seconds"), (int, float))]
    total = sum(s["seconds"] for s in stages)
    out = [f"timings: {total:.2f} s in stages"]
    out.extend(f"  {s['seconds']:8.3f} s  stage {s['name']}" for s in sorted(stages, key=lambda s: -s["seconds"]))
    actions = [a for a in report.get("actions") or () if isinstance(a.get("seconds"), (int, float))]
    if actions:
        out.append("slowest actions:")
        out.extend(f"  {a['seconds']:8.3f} s  {a['stage']}: {a['action']} {a['target']}"
                   for a in sorted(actions, key=lambda a: -a["seconds"])[:top])
    fetches = [f for f in report.get("fetches") or () if isinstance(f.get("seconds"), (int, float))]
    if fetches:
        out.append("slowest fetches:")
        out.extend(f"  {f['seconds']:8.3f} s  {f['stage']}: {f['url']} ({_size(f.get('bytes'))}, "
                   f"{f.get('attempts')} attempt(s))" for f in sorted(fetches, key=lambda f: -f["seconds"])[:top])
    return out


def _stage_cell(stage: dict[str, Any]) -> str:
    seconds = stage.get("seconds")
    took = f"{seconds:.2f} s" if isinstance(seconds, (int, float)) else "…"
    mark = "" if stage.get("status") == "success" else f" {str(stage.get('status')).upper()}"
    return f"{stage.get('name')} {took}{mark}"


def _size(n: object) -> str:
    if not isinstance(n, int):
        return "? bytes"
    size = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"
