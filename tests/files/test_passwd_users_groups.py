"""passwd: users and groups created, modified and deleted with shadow-utils in the target
(`useradd --root`), password hashes never logged, a failing tool named without the hash,
notated mount points below a home, stale shadow-utils locks; then the same against Debian's
ignition 2.14 (differential_helpers.py). SSH keys: test_ssh_keys.py; accounts in hostile
roots: test_hostile_accounts.py."""
from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest
from differential_helpers import Case, add_group, add_user, case_ids, plain, same_tree_as_ignition
from differential_helpers import passwd as passwd_3_3
from files_helpers import require_root_user, run_ignite

from ignite.errors import NodeError


@pytest.fixture(autouse=True)
def _root_user() -> None:
    require_root_user()


def passwd(*users: dict, groups: tuple = ()) -> dict:
    return {"ignition": {"version": "3.4.0"}, "passwd": {"users": list(users), "groups": list(groups)}}


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


# --- against Debian's ignition 2.14 (differential_helpers.py) ------------------------------


DIFFERENTIAL = [
    Case("user-keys-password",
         passwd_3_3(users=({"name": "core", "passwordHash": "$6$rounds=4096$salt$hash",
                            "sshAuthorizedKeys": ["ssh-ed25519 AAAAkey1 a@b", "ssh-rsa AAAAkey2 c@d"]},))),
    Case("user-many-fields",
         passwd_3_3(users=({"name": "alice", "uid": 1500, "gecos": "Alice A", "shell": "/bin/sh",
                            "homeDir": "/srv/alice", "groups": ["wheel", "adm"]},))),
    Case("user-system-no-home",
         passwd_3_3(users=({"name": "svc", "system": True, "noCreateHome": True, "noUserGroup": True,
                            "noLogInit": True},))),
    Case("group-gid-password", passwd_3_3(groups=({"name": "devs", "gid": 3000, "passwordHash": "$6$grp"},))),
    Case("group-no-password", passwd_3_3(groups=({"name": "ops", "gid": 3001},)),
         ignore={"/etc/gshadow": "2.14 sets the group password to '*', HEAD and ignite leave groupadd's default"}),
    Case("user-existing-modified-keys",
         passwd_3_3(users=({"name": "old", "shell": "/bin/bash", "sshAuthorizedKeys": ["ssh-ed25519 AAAAold"]},)),
         prep=(add_user("old", 1200, "/home/old"),)),
    Case("user-delete", passwd_3_3(users=({"name": "gone", "shouldExist": False},)),
         prep=(add_user("gone", 1300, "/home/gone"),)),
    Case("group-delete", passwd_3_3(groups=({"name": "oldgrp", "shouldExist": False},)),
         prep=(add_group("oldgrp", 3100),)),
    Case("user-primary-group-from-config",
         passwd_3_3(users=({"name": "bob", "primaryGroup": "team", "noUserGroup": True},),
                    groups=({"name": "team", "gid": 3200, "passwordHash": "$6$t"},))),
    Case("file-owned-by-new-user",
         {**passwd_3_3(users=({"name": "web", "uid": 1600},)),
          "storage": {"files": [{"path": "/srv/www/index.html", "user": {"name": "web"}, "group": {"name": "users"},
                                 "contents": {"source": plain("<html/>")}}],
                      "directories": [{"path": "/srv/www", "user": {"name": "web"}}]}}),
]


@pytest.mark.oracle
@pytest.mark.root
@pytest.mark.parametrize("case", DIFFERENTIAL, ids=case_ids(DIFFERENTIAL))
def test_same_tree_as_ignition(case: Case, work: Path, http_files) -> None:
    same_tree_as_ignition(case, work, http_files)
