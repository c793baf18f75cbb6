"""The fetch-offline and fetch stages, with a real config to parse, validate, render and
cache (a user, files, a unit, a merge reference), import neither typing, dataclasses nor
logging: together ~15 ms of every first boot's fetch stages, each its own process, which
Ignition 2.14's fetch-offline runs in ~20 ms. (test_files_imports.py holds the files stage;
test_startup.py the no-op stages.)"""
from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest

from import_probe import modules_loaded_by

# hashlib (OpenSSL's libcrypto) only when a hash is verified: the record's sha256 of the
# config takes CPython's built-in sha256. copy (with weakref): the JSON upgrade copies by hand.
HEAVY = ("typing", "dataclasses", "logging", "inspect", "ast", "hashlib", "_hashlib", "copy")

MERGED = {"ignition": {"version": "3.3.0"}, "storage": {"files": [{"path": "/etc/merged", "mode": 0o644}]}}
CONFIG = {
    "ignition": {"version": "3.3.0", "config": {"merge": [{"source": "data:," + quote(json.dumps(MERGED))}]}},
    "passwd": {"users": [{"name": "core", "sshAuthorizedKeys": ["ssh-ed25519 AAAA core"]}]},
    "storage": {"files": [{"path": "/etc/a", "mode": 0o644, "contents": {"source": "data:,hello"}},
                          {"path": "/etc/b", "contents": {"source": "data:,world"}}]},
    "systemd": {"units": [{"name": "a.service", "enabled": True,
                           "contents": "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n"}]},
}


def stage_argv(tmp_path: Path, stage: str) -> list[str]:
    run = tmp_path / "run"
    return ["run", "--stage", stage, "--platform", "file", "--config", str(tmp_path / "cfg.ign"),
            "--config-cache", str(run / "cache.json"), "--state-file", str(run / "state"),
            "--neednet", str(run / "neednet"), "--cmdline", str(tmp_path / "cmdline"), "--root", str(tmp_path / "root")]


def run_fetch(tmp_path: Path, stage: str, from_url: bool) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    text = json.dumps(CONFIG)
    cmdline = "ignition.platform.id=file"
    if from_url:
        cmdline += " ignition.config.url=data:," + quote(text)
    else:
        (tmp_path / "cfg.ign").write_text(text)
    (tmp_path / "cmdline").write_text(cmdline + "\n")
    return modules_loaded_by(stage_argv(tmp_path, stage))


@pytest.mark.parametrize(("stage", "from_url"), [("fetch-offline", False), ("fetch-offline", True), ("fetch", True)])
def test_a_fetch_stage_with_work_imports_nothing_heavy(tmp_path: Path, stage: str, from_url: bool) -> None:
    done, modules = run_fetch(tmp_path, stage, from_url)
    assert done.returncode == 0 and done.stdout.endswith("\n0"), done.stderr
    cached = json.loads((tmp_path / "run/cache.json").read_text())  # the work was done
    assert sorted(f["path"] for f in cached["storage"]["files"]) == ["/etc/a", "/etc/b", "/etc/merged"]
    assert cached["passwd"]["users"][0]["name"] == "core"
    assert not (tmp_path / "run/neednet").exists()
    records = [json.loads(line) for line in (tmp_path / "run/ignite-record.jsonl").read_text().splitlines()]
    digests = [r["sha256"] for r in records if r["event"] == "config"]
    assert digests[0] == hashlib.sha256(json.dumps(CONFIG).encode()).hexdigest()
    assert digests[1] == hashlib.sha256(json.dumps(MERGED).encode()).hexdigest()
    assert {"ignite.stages.fetch", "ignite.config.parse", "ignite.config.validate", "ignite.config.render",
            "ignite.config.translate.v3", "ignite.config.unitfile", "ignite.resource.pipeline"} <= modules
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))


def test_a_fetch_stage_that_fails_validation_still_reports_with_its_location(tmp_path: Path) -> None:
    """The error path (report entries located in the source) is as light, and says where."""
    (tmp_path / "cfg.ign").write_text('{"ignition": {"version": "3.3.0"},\n "storage": {"files": [{"path": "etc/x"}]}}')
    (tmp_path / "cmdline").write_text("ignition.platform.id=file\n")
    done, modules = modules_loaded_by(stage_argv(tmp_path, "fetch-offline"))
    assert done.returncode == 0 and done.stdout.endswith("\n1"), done.stderr
    assert "path not absolute (line 2 col" in done.stderr, done.stderr
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))


# The HTTP transport: http.client alone would load ssl and the email package; requests
# and urllib3 cost ~55 ms (~0.8 s under TCG). ssl only once an https URL is fetched.
HTTP_HEAVY = ("requests", "urllib3", "http.client", "email.parser", "ssl", "_ssl") + HEAVY


def test_the_http_transport_loads_ssl_only_for_https(tmp_path: Path) -> None:
    import sys
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Answer(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/c"
    probe = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})\n"
        f"heavy = {HTTP_HEAVY!r}\n"
        "loaded = lambda: sorted(m for m in heavy if m in sys.modules)\n"
        "import ignite.resource.http\n"
        "on_import = loaded()\n"
        "from ignite.config.model import Resource\n"
        "from ignite.resource import FetchSettings, fetch_bytes\n"
        f"body = fetch_bytes(Resource(source={url!r}), FetchSettings(http_total=10)).decode()\n"
        "on_http = loaded()\n"
        "try:\n"
        f"    fetch_bytes(Resource(source={url.replace('http:', 'https:')!r}), FetchSettings(http_total=0.3))\n"
        "except Exception as exc:\n"
        "    error = str(exc)\n"
        "print(json.dumps([on_import, body, on_http, 'ssl' in sys.modules, error]))\n"
    )
    try:
        done = subprocess.run([sys.executable, "-I", "-S", "-c", probe], capture_output=True, text=True, timeout=60)
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 0, done.stderr
    on_import, body, on_http, ssl_after_https, error = json.loads(done.stdout)
    assert on_import == [] and body == "ok" and on_http == []
    assert ssl_after_https and "tls: " in error
