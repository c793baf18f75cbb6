"""The report push: the boot's report POSTed to `ignite.report.url=` (kernel command line),
when the files stage succeeds and, from the failure unit, when a stage fails.

The push is one more record of the boot, never a gate: every failure is one log line and
the boot goes on, and the whole push, retries included, is bounded (REPORT_PUSH_BUDGET
seconds, `ignite.report.timeout=` to change it). https trusts the system's CAs and the
config's. A redirect is not followed (a POST's body would be lost or re-sent elsewhere).
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ignite import __version__
from ignite.errors import IgniteError, UsageError, redact_url
from ignite.log import get_logger

if TYPE_CHECKING:
    from collections.abc import Callable

    from ignite.stages import StageContext

log = get_logger("ignite.report")

REPORT_PUSH_BUDGET = 5.0  # seconds for the whole push; a down server costs a boot no more
ATTEMPT_TIMEOUT = 2.0  # connect and response, per attempt, within the budget
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


def push(url: str, body: bytes, *, cas: tuple[bytes, ...] = (), budget: float = REPORT_PUSH_BUDGET,
         sleep: Callable[[float], None] = time.sleep) -> bool:
    """POSTs `body` to `url`; True when the server took it (2xx). Never raises for the
    network or the server: the outcome is one log line."""
    shown = redact_url(url)
    target = _target(url)
    if isinstance(target, str):
        log.warning("report push: %s in ignite.report.url %s; not pushed", target, shown)
        return False
    scheme, host, port, path = target
    deadline = time.monotonic() + max(budget, 0.0)
    attempts, delay, last = 0, 0.25, "no attempt within the budget"
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        attempts += 1
        try:
            status = _post(scheme, host, port, path, body, cas, min(ATTEMPT_TIMEOUT, left))
        except OSError as exc:
            last = _describe(exc)
        else:
            if 200 <= status < 300:
                log.info("report push: %s took the report (HTTP %d, attempt %d)", shown, status, attempts)
                return True
            last = f"HTTP {status}"
            if status not in RETRY_STATUSES:
                break
        pause = min(delay, deadline - time.monotonic())
        if pause <= 0:
            break
        sleep(pause)
        delay *= 2
    log.warning("report push to %s failed after %d attempt%s: %s; the boot goes on",
                shown, attempts, "" if attempts == 1 else "s", last)
    return False


def _target(url: str) -> tuple[str, str, int, str] | str:
    """(scheme, host, port, path?query) or what is wrong with the URL."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"malformed URL ({exc})"
    if parts.scheme not in ("http", "https"):
        return f"unsupported scheme {parts.scheme or '(none)'!r} (http or https)"
    if not parts.hostname:
        return "no host"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


def _post(scheme: str, host: str, port: int, path: str, body: bytes, cas: tuple[bytes, ...], timeout: float) -> int:
    import http.client

    if scheme == "https":
        import ssl

        context = ssl.create_default_context()
        for pem in cas:
            context.load_verify_locations(cadata=pem.decode("ascii", "replace"))
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("POST", path, body=body, headers={
            "Content-Type": "application/json",
            "User-Agent": f"ignite/{__version__}",
        })
        response = conn.getresponse()
        response.read(65536)
        return response.status
    finally:
        conn.close()


def _describe(exc: OSError) -> str:
    import socket
    import ssl

    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the host ({exc.strerror})"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timed out"
    if isinstance(exc, ssl.SSLError):
        return f"TLS: {exc.reason or exc}"
    return exc.strerror or str(exc) or type(exc).__name__


# --- at boot ---------------------------------------------------------------------------------


def report_url(cmdline_file: str) -> tuple[str | None, float]:
    """The push URL (identity variables filled in) and the budget, from the command line."""
    from pathlib import Path

    from ignite import cmdline

    args = cmdline.values(cmdline.read(Path(cmdline_file)))
    url = args.get(cmdline.REPORT_URL)
    budget = REPORT_PUSH_BUDGET
    if cmdline.REPORT_TIMEOUT in args:
        try:
            budget = cmdline.parse_duration(args[cmdline.REPORT_TIMEOUT])
        except UsageError as exc:
            log.warning("report push: %s in %s; using %g s", exc, cmdline.REPORT_TIMEOUT, REPORT_PUSH_BUDGET)
    if url is not None and "${" in url:
        from ignite.identity import expand

        try:
            url = expand(url)
        except IgniteError as exc:
            log.warning("report push: %s; not pushed", exc)
            return None, budget
    return url, budget


def push_boot_report(state_file: str, config_cache: str, cmdline_file: str, platform: str | None, *,
                     result: str) -> bool:
    """Renders the boot record and pushes it, if the command line asks for a push."""
    url, budget = report_url(cmdline_file)
    if url is None:
        return False
    from ignite.report import current_report, render

    report, cas = current_report(state_file, config_cache, platform, result=result)
    return push(url, render(report), cas=cas, budget=budget)


def push_after_files(ctx: StageContext) -> None:
    from ignite.stages.cache import stage_platform

    push_boot_report(str(ctx.state_file), str(ctx.config_cache), str(ctx.cmdline_file), stage_platform(ctx),
                     result="success")
