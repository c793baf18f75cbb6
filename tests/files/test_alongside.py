"""The nodes written while shadow-utils makes the users (ignite/stages/files_alongside.py):
which ones qualify, that they are written during useradd's run yet recorded in Ignition's
order, and which error wins when a node or a user fails."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from differential_helpers import UNIT, Case, case_ids, passwd, plain, put, same_tree_as_ignition
from files_helpers import make_root, require_root_user, run_ignite

from ignite import record
from ignite.config.codec import config_from_json
from ignite.errors import NodeError
from ignite.root import Root
from ignite.stages.files_alongside import entries_meanwhile
from ignite.stages.files_journal import Journal
from ignite.stages.files_nodes import plan_nodes
from ignite.stages.files_snapshot import account_paths

DATA = "data:,x"


def config(users: list[dict[str, Any]], **storage: list[dict[str, Any]]) -> dict[str, Any]:
    return {"ignition": {"version": "3.4.0"}, "passwd": {"users": users}, "storage": storage}


def meanwhile(root: Path, cfg: dict[str, Any], *, snapshot: bool = True, journal: Path | None = None) -> list[str]:
    parsed = config_from_json(cfg)
    target = Root(str(root))
    entries = plan_nodes(parsed.storage, target)
    log = Journal(journal or root.parent / "journal", "test")
    if snapshot:  # files_snapshot.take_early's, when the users cannot change what it says
        log.snapshot(entries[0].key, lambda: [])
    return [e.path for e in entries_meanwhile(entries, target, account_paths(target, parsed.passwd), log)]


def test_only_nodes_the_account_tools_cannot_touch_go_meanwhile(tmp_path: Path) -> None:
    root = make_root(tmp_path / "root")
    for d in ("opt", "var"):
        (root / d).mkdir()
    cfg = config(
        [{"name": "core"}, {"name": "svc", "homeDir": "/srv/svc"}],
        files=[
            {"path": "/etc/bench/f", "contents": {"source": DATA}},  # yes
            {"path": "/etc/motd", "mode": 0o644, "user": {"id": 1000}},  # yes: an owner by id
            {"path": "/etc/passwd-extra"},  # an account file's name: its backups and locks
            {"path": "/etc/login.defs"},  # read by useradd
            {"path": "/etc/login.defs.d/50-uid.conf"},  # where shadow-utils built with libeconf reads it
            {"path": "/etc/default/useradd"},
            {"path": "/etc/skel/.bashrc"},  # copied into new homes
            {"path": "/home/core/.profile"},  # in a home
            {"path": "/srv/svc/app.conf"},  # in a home named by the config
            {"path": "/srv/other"},  # makes /srv, which useradd makes for /srv/svc
            {"path": "/usr/local/bin/tool"},  # the chroot's libraries and helpers
            {"path": "/var/mail/core"},  # a mail spool
            {"path": "/var/lib/app/state"},  # yes
            {"path": "/etc/owned", "user": {"name": "core"}},  # an owner by name
            {"path": "/etc/fetched", "contents": {"source": "http://127.0.0.1:1/x"}},  # not in the config
            {"path": "/opt/app/conf", "contents": {"source": DATA}},  # lies in a node written after
        ],
        directories=[
            {"path": "/home"},  # holds the homes
            {"path": "/opt/app", "group": {"name": "core"}},
        ],
        links=[
            {"path": "/etc/alt", "target": "/etc/passwd"},  # yes: its target is not touched
            {"path": "/etc/hard", "target": "/etc/bench/f", "hard": True},  # may link to any node
        ],
    )
    assert meanwhile(root, cfg) == ["/etc/motd", "/etc/alt", "/etc/bench/f", "/var/lib/app/state"]


def test_a_directory_on_the_way_to_a_home_is_made_meanwhile_only_if_it_exists(tmp_path: Path) -> None:
    root = make_root(tmp_path / "root")
    cfg = config([{"name": "svc", "homeDir": "/srv/svc"}], files=[{"path": "/srv/other"}])
    assert meanwhile(root, cfg) == []
    (root / "srv").mkdir()
    assert meanwhile(root, cfg) == ["/srv/other"]


def test_the_home_base_of_the_target_s_useradd_counts(tmp_path: Path) -> None:
    root = make_root(tmp_path / "root")
    (root / "etc/default").mkdir()
    (root / "etc/default/useradd").write_text("HOME=/var/home\n")
    (root / "var").mkdir()
    cfg = config([{"name": "core"}], files=[{"path": "/var/home/core/x"}, {"path": "/var/other"}])
    assert meanwhile(root, cfg) == ["/var/other"]


def test_nothing_goes_meanwhile_on_a_rerun_or_without_the_early_snapshot(tmp_path: Path) -> None:
    root = make_root(tmp_path / "root")
    cfg = config([{"name": "core"}], files=[{"path": "/etc/bench/f"}])
    assert meanwhile(root, cfg, snapshot=False) == []
    journal = tmp_path / "journal"
    log = Journal(journal, "test")
    log.snapshot("files.0", lambda: [])
    log.start()()
    log.close()
    assert meanwhile(root, cfg, journal=journal) == []  # a resumed journal: a rerun


# --- with shadow-utils ---------------------------------------------------------------------


@pytest.fixture
def as_root() -> None:
    require_root_user()


def actions(work: Path) -> list[tuple[str, str]]:
    return [(e["action"], e["target"]) for e in record.read(record.path_for(work / "state"))
            if e.get("event") == "action"]


@pytest.mark.usefixtures("as_root")
def test_nodes_are_written_while_useradd_runs_and_recorded_in_ignition_s_order(root: Path, work: Path) -> None:
    users = [{"name": f"u{i}"} for i in range(3)]
    files = [{"path": f"/etc/bench/f{i:02}", "contents": {"source": f"data:,{i}"}} for i in range(40)]
    run_ignite(config(users, files=files), root, work)  # also checks the record against the plan
    # Written before the last useradd rewrote the account files: meanwhile.
    assert os.stat(root / "etc/bench/f00").st_mtime_ns < os.stat(root / "etc/passwd").st_mtime_ns
    done = actions(work)
    assert [a for a, _ in done[:3]] == ["add user"] * 3
    assert done[3:43] == [("write file", f"/etc/bench/f{i:02}") for i in range(40)]


@pytest.mark.usefixtures("as_root")
def test_a_node_that_fails_meanwhile_fails_the_stage_once_the_users_are_made(root: Path, work: Path) -> None:
    users = [{"name": f"u{i}"} for i in range(3)]
    files = [{"path": "/etc/ok", "contents": {"source": DATA}},
             {"path": "/etc/bad", "contents": {"source": DATA, "verification": {"hash": "sha512-" + "0" * 128}}},
             {"path": "/etc/never", "contents": {"source": DATA}}]
    with pytest.raises(NodeError, match="/etc/bad") as err:
        run_ignite(config(users, files=files), root, work)
    assert err.value.json_path == "$.storage.files.1"
    assert all(f"u{i}:" in (root / "etc/passwd").read_text() for i in range(3))
    assert (root / "etc/ok").exists() and not (root / "etc/bad").exists() and not (root / "etc/never").exists()
    assert ("write file", "/etc/ok") in actions(work)  # what was done is in the record


@pytest.mark.usefixtures("as_root")
def test_a_user_that_fails_wins_over_a_node_that_fails(root: Path, work: Path) -> None:
    users = [{"name": "u0", "primaryGroup": "nosuchgroup"}]
    files = [{"path": "/etc/bad", "contents": {"source": DATA, "verification": {"hash": "sha512-" + "0" * 128}}}]
    with pytest.raises(NodeError, match="failed to create user") as err:
        run_ignite(config(users, files=files), root, work)
    assert err.value.json_path == "$.passwd.users.0"


@pytest.mark.usefixtures("as_root")
def test_ssh_keys_and_nodes_meanwhile_keep_their_owners_and_modes(root: Path, work: Path) -> None:
    """A user's keys are written with the user's ids and umask 077: no node is written then."""
    users = [{"name": f"u{i}", "sshAuthorizedKeys": [f"ssh-ed25519 AAAA{i} u{i}"]} for i in range(3)]
    files = [{"path": f"/etc/deep/d{i}/f", "contents": {"source": DATA}} for i in range(30)]
    run_ignite(config(users, files=files), root, work)
    for i in range(30):
        d, f = os.stat(root / f"etc/deep/d{i}"), os.stat(root / f"etc/deep/d{i}/f")
        assert (d.st_uid, d.st_mode & 0o777, f.st_uid, f.st_mode & 0o777) == (0, 0o755, 0, 0o644)
    uid = int((root / "etc/passwd").read_text().split("u1:x:")[1].split(":")[0])
    keys = root / "home/u1/.ssh/authorized_keys.d/ignition"
    assert (keys.stat().st_uid, keys.stat().st_mode & 0o777) == (uid, 0o600)


# --- against Debian's ignition 2.14 (differential_helpers.py) ------------------------------


def _mixed() -> dict[str, Any]:
    """Nodes that go meanwhile and nodes that must wait, side by side."""
    return {
        "ignition": {"version": "3.3.0"},
        "passwd": {
            "users": [{"name": "core", "sshAuthorizedKeys": ["ssh-ed25519 AAAAcore"]},
                      {"name": "svc", "homeDir": "/srv/svc", "primaryGroup": "team", "noUserGroup": True}],
            "groups": [{"name": "team", "gid": 3300, "passwordHash": "$6$t"}],
        },
        "storage": {
            "files": [
                *({"path": f"/etc/bench/f{i:02}", "mode": 0o640, "contents": {"source": plain(f"file {i}\n")}}
                  for i in range(20)),
                {"path": "/etc/skel/.bashrc", "overwrite": True, "contents": {"source": plain("new skel\n")}},
                {"path": "/home/core/.profile", "contents": {"source": plain("profile\n")}},
                {"path": "/srv/svc/app.conf", "user": {"name": "svc"}, "contents": {"source": plain("app\n")}},
                {"path": "/srv/readme", "contents": {"source": plain("readme\n")}},
                {"path": "/opt/app/conf", "contents": {"source": plain("conf\n")}},
                {"path": "/etc/motd", "append": [{"source": plain("welcome\n")}]},
            ],
            "directories": [{"path": "/opt/app", "group": {"name": "team"}, "mode": 0o2775}],
            "links": [{"path": "/etc/alt", "target": "/etc/bench/f00"},
                      {"path": "/etc/hard", "target": "/etc/bench/f01", "hard": True}],
        },
        "systemd": {"units": [{"name": "a.service", "enabled": True, "contents": UNIT}]},
    }


DIFFERENTIAL = [
    Case("meanwhile-and-after", _mixed(), prep=(put("/etc/skel/.bashrc", "old skel\n"),),
         ignore={"/etc/gshadow": "2.14 sets the group password to '*', HEAD and ignite leave groupadd's default"}),
    Case("home-base-from-useradd-defaults",
         passwd(users=({"name": "core"},),
                storage={"files": [{"path": "/var/home/core/x", "contents": {"source": plain("x\n")}},
                                   {"path": "/var/other", "contents": {"source": plain("y\n")}}]}),
         prep=(put("/etc/default/useradd", "HOME=/var/home\n"), put("/var/home/.keep", ""))),
]


@pytest.mark.oracle
@pytest.mark.root
@pytest.mark.parametrize("case", DIFFERENTIAL, ids=case_ids(DIFFERENTIAL))
def test_same_tree_as_ignition(case: Case, work: Path, http_files) -> None:  # noqa: ANN001
    same_tree_as_ignition(case, work, http_files)
