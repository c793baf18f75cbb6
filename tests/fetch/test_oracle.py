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
    "local only": {"ignition": {"version": "3.3.0"}, "storage": {"files": [{"path": "/a", "contents": {"source": "data:,x"}}]}},
    "remote file": {"ignition": {"version": "3.3.0"}, "storage": {"files": [{"path": "/a", "contents": {"source": "http://192.0.2.1/a"}}]}},
    "remote merge": {"ignition": {"version": "3.3.0", "config": {"merge": [{"source": "http://192.0.2.1/c.ign"}]}}},
    "data merge": {"ignition": {"version": "3.3.0", "config": {"merge": [{"source": f"data:,{CHILD}"}]}},
                   "storage": {"files": [{"path": "/parent"}]}},
    "data replace": {"ignition": {"version": "3.3.0", "config": {"replace": {"source": f"data:,{CHILD}"}}},
                     "storage": {"files": [{"path": "/discarded"}]}},
    "remote CA": {"ignition": {"version": "3.3.0", "security": {"tls": {"certificateAuthorities": [{"source": "http://192.0.2.1/ca.pem"}]}}}},
    "tang": {"ignition": {"version": "3.3.0"}, "storage": {"luks": [{"name": "l", "device": "/dev/vdb", "clevis": {"tang": [{"url": "http://192.0.2.1", "thumbprint": "abc"}]}}]}},
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
def test_fetch_offline_matches_ignition(case: str, tmp_path: Path, oracle_ignition: Path, monkeypatch: pytest.MonkeyPatch) -> None:
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
