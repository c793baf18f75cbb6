"""The journal's first block: before the files stage changes anything, one synced write
holds the header, the users' notes and the snapshots that the users cannot change, sealed
by its digest. A typical config then costs the stage two syncs of its own (the journal
and its directory) and the target's one sync at the end, where it used to cost a dozen.
Where the users could change what a snapshot says (a node in a new home, an account
file), or where a later user's state depends on an earlier one, the old order holds, and
the tree is the one a clean run makes, power loss or not."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from files_helpers import (
    JOURNAL_IN_ROOT,
    data,
    diff_manifests,
    finished_steps,
    lose_power_after,
    make_root,
    require_root_user,
    run_ignite,
    tree_without_journal,
)

from ignite.errors import NodeError
from ignite.stages import files_journal


@pytest.fixture(autouse=True)
def _root_user() -> None:
    require_root_user()


def typical() -> dict[str, Any]:
    return {
        "ignition": {"version": "3.4.0"},
        "passwd": {"users": [{"name": f"u{i}", "sshAuthorizedKeys": [f"ssh-ed25519 AAAA u{i}"]} for i in range(3)]},
        "storage": {"files": [{"path": f"/etc/app/f{i}", "contents": {"source": data(f"{i}\n")}} for i in range(5)]},
        "systemd": {"units": [{"name": f"a{i}.service", "enabled": True,
                               "contents": "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n"}
                              for i in range(2)]},
    }


def first_block(root: Path) -> list[str]:
    lines = (root / JOURNAL_IN_ROOT).read_text().splitlines()
    return lines[: next(i for i, line in enumerate(lines) if line.startswith("sealed ")) + 1]


def rerun_after_every_step_equals_a_clean_run(
    monkeypatch: pytest.MonkeyPatch, cfg: dict[str, Any], work: Path, prepare: Any = make_root
) -> None:
    reference = prepare(work / "ref")
    keys = finished_steps(monkeypatch, cfg, reference, work / "ref-w")
    expected = tree_without_journal(reference)
    for index, key in enumerate(keys):
        root = prepare(work / f"r{index}")
        lose_power_after(monkeypatch, key, cfg, root, work / f"w{index}")
        run_ignite(cfg, root, work / f"w{index}-again")
        problems = diff_manifests(tree_without_journal(root), expected)
        assert not problems, f"power lost at {key}:\n" + "\n".join(problems[:20])


def test_a_typical_config_syncs_the_journal_once_before_acting_and_the_target_once_at_the_end(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ignite.system import mounts

    fsyncs: list[int] = []
    syncs: list[list[str]] = []
    real_fsync, real_sync = os.fsync, mounts.sync_filesystems
    monkeypatch.setattr(os, "fsync", lambda fd: fsyncs.append(fd) or real_fsync(fd))
    monkeypatch.setattr(mounts, "sync_filesystems", lambda paths: syncs.append(list(paths)) or real_sync(paths))
    root = make_root(work / "root")
    run_ignite(typical(), root, work / "w")
    assert len(fsyncs) == 2 and len(syncs) == 1  # the journal and its directory; the target
    block = first_block(root)
    assert [line.split()[1] for line in block if line.startswith("note ")] == [f"passwd.users.{i}" for i in range(3)]
    assert {line for line in block if line.startswith("snapshot ")} == {
        "snapshot files.0", "snapshot presets", "snapshot result"}
    assert not [line for line in block if line.startswith("exists ")]
    assert (root / "etc/systemd/system-preset/20-ignition.preset").read_text() == (
        "enable a0.service\nenable a1.service\n")


def test_a_typical_config_reruns_after_a_power_loss_at_every_step_as_one_clean_run(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rerun_after_every_step_equals_a_clean_run(monkeypatch, typical(), work)


def with_skel(path: Path, home_base: str | None = None) -> Path:
    """A target whose useradd copies a .profile into new homes (and puts them in
    `home_base` when given)."""
    make_root(path)
    (path / "etc/skel").mkdir()
    (path / "etc/skel/.profile").write_text("# skel\n")
    if home_base:
        (path / "etc/default").mkdir()
        (path / "etc/default/useradd").write_text(f"SHELL=/bin/sh\nHOME={home_base}\n")
        (path / home_base.lstrip("/")).mkdir(parents=True)
    return path


@pytest.mark.parametrize("home_base", [None, "/var/home"])
def test_a_file_in_a_new_home_is_judged_after_the_user_is_made(
    work: Path, home_base: str | None
) -> None:
    """useradd copies .profile into core's new home; the config's own .profile (no
    overwrite) is then refused, as by upstream: the snapshot of it waits for the users."""
    base = home_base or "/home"
    cfg = {"ignition": {"version": "3.4.0"}, "passwd": {"users": [{"name": "core"}]},
           "storage": {"files": [{"path": f"{base}/core/.profile", "contents": {"source": data("mine\n")}}]}}
    root = with_skel(work / "root", home_base)
    with pytest.raises(NodeError, match="A file exists there already and overwrite is false"):
        run_ignite(cfg, root, work / "w")
    assert "snapshot files.0" not in first_block(root)
    assert (root / base.lstrip("/") / "core/.profile").read_text() == "# skel\n"


def test_a_file_useradd_makes_is_judged_after_the_users(work: Path) -> None:
    """useradd leaves a backup of the passwd file (`/etc/passwd-`); a config that writes
    that path too is refused, as by upstream: the snapshot waits for the users."""
    cfg = {"ignition": {"version": "3.4.0"}, "passwd": {"users": [{"name": "core"}]},
           "storage": {"files": [{"path": "/etc/passwd-", "contents": {"source": data("mine\n")}}]}}
    root = make_root(work / "root")
    with pytest.raises(NodeError, match="A file exists there already and overwrite is false"):
        run_ignite(cfg, root, work / "w")
    assert "snapshot files.0" not in first_block(root)
    assert "mine" not in (root / "etc/passwd-").read_text()


def test_the_nodes_the_users_cannot_change_are_snapshot_first_and_written_while_useradd_runs(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file in a new home leaves only its own snapshot to after the users: the others are
    in the first block (`later` names the one left), and are written while useradd runs
    (files_alongside). A power loss at any step, then a rerun: one clean run's tree."""
    cfg = typical()
    cfg["storage"]["files"].append({"path": "/home/u1/.config", "contents": {"source": data("mine\n")}})
    root = with_skel(work / "root")
    run_ignite(cfg, root, work / "w")
    block = first_block(root)
    assert "snapshot before-users" in block and "later files.0 files.5" in block
    assert "snapshot files.0" not in block and not [line for line in block if line.startswith("exists ")]
    assert os.stat(root / "etc/app/f0").st_mtime_ns < os.stat(root / "etc/passwd").st_mtime_ns
    assert (root / "home/u1/.config").read_text() == "mine\n"
    rerun_after_every_step_equals_a_clean_run(monkeypatch, cfg, work / "rerun", with_skel)


def test_the_preset_file_a_config_entry_writes_is_appended_to(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry writes the preset file before the units add to it: it is recorded as there,
    and keeps the append protocol (a rerun adds the units' lines once)."""
    preset = "/etc/systemd/system-preset/20-ignition.preset"
    cfg = {"ignition": {"version": "3.4.0"},
           "storage": {"files": [{"path": preset, "contents": {"source": data("disable old.service\n")}}]},
           "systemd": {"units": [{"name": "a.service", "enabled": True,
                                  "contents": "[Service]\nExecStart=/bin/true\n"}]}}
    root = make_root(work / "root")
    run_ignite(cfg, root, work / "w")
    assert "exists presets" in first_block(root)
    assert (root / preset.lstrip("/")).read_text() == "disable old.service\nenable a.service\n"
    rerun_after_every_step_equals_a_clean_run(monkeypatch, cfg, work / "rerun")


def test_users_whose_state_depends_on_an_earlier_user_are_noted_at_their_turn(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A home inside an earlier user's home (which useradd makes): noted when its turn
    comes, after the earlier users are made, and a rerun still ends as one clean run."""
    cfg = {"ignition": {"version": "3.4.0"}, "passwd": {"users": [
        {"name": "a", "homeDir": "/srv/a"},
        {"name": "b", "homeDir": "/srv/a/b"},
        {"name": "c"},
    ]}}
    root = make_root(work / "root")
    (root / "srv").mkdir()
    run_ignite(cfg, root, work / "w")
    noted = [line.split()[1] for line in first_block(root) if line.startswith("note ")]
    assert noted == ["passwd.users.0", "passwd.users.2"]
    assert "note passwd.users.1 " in (root / JOURNAL_IN_ROOT).read_text()
    def prepare(path: Path) -> Path:
        make_root(path)
        (path / "srv").mkdir()
        return path

    rerun_after_every_step_equals_a_clean_run(monkeypatch, cfg, work / "rerun", prepare)


def test_a_first_block_cut_short_reads_as_no_journal(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A power loss during the first write may keep part of it: without a seal that matches,
    the journal is not trusted (its snapshot could be missing lines) and is made anew, so
    a node the interrupted run made counts as there before, and is refused as upstream."""
    cfg = typical()
    root = make_root(work / "root")
    lose_power_after(monkeypatch, "files.2", cfg, root, work / "w")
    text = (root / JOURNAL_IN_ROOT).read_text()
    (root / JOURNAL_IN_ROOT).write_text(text.replace("snapshot files.0\n", ""))  # the seal no longer matches
    with pytest.raises(NodeError, match="A file exists there already and overwrite is false"):
        run_ignite(cfg, root, work / "w2")


def test_the_target_is_synced_while_the_report_is_written_and_done_lines_wait_for_it(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The final sync runs in a thread while the report is written; the `done` lines go out
    only once it has returned."""
    import time

    from ignite.stages import files

    root = make_root(work / "root")
    seen: dict[str, Any] = {}

    def sync(_root: Any) -> None:
        deadline = time.monotonic() + 10
        while not (root / "etc/ignite/report.json").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        seen["report during sync"] = (root / "etc/ignite/report.json").exists()
        seen["done before sync returned"] = "\ndone " in (root / JOURNAL_IN_ROOT).read_text()

    monkeypatch.setattr(files, "_sync_target", sync)
    run_ignite(typical(), root, work / "w")
    assert seen == {"report during sync": True, "done before sync returned": False}
    assert "\ndone result\n" in (root / JOURNAL_IN_ROOT).read_text()


def test_a_failed_final_sync_fails_the_stage_without_done_lines(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from ignite.stages import files

    def sync(_root: Any) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(files, "_sync_target", sync)
    root = make_root(work / "root")
    with pytest.raises(NodeError, match="Input/output error"):
        run_ignite(typical(), root, work / "w")
    assert "\ndone " not in (root / JOURNAL_IN_ROOT).read_text()


def test_the_first_block_is_synced_while_the_actions_modules_load_and_before_any_change(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first block's sync runs in a thread while the stage loads what its actions need;
    no action starts before it has returned."""
    import threading
    import time

    from ignite.stages import files

    root = make_root(work / "root")
    loading = threading.Event()
    seen: dict[str, bool] = {}
    real_load, real_sync_dir = files._load_action_modules, files_journal.sync_dir

    def load(*args: Any) -> None:
        loading.set()
        real_load(*args)

    def sync_dir(path: str) -> None:
        seen["loading during the sync"] = loading.wait(10)
        time.sleep(0.3)  # time enough for a stage that did not wait to add its first user
        seen["a user before the sync returned"] = "u0:" in (root / "etc/passwd").read_text()
        real_sync_dir(path)

    monkeypatch.setattr(files, "_load_action_modules", load)
    monkeypatch.setattr(files_journal, "sync_dir", sync_dir)
    run_ignite(typical(), root, work / "w")
    assert seen == {"loading during the sync": True, "a user before the sync returned": False}
    assert "u0:" in (root / "etc/passwd").read_text()


def test_a_failed_first_sync_changes_nothing(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno


    def sync_dir(path: str) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(files_journal, "sync_dir", sync_dir)
    root = make_root(work / "root")
    passwd = (root / "etc/passwd").read_text()
    with pytest.raises(NodeError, match="Input/output error"):
        run_ignite(typical(), root, work / "w")
    assert (root / "etc/passwd").read_text() == passwd and not (root / "etc/app").exists()
