"""The fetch-offline stage against Debian's Ignition 2.14 on the same inputs (platform
`file`): the same neednet decision, the same cache presence, the same fetchedConfigs
and the same files in the rendered config."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest

from ignite.stages import StageContext, run_stage

CHILD = quote(json.dumps({"ignition": {"version": "3.3.0"}, "storage": {"files": [{"path": "/child"}]}}), safe="")
CASES = {
    "local only": {
        "ignition": {"version": "3.3.0"},
        "storage": {"files": [{"path": "/a", "contents": {"source": "data:,x"}}]},
    },
    "remote file": {
        "ignition": {"version": "3.3.0"},
        "storage": {"files": [{"path": "/a", "contents": {"source": "http://192.0.2.1/a"}}]},
    },
    "remote merge": {"ignition": {"version": "3.3.0", "config": {"merge": [{"source": "http://192.0.2.1/c.ign"}]}}},
    "data merge": {
        "ignition": {"version": "3.3.0", "config": {"merge": [{"source": f"data:,{CHILD}"}]}},
        "storage": {"files": [{"path": "/parent"}]},
    },
    "data replace": {
        "ignition": {"version": "3.3.0", "config": {"replace": {"source": f"data:,{CHILD}"}}},
        "storage": {"files": [{"path": "/discarded"}]},
    },
    "remote CA": {
        "ignition": {
            "version": "3.3.0",
            "security": {"tls": {"certificateAuthorities": [{"source": "http://192.0.2.1/ca.pem"}]}},
        }
    },
    "tang": {
        "ignition": {"version": "3.3.0"},
        "storage": {
            "luks": [
                {
                    "name": "l",
                    "device": "/dev/vdb",
                    "clevis": {"tang": [{"url": "http://192.0.2.1", "thumbprint": "abc"}]},
                }
            ]
        },
    },
    "empty": None,
}


def outcome(workdir: Path) -> dict:
    cache = workdir / "cache.json"
    state = workdir / "state"
    files = None
    if cache.exists():
        files = [f["path"] for f in (json.loads(cache.read_text()).get("storage") or {}).get("files") or []]
    return {
        "neednet": (workdir / "neednet").exists(),
        "cached": cache.exists(),
        "files": files,
        "fetched": json.loads(state.read_text()).get("fetchedConfigs") if state.exists() else None,
    }


def setup(workdir: Path, config: dict | None) -> dict[str, str]:
    workdir.mkdir()
    (workdir / "config.ign").write_bytes(b"" if config is None else json.dumps(config).encode())
    (workdir / "cmdline").write_text("quiet\n")
    none = str(workdir / "no-system-dir")
    return {
        "IGNITION_SYSTEM_CONFIG_DIR": none, "IGNITION_SYSTEM_LOCAL_CONFIG_DIR": none,
        "IGNITION_SYSTEM_RUNTIME_CONFIG_DIR": none, "IGNITION_KERNEL_CMDLINE_PATH": str(workdir / "cmdline"),
        "IGNITION_CONFIG_FILE": str(workdir / "config.ign"),
    }


@pytest.mark.oracle
@pytest.mark.parametrize("case", list(CASES))
def test_fetch_offline_matches_ignition(
    case: str, tmp_path: Path, oracle_ignition: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    theirs = tmp_path / "theirs"
    env = setup(theirs, CASES[case])
    proc = subprocess.run(
        [str(oracle_ignition), "-platform", "file", "-stage", "fetch-offline", "-root", str(theirs / "root"),
         "-log-to-stdout", "-config-cache", str(theirs / "cache.json"), "-state-file", str(theirs / "state"),
         "-neednet", str(theirs / "neednet")],
        env={**os.environ, **env}, cwd=theirs, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ours = tmp_path / "ours"
    for key, value in setup(ours, CASES[case]).items():
        monkeypatch.setenv(key, value)
    run_stage(StageContext(
        stage="fetch-offline", root=ours / "root", platform="file", config_cache=ours / "cache.json",
        state_file=ours / "state", neednet_file=ours / "neednet", cmdline_file=ours / "cmdline",
        config_file=ours / "config.ign",
    ))
    assert outcome(ours) == outcome(theirs)


def _run_both(
    tmp_path: Path, config: dict, stage: str, oracle_ignition: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[dict, dict]:
    theirs = tmp_path / "theirs"
    env = setup(theirs, config)
    proc = subprocess.run(
        [str(oracle_ignition), "-platform", "file", "-stage", stage, "-root", str(theirs / "root"),
         "-log-to-stdout", "-config-cache", str(theirs / "cache.json"), "-state-file", str(theirs / "state"),
         "-neednet", str(theirs / "neednet")],
        env={**os.environ, **env}, cwd=theirs, capture_output=True, text=True, timeout=60,
    )
    ours = tmp_path / "ours"
    for key, value in setup(ours, config).items():
        monkeypatch.setenv(key, value)
    ctx = StageContext(
        stage=stage, root=ours / "root", platform="file", config_cache=ours / "cache.json",
        state_file=ours / "state", neednet_file=ours / "neednet", cmdline_file=ours / "cmdline",
        config_file=ours / "config.ign",
    )
    error = None
    try:
        run_stage(ctx)
    except Exception as exc:  # noqa: BLE001 - compared with the oracle's verdict below
        error = exc
    return (
        {**outcome(ours), "ok": error is None},
        {**outcome(theirs), "ok": proc.returncode == 0},
    )


@pytest.mark.oracle
def test_fetch_stage_renders_like_ignition(
    tmp_path: Path, oracle_ignition: Path, monkeypatch, http_server, https_server, ca
) -> None:
    import hashlib

    from .conftest import Reply

    grandchild = json.dumps({"ignition": {"version": "3.3.0"}, "storage": {"files": [{"path": "/gc"}]}}).encode()
    http_server.route("/gc.ign", Reply(200, grandchild))
    child = {"ignition": {"version": "3.3.0", "config": {"merge": [{"source": http_server.url("/gc.ign"),
             "verification": {"hash": "sha512-" + hashlib.sha512(grandchild).hexdigest()}}]}},
             "storage": {"files": [{"path": "/c"}]}}
    https_server.route("/child.ign", Reply(200, json.dumps(child).encode()))
    http_server.route("/ca.pem", Reply(200, ca.cert_pem.bytes()))
    config = {"ignition": {"version": "3.3.0",
                           "security": {"tls": {"certificateAuthorities": [{"source": http_server.url("/ca.pem")}]}},
                           "config": {"merge": [{"source": https_server.url("/child.ign")}]}},
              "storage": {"files": [{"path": "/parent"}]}}
    ours, theirs = _run_both(tmp_path, config, "fetch", oracle_ignition, monkeypatch)
    assert ours == theirs
    assert ours["ok"] and ours["files"] == ["/parent", "/c", "/gc"]
    for side in ("ours", "theirs"):
        cached = json.loads((tmp_path / side / "cache.json").read_text())
        assert cached["ignition"]["security"]["tls"]["certificateAuthorities"][0]["source"].startswith("data:")


@pytest.mark.oracle
def test_fetch_stage_wrong_hash_fails_like_ignition(
    tmp_path: Path, oracle_ignition: Path, monkeypatch, http_server
) -> None:
    from .conftest import Reply

    http_server.route("/c.ign", Reply(200, b'{"ignition":{"version":"3.3.0"}}'))
    config = {"ignition": {"version": "3.3.0", "config": {"replace": {"source": http_server.url("/c.ign"),
              "verification": {"hash": "sha512-" + "0" * 128}}}}}
    ours, theirs = _run_both(tmp_path, config, "fetch", oracle_ignition, monkeypatch)
    assert ours == theirs and not ours["ok"] and not ours["cached"]
