"""No secret reaches any output: configs full of them (URL passwords, data: contents,
password hashes, header values) go through every failure path of `ignite apply` and of
the fetch stage, verbose and debug, and stdout, stderr and every file ignite wrote (report,
result, state, cache) are searched for each secret, raw and encoded."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from .conftest import Reply, Server

REPO = Path(__file__).resolve().parents[2]
URL_PASSWORD = "p@ss-URL-S3CR3T"
DATA_SECRET = "DATA-CONTENTS-S3CR3T"
PASSWORD_HASH = "$6$rounds=4096$HASH-S3CR3T$abcdefghijklmnop"
HEADER_SECRET = "Bearer HEADER-S3CR3T"
SIGNATURE = "SIGNATURE-S3CR3T"  # a presigned URL's query
SECRETS = ("S3CR3T", URL_PASSWORD, quote(URL_PASSWORD), DATA_SECRET, PASSWORD_HASH, HEADER_SECRET, SIGNATURE)
# Files that legitimately hold a secret once written: the accounts ignite manages.
ACCOUNT_FILES = {"shadow", "shadow-", "gshadow", "gshadow-", "passwd", "passwd-", "group", "group-"}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def creds(server: Server, path: str) -> str:
    return f"http://user:{quote(URL_PASSWORD, safe='')}@127.0.0.1:{server.port}{path}"


def base(**sections) -> dict:
    ign = {"version": "3.4.0", "timeouts": {"httpTotal": 2}, **sections.pop("ignition", {})}
    return {"ignition": ign, **sections}


def user() -> dict:
    return {"users": [{"name": "core", "passwordHash": PASSWORD_HASH}]}


def configs(server: Server) -> dict[str, dict]:
    bad_child = json.dumps(base(passwd=user())).encode() + b" trailing garbage"
    wrong = "sha512-" + "0" * 128
    return {
        "file fetch fails (500 until the deadline)": base(storage={"files": [{
            "path": "/etc/f", "contents": {"source": creds(server, "/down"),
                                           "httpHeaders": [{"name": "Authorization", "value": HEADER_SECRET}]},
        }]}, passwd=user()),
        "file fetch fails (404)": base(storage={"files": [{
            "path": "/etc/f", "contents": {"source": creds(server, f"/missing?X-Amz-Signature={SIGNATURE}&versionId=1"),
                                           "httpHeaders": [{"name": "X-Token", "value": HEADER_SECRET}]},
        }]}),
        "file hash mismatch": base(storage={"files": [
            {"path": "/etc/f", "contents": {"source": f"data:;base64,{b64(DATA_SECRET.encode())}",
                                            "verification": {"hash": wrong}}},
            {"path": "/etc/g", "contents": {"source": f"data:,{quote(DATA_SECRET)}", "verification": {"hash": wrong}}},
        ]}, passwd=user()),
        "file over http hash mismatch": base(storage={"files": [{
            "path": "/etc/f", "contents": {"source": creds(server, "/secret"), "verification": {"hash": wrong}},
        }]}),
        "merged data: config does not parse": base(ignition={"config": {"merge": [
            {"source": f"data:;base64,{b64(bad_child)}"}]}}),
        "merged data: config does not parse (percent-encoded)": base(ignition={"config": {"merge": [
            {"source": "data:," + quote(bad_child.decode())}]}}),
        "merged config over http fails its hash": base(ignition={"config": {"merge": [
            {"source": creds(server, "/child.ign"), "verification": {"hash": wrong},
             "httpHeaders": [{"name": "Authorization", "value": HEADER_SECRET}]}]}}),
        "merged config over http is not a config": base(ignition={"config": {"merge": [
            {"source": creds(server, "/notjson")}]}}),
        "replace redirects to a data: URL": base(ignition={"config": {"replace":
            {"source": creds(server, "/to-data")}}}),
        "header with a line break": base(storage={"files": [{
            "path": "/etc/f", "contents": {"source": creds(server, "/secret"),
                                           "httpHeaders": [{"name": "X-Token", "value": HEADER_SECRET + "\r\nX: y"}]},
        }]}),
        "files stage error (a file where a directory must be)": base(storage={"files": [
            {"path": "/etc/blocker", "contents": {"source": "data:,x"}},
            {"path": "/etc/blocker/secret", "contents": {"source": f"data:,{DATA_SECRET}"}},
        ]}, passwd=user()),
        "files stage error (overwrite false)": base(storage={"files": [
            {"path": "/etc/existing", "contents": {"source": f"data:,{DATA_SECRET}"}},
        ]}, passwd=user()),
    }


@pytest.fixture
def secret_server(http_server: Server) -> Server:
    child = json.dumps(base(passwd=user())).encode()
    http_server.route("/down", Reply(503, b"try later"))
    http_server.route("/secret", Reply(200, DATA_SECRET.encode()))
    http_server.route("/child.ign", Reply(200, child))
    http_server.route("/notjson", Reply(200, b"{" + PASSWORD_HASH.encode()))
    http_server.route("/to-data", Reply(302, headers={"Location": f"data:;base64,{b64(child)}"}))
    return http_server


def encodings(config: dict) -> set[str]:
    """Each secret raw, and every data: URL body of the config (a secret, encoded)."""
    found = set(SECRETS)
    text = json.dumps(config)
    for part in text.split('"data:')[1:]:
        body = part.split('"', 1)[0].split(",", 1)[-1]
        if len(body) > 8:
            found.add(body[:24])
    return found


def make_root(root: Path) -> None:
    """Accounts for useradd --root (so that users succeed and the files stage runs), and a
    file that a config may not overwrite."""
    etc = root / "etc"
    etc.mkdir(parents=True)
    (etc / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (etc / "group").write_text("root:x:0:\n")
    (etc / "shadow").write_text("root:*:19000:0:99999:7:::\n")
    (etc / "gshadow").write_text("root:*::\n")
    (etc / "existing").write_text("old\n")


def outputs(result: subprocess.CompletedProcess[str], *dirs: Path) -> dict[str, str]:
    found = {"stdout": result.stdout, "stderr": result.stderr}
    for top in dirs:
        for path in top.rglob("*"):
            if path.is_file() and not path.is_symlink() and path.name not in ACCOUNT_FILES:
                found[str(path)] = path.read_text(errors="replace")
    return found


def ignite(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ignite", *args], capture_output=True, text=True, timeout=120, cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def test_no_secret_in_any_output_of_apply(secret_server: Server, tmp_path: Path) -> None:
    leaks = []
    for number, (name, config) in enumerate(configs(secret_server).items()):
        for flags in (["-v"], ["--debug"]):
            work = tmp_path / f"{number}-{flags[0].strip('-')}"
            root = work / "root"
            make_root(root)
            path = work / "config.ign"
            path.write_text(json.dumps(config))
            result = ignite(*flags, "apply", str(path), "--root", str(root))
            assert result.returncode == 1, f"{name}: {result.returncode} {result.stderr[-2000:]}"
            assert "internal error" not in result.stderr
            for where, text in outputs(result, root).items():
                leaks += [f"{name} {flags}: {secret!r} in {where}" for secret in encodings(config) if secret in text]
    assert not leaks, "\n".join(leaks)


def test_no_secret_in_the_fetch_stage_output(secret_server: Server, tmp_path: Path) -> None:
    """The config URL itself (kernel command line) has a password; the server keeps failing."""
    url = creds(secret_server, "/down")
    (tmp_path / "cmdline").write_text(f"ignition.config.url={url}\n")
    run = tmp_path / "run"
    result = ignite(
        "--debug", "run", "--stage", "fetch", "--platform", "metal", "--root", str(tmp_path / "root"),
        "--cmdline", str(tmp_path / "cmdline"), "--fetch-timeout", "2", "--config-cache", str(run / "ignition.json"),
        "--state-file", str(run / "state"), "--neednet", str(run / "neednet"),
    )
    assert result.returncode == 1 and "unable to fetch resource in time" in result.stderr, result.stderr
    assert "***@127.0.0.1" in result.stderr
    leaks = [f"{s!r} in {where}" for where, text in outputs(result, tmp_path).items() for s in SECRETS
             if s in text and where != str(tmp_path / "cmdline")]
    assert not leaks, "\n".join(leaks)
