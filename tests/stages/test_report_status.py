"""The report (schemas/report-1.json, docs/report.md) and `ignite status`: a provisioned
root, a failed boot, a never-provisioned root, timings, and no secrets anywhere."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from ignite import cli
from stage_dirs import boot, run_stage

REPO = Path(__file__).resolve().parents[2]
NOOP = {"ignition": {"version": "3.6.0"}}


def schema_validator():  # noqa: ANN201 - jsonschema's type, a test-only dependency
    from jsonschema import Draft202012Validator

    schema = json.loads((REPO / "schemas" / "report-1.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def status(paths: dict[str, Path], *extra: str) -> list[str]:
    return ["status", f"--root={paths['root']}", f"--state-file={paths['state']}", *extra]


CONFIG = {
    "ignition": {"version": "3.4.0"},
    "storage": {
        "directories": [{"path": "/var/lib/app", "mode": 448}],
        "files": [{"path": "/etc/motd", "contents": {"source": "data:,hello"}, "mode": 420},
                  {"path": "/etc/app.conf", "contents": {"source": "data:,x=1"}}],
        "links": [{"path": "/etc/app.link", "target": "/etc/app.conf"}],
    },
    "systemd": {"units": [{"name": "app.service", "enabled": True,
                           "contents": "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n"}]},
}


def provision(tmp_path: Path, config: dict = CONFIG) -> dict[str, Path]:
    paths = boot(tmp_path, config)
    for stage in ("kargs", "disks", "mount", "files", "umount"):
        assert run_stage(stage, paths) == 0, stage
    return paths


def test_a_provisioned_root_has_a_report_that_matches_the_schema(tmp_path: Path) -> None:
    paths = provision(tmp_path)
    report = json.loads((paths["root"] / "etc/ignite/report.json").read_text())
    schema_validator().validate(report)
    assert report["result"] == "success" and report["failure"] is None
    assert report["config"]["version"] == "3.4.0"
    assert len(report["config"]["sha256"]) == 64
    files = next(s for s in report["stages"] if s["name"] == "files")
    assert files["actions"] == {"create directory": 1, "write file": 2, "create symlink": 1, "write unit": 1,
                                "preset enable": 1, "write result file": 1}
    assert [a["target"] for a in report["actions"] if a["action"] == "write file"] == ["/etc/motd", "/etc/app.conf"]


def test_the_state_keeps_upstreams_entries_and_the_report_lists_each_once(tmp_path: Path) -> None:
    paths = provision(tmp_path)
    state = json.loads(paths["state"].read_text())
    assert len(state["fetchedConfigs"]) == 5  # upstream: the system base entry, once per stage
    report = json.loads((paths["root"] / "etc/ignite/report.json").read_text())
    assert report["config"]["fetchedConfigs"] == [{"kind": "base", "source": "system", "referenced": False}]


def test_status_of_a_provisioned_root(tmp_path: Path, capsys) -> None:
    paths = provision(tmp_path)
    assert cli.main(status(paths)) == 0
    text = capsys.readouterr().out
    assert text.startswith("status: provisioned")
    assert "stages: kargs" in text and "files" in text
    assert "actions: 7 (write file 2" in text
    assert cli.main(status(paths, "--format", "json")) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "provisioned"
    schema_validator().validate(data["report"])


def test_status_long_and_timings(tmp_path: Path, capsys) -> None:
    paths = provision(tmp_path)
    assert cli.main(status(paths, "--long", "--timings")) == 0
    text = capsys.readouterr().out
    assert "  files: write file /etc/motd" in text
    assert "timings:" in text and "slowest actions:" in text
    blame = text.split("timings:")[1].splitlines()[1:5]
    seconds = [float(line.split()[0]) for line in blame if line.strip().endswith(("kargs", "disks", "mount", "files"))]
    assert seconds == sorted(seconds, reverse=True)


def test_status_of_a_failed_boot_from_the_initramfs_record(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("IGNITE_TOOL_KARGS_HELPER", str(tmp_path / "nowhere"))
    paths = boot(tmp_path, {**NOOP, "kernelArguments": {"shouldExist": ["quiet"]}})
    assert run_stage("kargs", paths) == 1
    capsys.readouterr()
    assert cli.main(status(paths)) == 1
    text = capsys.readouterr().out
    assert text.startswith("status: failed")
    assert "failure: stage kargs (tool-missing)" in text
    assert cli.main(["report", f"--state-file={paths['state']}", f"--config-cache={paths['cache']}"]) == 0
    report = json.loads(capsys.readouterr().out)
    schema_validator().validate(report)
    assert report["result"] == "failure" and report["stages"][0]["status"] == "failure"


def test_status_of_a_root_never_provisioned(tmp_path: Path, capsys) -> None:
    (tmp_path / "root").mkdir()
    assert cli.main(["status", f"--root={tmp_path / 'root'}", f"--state-file={tmp_path / 'none' / 'state'}"]) == 3
    assert "not provisioned" in capsys.readouterr().out


def test_status_of_a_root_ignition_provisioned(tmp_path: Path, capsys) -> None:
    (tmp_path / "root/etc").mkdir(parents=True)
    (tmp_path / "root/etc/.ignition-result.json").write_text(json.dumps(
        {"provisioningBootID": "0123456789abcdef", "provisioningDate": "2026-01-02T03:04:05Z",
         "userConfigProvided": True}))
    assert cli.main(["status", f"--root={tmp_path / 'root'}", f"--state-file={tmp_path / 'none' / 'state'}"]) == 0
    assert "provisioned by Ignition on 2026-01-02T03:04:05Z" in capsys.readouterr().out


def test_status_refuses_a_corrupt_report(tmp_path: Path, capsys) -> None:
    (tmp_path / "root/etc/ignite").mkdir(parents=True)
    (tmp_path / "root/etc/ignite/report.json").write_text("{not json")
    assert cli.main(["status", f"--root={tmp_path / 'root'}"]) == 2
    assert "report.json" in capsys.readouterr().err


def test_actions_are_written_in_batches_and_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stage's actions wait in memory and go out with the next event (or every
    PENDING_MAX actions): a 10,000-file stage does not open the record 10,000 times."""
    from ignite import record
    from ignite.report import ActionLog

    monkeypatch.setattr(record, "_path", None)
    monkeypatch.setattr(record, "_pending", [])
    path = record.open_for(tmp_path / "state", "files")
    writes = []
    real_write = record._write

    def counting_write(target: str, text: str) -> None:
        writes.append(text.count("\n"))
        real_write(target, text)

    monkeypatch.setattr(record, "_write", counting_write)
    log = ActionLog("files")
    for i in range(2500):
        log.record("write file", f"/f{i}")
    record.stage_finished("files", record.wall_now(), 0.5, "success")
    events = record.read(path)
    assert [e["target"] for e in events if e["event"] == "action"] == [f"/f{i}" for i in range(2500)]
    assert events[-1]["event"] == "stage"
    assert writes == [1000, 1000, 501]
