"""The boot record: what each stage process did, kept for the report the files stage writes
and for the push the failure unit makes.

Each stage is its own process, so the record is a file of JSON lines that every process
appends to (never rewrites): a stage's start and end, each fetch, each warning, and the
failure that ended the boot. It lives next to the state file (in the initramfs,
`/run/ignition/ignite-record.jsonl`), created 0600 in a 0700 directory: it names URLs
(credentials stripped) and error messages, never contents.

Cheap on purpose (jsonio and os, as the state file; not json, which loads re): the no-op
stages append to it too.
"""
from __future__ import annotations

import os
import sys
import time

from ignite import jsonio
from ignite.errors import redact_url

TYPE_CHECKING = False  # not typing's: every stage records, a no-op one too
if TYPE_CHECKING:
    from hashlib import _Hash
    from typing import Any

RECORD_NAME = "ignite-record.jsonl"
_encode_string = jsonio.encode_basestring  # a JSON string as json.dumps(ensure_ascii=False) writes it

_path: str | None = None  # this process's record, once a stage has opened it
_stage: str | None = None  # the stage this process runs
_attempts: dict[str, int] = {}  # url -> attempts of the fetch under way (resource.retry counts)
# Action lines wait here and go out with the next other event (a stage's end at the latest):
# a files stage of 10,000 files would otherwise open the record 10,000 times.
_pending: list[str] = []
PENDING_MAX = 1000


def path_for(state_file: str | os.PathLike[str]) -> str:
    return os.path.join(os.path.dirname(os.fspath(state_file)) or ".", RECORD_NAME)


def open_for(state_file: str | os.PathLike[str], stage: str) -> str:
    """Makes this process record `stage` into the record beside `state_file`."""
    global _path, _stage
    _path = path_for(state_file)
    _stage = stage
    return _path


def active() -> bool:
    return _path is not None


def current_stage() -> str | None:
    return _stage


def append(event: dict[str, Any], path: str | None = None) -> None:
    """One event, one line. Recording is never a reason for a boot to fail: an unwritable
    record (a full /run) loses the event and says so once on stderr."""
    target = path or _path
    if target is None:
        return
    line = jsonio.dumps(event, separators=(",", ":"), ensure_ascii=False) + "\n"
    if _pending and target == _path:
        line = "".join(_pending) + line
        _pending.clear()
    _write(target, line)


def flush() -> None:
    """Writes the actions waiting to be written."""
    if _pending and _path is not None:
        lines = "".join(_pending)
        _pending.clear()
        _write(_path, lines)


def _write(target: str, line: str) -> None:
    try:
        os.makedirs(os.path.dirname(target) or ".", mode=0o700, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
    except OSError as exc:
        sys.stderr.write(f"ignite: cannot write the boot record {target}: {exc.strerror or exc}\n")


def read(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every event in order; a torn last line (a killed process) is skipped."""
    try:
        with open(path, "rb") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return []
    try:  # in one call: 10,000 action lines parsed one by one cost ~45 ms
        parsed = jsonio.loads(b"[" + b",".join(line for line in lines if line.strip()) + b"]")
    except ValueError:  # a torn line: each on its own, that one skipped
        parsed = []
        for line in lines:
            try:
                parsed.append(jsonio.loads(line))
            except ValueError:
                continue
    return [event for event in parsed if isinstance(event, dict)]


def wall_now() -> float:
    return round(time.time(), 3)


# --- what the stages and the fetch pipeline call ---------------------------------------------


def stage_started(stage: str, started_wall: float) -> None:
    append({"event": "stage-start", "stage": stage, "at": started_wall})


def stage_finished(stage: str, started_wall: float, seconds: float, status: str, *,
                   actions: dict[str, int] | None = None, idle: bool = False) -> None:
    event: dict[str, Any] = {
        "event": "stage", "stage": stage, "at": started_wall, "seconds": round(seconds, 6), "status": status,
    }
    if actions:
        event["actions"] = actions
    if idle:
        event["idle"] = True
    append(event)


def warning(stage: str, message: str) -> None:
    append({"event": "warning", "stage": stage, "message": message})


def action(stage: str, action_name: str, target: str, seconds: float) -> None:
    """The line json.dumps(event, separators=(",", ":"), ensure_ascii=False) writes, put
    together directly: a files stage records one per node, and json.dumps's set-up per
    call cost 10,000 files ~60 ms."""
    if _path is None:
        return
    enc = _encode_string
    _pending.append(f'{{"event":"action","stage":{enc(stage)},"action":{enc(action_name)},'
                    f'"target":{enc(target)},"seconds":{round(seconds, 6)!r}}}\n')
    if len(_pending) >= PENDING_MAX:
        flush()


def note_attempt(url: str) -> None:
    if _path is not None:
        _attempts[url] = _attempts.get(url, 0) + 1


def fetched(url: str, size: int, seconds: float, *, ok: bool = True, stage: str | None = None) -> None:
    """One finished fetch (`url` already stripped of credentials by the caller's helper)."""
    attempts = _attempts.pop(url, 0) or 1
    if _path is None:
        return
    append({"event": "fetch", "stage": stage or _stage, "url": redact_url(url), "bytes": size,
            "attempts": attempts, "seconds": round(seconds, 6), "ok": ok})


def failed(stage: str, kind: str, message: str) -> None:
    append({"event": "failure", "stage": stage, "kind": kind, "message": message, "at": wall_now()})



def config_source(kind: str, url: str, data: bytes) -> None:
    """A config that went into the rendered one: user, base, merge or replace, and its sha256."""
    append({"event": "config", "kind": kind, "url": redact_url(url), "sha256": sha256_hex(data), "bytes": len(data)})


def sha256_hex(data: bytes) -> str:
    """The sha256 of `data`, in hex (see new_sha256)."""
    digest: str = new_sha256(data).hexdigest()
    return digest


def new_sha256(data: bytes = b"") -> _Hash:
    """A sha256 object (update, hexdigest) holding `data`. Python's own sha256 module loads
    in 0.2 ms where hashlib loads OpenSSL's libcrypto in 2-3 ms: every fetch stage records
    its config's digest, every files stage the journal's, and usually hashes nothing else.
    OpenSSL's is twice as fast per byte, though: from 1 MiB on (where that pays for its
    import) hashlib's; streams of unknown size (an append) use hashlib themselves. (Plain imports, so that the
    initramfs payload, which copies the modules ignite's imports name, has them.)"""
    if len(data) < SMALL_HASH_BYTES:
        try:
            from _sha256 import sha256  # CPython 3.11
        except ImportError:
            try:
                from _sha2 import sha256  # CPython 3.12 on
            except ImportError:
                from hashlib import sha256
    else:
        from hashlib import sha256
    hasher: _Hash = sha256(data)
    return hasher


SMALL_HASH_BYTES = 1 << 20
