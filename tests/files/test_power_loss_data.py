"""A power loss that also loses file data: a file renamed into place whose contents never
reached the disk reads back empty (ext4's delayed allocation), and no journal line about
it survived. The journal's snapshot of what existed before says the interrupted run made
that file, so the rerun writes it again and ends as one clean run (it used to refuse).
And the stage's syncs are the target's own (syncfs of its filesystems), never the
machine's os.sync."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from files_helpers import (
    JOURNAL_IN_ROOT,
    SYNCED_LINES,
    Died,
    data,
    diff_manifests,
    power_loss_root,
    require_root_user,
    run_ignite,
    tree_without_journal,
)


@pytest.fixture(autouse=True)
def _root_user() -> None:
    require_root_user()


def config() -> dict[str, Any]:
    return {
        "ignition": {"version": "3.4.0"},
        "passwd": {"users": [{"name": "core", "sshAuthorizedKeys": ["ssh-ed25519 AAAA core"]}]},
        "storage": {
            "directories": [{"path": "/srv/d", "mode": 0o750}],
            "files": [{"path": f"/srv/d/f{i}", "contents": {"source": data(b"%d\n" % i)}} for i in range(5)]
                     + [{"path": "/etc/motd", "append": [{"source": data(b"one\n")}]}],
            "links": [{"path": "/srv/link", "target": "d/f0"}, {"path": "/srv/hard", "target": "/srv/d/f1",
                                                                 "hard": True}],
        },
        "systemd": {"units": [{"name": "a.service", "contents": "[Service]\nExecStart=/bin/true\n", "enabled": True}]},
    }


def files_below(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and not p.is_symlink()}


def lose_power_and_data_after(monkeypatch: pytest.MonkeyPatch, step: str, root: Path, work: Path) -> list[str]:
    """Runs the stage until `step` finishes, then the power goes: of the journal only the
    synced lines stay, and every file the run made whose `done` was not written after a
    sync reads back empty. Returns the files emptied."""
    from ignite.stages.files_journal import Journal

    before = files_below(root)
    real_finish, real_close = Journal.finish, Journal.close

    def finish(self: Journal, k: str, durable: bool = False, synced: bool = False) -> None:
        if k == step:
            raise Died(k)
        real_finish(self, k, durable, synced)

    def close(self: Journal) -> None:
        os.close(self._fd)

    monkeypatch.setattr(Journal, "finish", finish)
    monkeypatch.setattr(Journal, "close", close)
    with pytest.raises(Died):
        run_ignite(config(), root, work)
    monkeypatch.setattr(Journal, "finish", real_finish)
    monkeypatch.setattr(Journal, "close", real_close)
    shutil.rmtree(work)
    lines = (root / JOURNAL_IN_ROOT).read_text().splitlines(keepends=True)
    durable_done = any(line.startswith("done ") for line in lines)  # only after a sync
    kept = [lines[0]] + [
        line for i, line in enumerate(lines[1:], 1)
        if line.startswith(SYNCED_LINES) or (line.startswith("begin ") and lines[i - 1].startswith("base "))
        or (line.startswith("done ") and durable_done)
    ]
    (root / JOURNAL_IN_ROOT).write_text("".join(kept))
    emptied = []
    for rel in sorted(files_below(root) - before):
        if rel.startswith(("etc/ignite/", "home/", "etc/passwd", "etc/group", "etc/shadow", "etc/gshadow")):
            continue  # the journal; what useradd made (synced before its `done`)
        (root / rel).write_bytes(b"")
        emptied.append(rel)
    return emptied


def test_files_made_by_the_interrupted_run_and_emptied_by_the_power_loss_are_written_again(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = power_loss_root(work / "ref")
    run_ignite(config(), reference, work / "ref-w")
    expected = tree_without_journal(reference)
    # In the order of the run: /etc/motd and /srv/link (depth 2) come before /srv/d/f*.
    steps = ["files.5", "links.0", "files.0", "files.2", "files.4", "links.1", "units.0"]
    for index, step in enumerate(steps):
        root = power_loss_root(work / f"r{index}")
        emptied = lose_power_and_data_after(monkeypatch, step, root, work / f"w{index}")
        if index >= 3:
            assert "srv/d/f0" in emptied  # the case this is about: an empty file, no line about it
        run_ignite(config(), root, work / f"w{index}-again")
        problems = diff_manifests(tree_without_journal(root), expected)
        assert not problems, f"power lost at {step}:\n" + "\n".join(problems[:20])
        assert (root / "etc/motd").read_text() == "existing\none\n"
        assert os.stat(root / "srv/hard").st_ino == os.stat(root / "srv/d/f1").st_ino


def test_the_stage_syncs_the_target_not_the_machine(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """os.sync would wait for every disk's writeback; the stage syncs its target's
    filesystems (syncfs), and the `done` lines are written after that."""
    from ignite.system import mounts

    synced: list[list[str]] = []
    real = mounts.sync_filesystems

    def record(paths: list[str]) -> None:
        synced.append(list(paths))
        real(paths)

    def machine_wide() -> None:
        raise AssertionError("os.sync called")

    monkeypatch.setattr(os, "sync", machine_wide)
    monkeypatch.setattr(mounts, "sync_filesystems", record)
    root = power_loss_root(work / "root")
    run_ignite(config(), root, work / "w")
    assert synced and all(paths[0] == os.path.realpath(root) for paths in synced)
    assert "done files.4" in (root / JOURNAL_IN_ROOT).read_text()


def test_users_and_nodes_cost_one_sync_of_the_target_and_done_lines_follow_it(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Users, nodes and units: one sync of the target, at the end (the users' `done` lines
    wait for it with the rest; a power loss before it is the rerun's case above), and no
    `done` line is in the journal before it."""
    from ignite.system import mounts

    cfg = {**config(), "passwd": {"users": [{"name": n, "sshAuthorizedKeys": [f"ssh-ed25519 AAAA {n}"]}
                                            for n in ("a", "b")]}}
    root = power_loss_root(work / "root")
    journal_at_sync: list[str] = []
    real = mounts.sync_filesystems

    def record(paths: list[str]) -> None:
        journal_at_sync.append((root / JOURNAL_IN_ROOT).read_text())
        real(paths)

    monkeypatch.setattr(mounts, "sync_filesystems", record)
    run_ignite(cfg, root, work / "w")
    assert len(journal_at_sync) == 1
    assert "done " not in journal_at_sync[0] and "note passwd.users.1 " in journal_at_sync[0]
    done = [line for line in (root / JOURNAL_IN_ROOT).read_text().splitlines() if line.startswith("done ")]
    # The nodes written while useradd ran (files_alongside) may come before the users.
    assert {"done passwd.users.0", "done passwd.users.1", "done files.4"} <= set(done)


def test_the_mounts_below_the_root_are_synced_too(work: Path) -> None:
    """A filesystem mounted below the target (here a tmpfs, at a path with a space, which
    mountinfo escapes) is among those synced."""
    from ignite.system.mounts import mounts_at_or_below, sync_filesystems

    root = work / "root"
    below = root / "var" / "a b"
    below.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(below)], check=True)
    try:
        found = mounts_at_or_below(str(root))
        assert found[0] == os.path.realpath(root) and os.path.realpath(below) in found
        assert str(root.parent) not in found
        sync_filesystems(found)
    finally:
        subprocess.run(["umount", str(below)], check=True)
    assert mounts_at_or_below(str(root)) == [os.path.realpath(root)]


def test_users_created_before_the_power_loss_get_the_same_ids_again(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The users' `done` lines go out after the last user: a power loss after the second
    of three loses both; the rerun removes them last first and creates all three again,
    with the ids one clean run gives (not the next free ones)."""
    from ignite.stages.files_journal import Journal

    cfg = {"ignition": {"version": "3.4.0"},
           "passwd": {"users": [{"name": n, "sshAuthorizedKeys": [f"ssh-ed25519 AAAA {n}"]} for n in ("a", "b", "c")]}}
    reference = power_loss_root(work / "ref")
    run_ignite(cfg, reference, work / "ref-w")
    real_finish, real_close = Journal.finish, Journal.close
    for step in ("passwd.users.0", "passwd.users.1", "passwd.users.2"):
        root = power_loss_root(work / step)

        def finish(self: Journal, k: str, durable: bool = False, synced: bool = False, _step: str = step) -> None:
            if k == _step:
                raise Died(k)
            real_finish(self, k, durable, synced)

        monkeypatch.setattr(Journal, "finish", finish)
        monkeypatch.setattr(Journal, "close", lambda self: os.close(self._fd))
        with pytest.raises(Died):
            run_ignite(cfg, root, work / f"{step}-w")
        monkeypatch.setattr(Journal, "finish", real_finish)
        monkeypatch.setattr(Journal, "close", real_close)
        shutil.rmtree(work / f"{step}-w")
        journal = (root / JOURNAL_IN_ROOT).read_text()
        assert "done passwd" not in journal  # none was synced yet: all are lost
        run_ignite(cfg, root, work / f"{step}-again")
        for name in ("passwd", "group"):
            assert (root / "etc" / name).read_text() == (reference / "etc" / name).read_text(), step
        for n in ("a", "b", "c"):
            keys = root / "home" / n / ".ssh/authorized_keys.d/ignition"
            assert keys.read_text() == f"ssh-ed25519 AAAA {n}\n"


def test_without_a_mountinfo_the_machine_is_synced(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An image build in a chroot without /proc: the mounts below the target cannot be
    listed, so the whole machine's writeback stands in (the stage used to fail, blaming
    its journal)."""
    from ignite.system import mounts

    calls: list[str] = []
    real_sync = os.sync
    monkeypatch.setattr(os, "sync", lambda: calls.append("os.sync") or real_sync())
    mounts.sync_tree(str(work), mountinfo=str(work / "no-proc" / "mountinfo"))
    assert calls == ["os.sync"]
    mounts.sync_tree(str(work))
    assert calls == ["os.sync"]  # with a mountinfo: syncfs, not the machine
