"""What the files stage leaves besides the config's nodes: the result file as upstream
writes it (and the previous one kept), ignite's report of actions and timings, the SELinux
relabel of what the stage touched, the one-line failure on the command line, and the
provider output files carried in the state. Reading them back (`ignite status`):
tests/stages/test_report_status.py."""
from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from files_helpers import require_root_user, run_ignite


@pytest.fixture(autouse=True)
def _root_user() -> None:
    require_root_user()


# --- result file and report ------------------------------------------------------------


def test_result_file_as_upstream_writes_it(root: Path, work: Path) -> None:
    state = {"fetchedConfigs": [{"kind": "base", "source": "system", "referenced": False},
                                {"kind": "user", "source": "file", "referenced": False}]}
    run_ignite({"ignition": {"version": "3.4.0"}}, root, work / "w", state=state)
    path = root / "etc/.ignition-result.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    result = json.loads(text)
    assert list(result) == ["provisioningBootID", "provisioningDate", "userConfigProvided"]
    assert result["userConfigProvided"] is True
    assert result["provisioningBootID"] == Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    assert text.startswith('{\n  "provisioningBootID"') and text.endswith("}\n")


def test_second_run_keeps_the_previous_report(root: Path, work: Path) -> None:
    run_ignite({"ignition": {"version": "3.4.0"}}, root, work / "w1")
    first = json.loads((root / "etc/.ignition-result.json").read_text())
    run_ignite({"ignition": {"version": "3.4.0"}, "storage": {"files": [{"path": "/x"}]}}, root, work / "w2")
    second = json.loads((root / "etc/.ignition-result.json").read_text())
    assert second["previousReport"] == first


def test_ignite_report_lists_actions_and_timings(root: Path, work: Path) -> None:
    secret_body = "top secret file body"
    config = {
        "ignition": {"version": "3.4.0"},
        "storage": {
            "files": [{"path": "/etc/app.conf", "contents": {"source": "data:," + secret_body.replace(" ", "%20")}}]
        },
        "systemd": {"units": [{"name": "app.service", "contents": "[Unit]\n", "enabled": True}]},
    }
    run_ignite(
        config, root, work / "w", state={"fetchedConfigs": [{"kind": "user", "source": "file", "referenced": False}]}
    )
    report = json.loads((root / "etc/ignite/report.json").read_text())
    assert report["ignite"]["version"]
    assert report["config"]["fetchedConfigs"] == [{"kind": "user", "source": "file", "referenced": False}]
    assert len(report["config"]["sha256"]) == 64
    [files] = [s for s in report["stages"] if s["name"] == "files"]
    assert files["seconds"] > 0 and files["status"] == "success"
    actions = [(a["stage"], a["action"], a["target"]) for a in report["actions"]]
    assert ("files", "write file", "/etc/app.conf") in actions
    assert ("files", "preset enable", "app.service") in actions
    assert secret_body not in json.dumps(report)


# --- SELinux and the command line ------------------------------------------------------


def test_relabel_runs_setfiles_on_what_the_stage_touched(
    root: Path, work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (root / "etc/selinux/config").write_text("SELINUX=enforcing\nSELINUXTYPE=targeted\n")
    log = work / "setfiles.log"
    stand_in = work / "setfiles"
    stand_in.write_text(f"#!/bin/sh\necho \"$@\" > {log}\ntr '\\0' '\\n' >> {log}\n")
    stand_in.chmod(0o755)
    monkeypatch.setenv("IGNITE_TOOL_SETFILES", str(stand_in))
    config = {"ignition": {"version": "3.4.0"}, "storage": {"files": [{"path": "/etc/app.conf"}]},
              "systemd": {"units": [{"name": "a.service", "contents": "[Unit]\n"}]}}
    run_ignite(config, root, work / "w")
    args, *paths = log.read_text().splitlines()
    assert args == f"-vF0 -r {root} {root}/etc/selinux/targeted/contexts/files/file_contexts -f -"
    assert f"{root}/etc/app.conf" in paths
    assert f"{root}/etc/systemd/system/a.service" in paths


def test_no_relabel_when_selinux_is_disabled(root: Path, work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IGNITE_TOOL_SETFILES", str(work / "does-not-exist"))
    run_ignite({"ignition": {"version": "3.4.0"}, "storage": {"files": [{"path": "/etc/x"}]}}, root, work / "w")
    assert (root / "etc/x").is_file()  # written, and setfiles (missing here) was never run


def test_command_line_failure_is_one_clear_line(root: Path, work: Path) -> None:
    from files_helpers import run_ignite_process

    (root / "etc/exists").write_text("old")
    proc = run_ignite_process({"ignition": {"version": "3.4.0"},
                               "storage": {"files": [{"path": "/etc/exists", "contents": {"source": "data:,new"}}]}},
                              root, work / "w")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    text = err.decode()
    assert "/etc/exists" in text and "overwrite is false" in text and "$.storage.files.0" in text
    assert "Traceback" not in text
    assert (root / "etc/exists").read_text() == "old"


def test_provider_output_files_from_the_state(root: Path, work: Path) -> None:
    import base64

    pool = b"key\0" + b"\0" * 100
    (root / "var/lib/hyperv").mkdir(parents=True)
    (root / "var/lib/hyperv/.kvp_pool_0").write_bytes(b"stale")
    state = {"providerOutputFiles": [{"path": "/var/lib/hyperv/.kvp_pool_0", "overwrite": True, "mode": 0o600,
                                      "contents": {"source": "data:;base64," + base64.b64encode(pool).decode()}}]}
    run_ignite({"ignition": {"version": "3.4.0"}}, root, work / "w", state=state)
    path = root / "var/lib/hyperv/.kvp_pool_0"
    assert path.read_bytes() == pool
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
