"""Units and users beyond what the differential suite can show: instance presets (2.14
needs D-Bus for them), `disable` of a unit that is not enabled, names refused, SSH key
files (modes, owner, the non-fragment path), password hashes never logged, the result
file and ignite's report."""
from __future__ import annotations

import json
import logging
import os
import shutil
import stat
from pathlib import Path

import pytest
from files_helpers import require_root_user, run_ignite

from ignite.errors import NodeError


@pytest.fixture(autouse=True)
def _root_user() -> None:
    require_root_user()


def units(*entries: dict) -> dict:
    return {"ignition": {"version": "3.4.0"}, "systemd": {"units": list(entries)}}


PRESET = "etc/systemd/system-preset/20-ignition.preset"


def test_instances_are_grouped_under_their_template_in_config_order(root: Path, work: Path) -> None:
    run_ignite(units({"name": "getty@tty2.service", "enabled": True},
                     {"name": "z.service", "enabled": True},
                     {"name": "getty@tty1.service", "enabled": True},
                     {"name": "a.socket", "enabled": True}), root, work / "w")
    assert (root / PRESET).read_text() == "enable a.socket\nenable getty@.service tty2 tty1\nenable z.service\n"


def test_disabled_unit_that_is_not_enabled_gets_no_line(root: Path, work: Path) -> None:
    if shutil.which("systemctl") is None:
        pytest.skip("no systemctl")
    run_ignite(
        units({"name": "never.service", "enabled": False}, {"name": "on.service", "enabled": True}), root, work / "w"
    )
    assert (root / PRESET).read_text() == "enable on.service\n"


def test_disabled_unit_that_is_enabled_is_disabled_and_preset(root: Path, work: Path) -> None:
    if shutil.which("systemctl") is None:
        pytest.skip("no systemctl")
    unit_dir = root / "etc/systemd/system"
    (unit_dir / "multi-user.target.wants").mkdir(parents=True)
    (unit_dir / "was.service").write_text("[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n")
    os.symlink("/etc/systemd/system/was.service", unit_dir / "multi-user.target.wants/was.service")
    run_ignite(units({"name": "was.service", "enabled": False}), root, work / "w")
    assert (root / PRESET).read_text() == "disable was.service\n"
    assert not (unit_dir / "multi-user.target.wants/was.service").exists()


def test_mask_replaces_contents_written_by_the_same_unit(root: Path, work: Path) -> None:
    run_ignite(units({"name": "m.service", "contents": "[Unit]\n", "mask": True}), root, work / "w")
    assert os.readlink(root / "etc/systemd/system/m.service") == "/dev/null"


def test_unmask_leaves_other_links_alone(root: Path, work: Path) -> None:
    unit_dir = root / "etc/systemd/system"
    unit_dir.mkdir(parents=True)
    os.symlink("/lib/systemd/system/x.service", unit_dir / "x.service")
    run_ignite(units({"name": "x.service", "mask": False}), root, work / "w")
    assert os.readlink(unit_dir / "x.service") == "/lib/systemd/system/x.service"


@pytest.mark.parametrize("name", ["../escape.service", "a/b.service", ".."])
def test_unit_names_that_leave_the_unit_dir_are_refused(name: str, root: Path, work: Path) -> None:
    with pytest.raises(NodeError, match="invalid unit or dropin name"):
        run_ignite(units({"name": name, "contents": "x"}), root, work / "w", raw=True)
    assert not (root / "etc/systemd").exists()


def test_dropin_names_are_checked_too(root: Path, work: Path) -> None:
    with pytest.raises(NodeError, match=r"\$\.systemd\.units\.0\.dropins\.0\.name"):
        run_ignite(
            units({"name": "a.service", "dropins": [{"name": "../../x.conf", "contents": "x"}]}),
            root,
            work / "w",
            raw=True,
        )


# --- users -----------------------------------------------------------------------------


def passwd(*users: dict, groups: tuple = ()) -> dict:
    return {"ignition": {"version": "3.4.0"}, "passwd": {"users": list(users), "groups": list(groups)}}


def test_ssh_keys_file_modes_and_owner(root: Path, work: Path) -> None:
    run_ignite(
        passwd({"name": "core", "uid": 1234, "sshAuthorizedKeys": ["ssh-ed25519 AAAA1", "ssh-rsa AAAA2\n"]}),
        root,
        work / "w",
    )
    keys = root / "home/core/.ssh/authorized_keys.d/ignition"
    assert keys.read_text() == "ssh-ed25519 AAAA1\nssh-rsa AAAA2\n"
    for path, mode in ((keys, 0o600), (keys.parent, 0o700), (keys.parent.parent, 0o700)):
        st = path.stat()
        assert (stat.S_IMODE(st.st_mode), st.st_uid) == (mode, 1234), path


def test_keys_replace_the_previous_fragment(root: Path, work: Path) -> None:
    run_ignite(passwd({"name": "core", "sshAuthorizedKeys": ["first"]}), root, work / "w1")
    run_ignite(passwd({"name": "core", "sshAuthorizedKeys": ["second"]}), root, work / "w2")
    assert (root / "home/core/.ssh/authorized_keys.d/ignition").read_text() == "second\n"


def test_keys_without_fragments(root: Path, work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IGNITION_WRITE_AUTHORIZED_KEYS_FRAGMENT", "false")
    run_ignite(passwd({"name": "core", "sshAuthorizedKeys": ["k"]}), root, work / "w")
    assert (root / "home/core/.ssh/authorized_keys").read_text() == "k\n"
    assert not (root / "home/core/.ssh/authorized_keys.d").exists()


def test_password_hashes_never_reach_the_log(root: Path, work: Path, caplog: pytest.LogCaptureFixture) -> None:
    secret = "$6$saltsalt$ThisIsTheSecretHash"
    caplog.set_level(logging.DEBUG)
    run_ignite(
        passwd({"name": "core", "passwordHash": secret}, groups=({"name": "g", "passwordHash": secret + "g"},)),
        root,
        work / "w",
    )
    assert secret in (root / "etc/shadow").read_text()
    assert "useradd" in caplog.text and secret not in caplog.text
    report = (root / "etc/ignite/report.json").read_text()
    assert secret not in report


def test_a_failing_tool_names_the_user_without_the_hash(root: Path, work: Path) -> None:
    secret = "$6$x$SecretHash"
    with pytest.raises(NodeError) as err:
        run_ignite(passwd({"name": "core", "passwordHash": secret, "primaryGroup": "nosuchgroup"}), root, work / "w")
    assert "core" in str(err.value) and secret not in str(err.value)


def test_delete_user_removes_its_home(root: Path, work: Path) -> None:
    run_ignite(passwd({"name": "temp"}), root, work / "w1")
    assert (root / "home/temp").is_dir()
    run_ignite(passwd({"name": "temp", "shouldExist": False}), root, work / "w2")
    assert "temp:" not in (root / "etc/passwd").read_text()
    assert not (root / "home/temp").exists()


def test_notated_mount_points_below_home_get_the_users_owner(root: Path, work: Path) -> None:
    (root / "home/core/data").mkdir(parents=True)
    state = {"notatedDirectories": ["/home/core", "/home/core/data", "/var/other"]}
    (root / "var/other").mkdir(parents=True)
    run_ignite(passwd({"name": "core", "uid": 1500}), root, work / "w", state=state)
    for d in ("home/core", "home/core/data"):
        st = (root / d).stat()
        assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (1500, 0o700)
    assert (root / "var/other").stat().st_uid == 0


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


def test_stale_shadow_locks_of_a_killed_tool_are_removed(root: Path, work: Path) -> None:
    import subprocess

    from ignite.system.users import clear_stale_locks

    dead = subprocess.Popen(["true"])
    dead.wait()  # reaped: its pid names no process now
    # As shadow-utils writes them: the pid, NUL-terminated.
    (root / "etc/passwd.lock").write_text(f"{dead.pid}\0")
    (root / f"etc/group.{dead.pid}").write_text(f"{dead.pid}\0")
    (root / "etc/shadow.lock").write_text(str(os.getpid()))  # a live holder is left alone
    removed = clear_stale_locks(root)
    assert sorted(Path(p).name for p in removed) == sorted(["passwd.lock", f"group.{dead.pid}"])
    assert (root / "etc/shadow.lock").exists()
    with pytest.raises(NodeError, match="cannot lock"):  # held by a live process: refused
        run_ignite(passwd({"name": "after"}), root, work / "w0")
    (root / "etc/shadow.lock").unlink()
    run_ignite(passwd({"name": "after"}, groups=({"name": "g2", "gid": 4000},)), root, work / "w")


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
