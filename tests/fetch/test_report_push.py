"""The report push to ignite.report.url: a success, a failure, a server that is down, one
that is slow, one that answers with an error, and a bad URL: each one line, none a gate,
and never longer than the bound. Real servers on 127.0.0.1."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from ignite import cli
from ignite.report_push import push
from stage_dirs import boot, run_stage

from .conftest import Reply, free_port

NOOP = {"ignition": {"version": "3.6.0"}}


def test_the_files_stage_pushes_its_report_on_success(tmp_path: Path, http_server) -> None:
    http_server.route("/report", Reply(204))
    paths = boot(tmp_path, {**NOOP, "storage": {"files": [{"path": "/etc/motd", "contents": {"source": "data:,hi"}}]}},
                 f"ignite.report.url={http_server.url('/report')}")
    for stage in ("kargs", "disks", "mount", "files"):
        assert run_stage(stage, paths) == 0
    [seen] = http_server.seen
    assert seen.method == "POST" and seen.headers["Content-Type"] == "application/json"
    assert seen.headers["User-Agent"].startswith("ignite/")
    pushed = json.loads(seen.body)
    on_disk = json.loads((paths["root"] / "etc/ignite/report.json").read_text())
    assert pushed["result"] == on_disk["result"] == "success"
    assert [s["name"] for s in pushed["stages"]] == ["kargs", "disks", "mount", "files"]
    assert pushed["actions"] == on_disk["actions"]


def test_the_failure_unit_pushes_the_failure(tmp_path: Path, http_server, monkeypatch) -> None:
    http_server.route("/r", Reply(200))
    monkeypatch.setenv("IGNITE_TOOL_KARGS_HELPER", str(tmp_path / "nowhere"))
    paths = boot(tmp_path, {**NOOP, "kernelArguments": {"shouldExist": ["quiet"]}},
                 f"ignite.report.url={http_server.url('/r')}")
    assert run_stage("kargs", paths) == 1
    assert cli.main(["report", "--push", f"--state-file={paths['state']}", f"--config-cache={paths['cache']}",
                     f"--cmdline={paths['cmdline']}"]) == 0
    pushed = json.loads(http_server.seen[0].body)
    assert pushed["result"] == "failure"
    assert pushed["failure"]["stage"] == "kargs"
    assert pushed["failure"]["kind"] == "tool-missing"
    assert pushed["stages"][0]["status"] == "failure"


def said(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "ignite.report" and r.levelname == "WARNING"]


def test_a_server_that_is_down_delays_the_boot_no_more_than_the_bound(tmp_path: Path, caplog) -> None:
    url = f"http://127.0.0.1:{free_port()}/r"
    started = time.monotonic()
    assert push(url, b"{}", budget=1.0) is False
    assert time.monotonic() - started < 1.0 + 1.0  # hang guard: the bound plus scheduling slack
    lines = said(caplog)
    assert len(lines) == 1 and "connection refused" in lines[0] and "the boot goes on" in lines[0]
    assert "attempts" in lines[0]  # it did retry within the bound


def test_a_slow_server_is_given_up_within_the_bound(http_server, caplog) -> None:
    http_server.route("/slow", Reply(200, delay=5))
    started = time.monotonic()
    assert push(http_server.url("/slow"), b"{}", budget=1.0) is False
    assert time.monotonic() - started < 1.0 + 1.0
    [line] = said(caplog)
    assert "timed out" in line


def test_a_server_error_is_retried_then_succeeds(http_server) -> None:
    http_server.route("/r", Reply(503), Reply(503), Reply(201))
    assert push(http_server.url("/r"), b"{}", budget=5.0) is True
    assert http_server.hits("/r") == 3


def test_a_client_error_is_not_retried(http_server, caplog) -> None:
    http_server.route("/r", Reply(403))
    assert push(http_server.url("/r"), b"{}", budget=5.0) is False
    assert http_server.hits("/r") == 1
    [line] = said(caplog)
    assert "HTTP 403" in line


@pytest.mark.parametrize("url, why", [
    ("ftp://127.0.0.1/r", "unsupported scheme 'ftp'"),
    ("http://127.0.0.1:99999/r", "malformed URL"),
    ("https:///r", "no host"),
])
def test_a_bad_report_url_is_one_line_and_no_attempt(url: str, why: str, caplog) -> None:
    assert push(url, b"{}") is False
    [line] = said(caplog)
    assert why in line


def test_https_trusts_the_configs_ca(https_server, ca) -> None:
    https_server.route("/r", Reply(200))
    pem = ca.cert_pem.bytes()
    assert push(https_server.url("/r"), b"{}", cas=(pem,), budget=3.0) is True
    assert push(https_server.url("/r"), b"{}", budget=1.0) is False  # the system's CAs alone do not know it


def test_a_bad_report_url_never_fails_a_boot(tmp_path: Path, caplog) -> None:
    paths = boot(tmp_path, NOOP, "ignite.report.url=gopher://x/${nope}")
    assert run_stage("files", paths) == 0
    [line] = said(caplog)
    assert "unknown variable ${nope}" in line


def test_the_report_url_takes_identity_variables(tmp_path: Path, http_server, monkeypatch) -> None:
    from ignite import identity

    (tmp_path / "dmi").mkdir()
    (tmp_path / "dmi" / "product_serial").write_text("ABC123\n")
    monkeypatch.setattr(identity, "DMI_DIR", str(tmp_path / "dmi"))
    http_server.route("/r/ABC123", Reply(200))
    paths = boot(tmp_path, NOOP, f"ignite.report.url={http_server.url('/r/${serial}')}")
    assert run_stage("files", paths) == 0
    assert http_server.hits("/r/ABC123") == 1


SECRETS = ("s3cr3t-pass", "TOPSECRETCONTENT", "$6$saltsalt$hashhashhash", "Bearer-XYZZY-token")


def test_no_secret_reaches_the_report_the_push_status_or_the_log(tmp_path: Path, http_server, capfd) -> None:
    """A config full of secrets; the files stage fails on a resource whose URL carries a
    password and whose request carries a header; then the report is pushed and status is
    asked. Nothing printed, recorded, written or pushed holds a secret."""
    http_server.route("/push", Reply(200))
    http_server.route("/missing", Reply(404))
    remote = http_server.url("/missing").replace("http://", "http://admin:s3cr3t-pass@")
    config = {
        "ignition": {"version": "3.4.0"},
        "passwd": {"users": [{"name": "core", "passwordHash": "$6$saltsalt$hashhashhash"}]},
        "storage": {"files": [
            {"path": "/etc/secret", "mode": 384, "contents": {"source": "data:,TOPSECRETCONTENT"}},
            {"path": "/etc/remote", "contents": {"source": remote, "httpHeaders": [
                {"name": "Authorization", "value": "Bearer-XYZZY-token"}]}},
        ]},
    }
    paths = boot(tmp_path, config, f"ignite.report.url={http_server.url('/push')}")
    (paths["root"] / "etc").mkdir()
    for name, line in (("passwd", "root:x:0:0:root:/root:/bin/sh"), ("group", "root:x:0:"),
                       ("shadow", "root:*:19000:0:99999:7:::"), ("gshadow", "root:*::")):
        (paths["root"] / "etc" / name).write_text(line + "\n")
    assert run_stage("files", paths) == 1
    assert cli.main(["report", "--push", f"--state-file={paths['state']}", f"--config-cache={paths['cache']}",
                     f"--cmdline={paths['cmdline']}"]) == 0
    assert cli.main(["status", "--long", "--timings", f"--root={paths['root']}", f"--state-file={paths['state']}"]) == 1
    out = capfd.readouterr()
    pushed = http_server.seen[-1].body.decode()
    record = (paths["state"].parent / "ignite-record.jsonl").read_text()
    report = json.loads(pushed)
    assert report["failure"]["kind"] == "fetch-notfound"
    assert "***@127.0.0.1" in report["failure"]["message"]
    for secret in SECRETS:
        for where, text in (("stdout", out.out), ("stderr", out.err), ("push", pushed), ("record", record)):
            assert secret not in text, f"{secret!r} in {where}"
