"""`kill -9` during the files stage, then a rerun: the tree equals one clean run's.

Two ways: a real `python -m ignite run --stage files` killed at points spread over its
run time, and, deterministically, a stage stopped right after each commit but before
the journal records it (the narrowest window) by making the journal's `finish` die.
"""
from __future__ import annotations

import hashlib
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from files_helpers import (
    Died,
    data,
    diff_manifests,
    finished_steps,
    make_root,
    manifest,
    require_root_user,
    run_ignite,
    run_ignite_process,
)

UNIT = "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n"


def big_config(n: int = 400, dirs: int = 20) -> dict[str, Any]:
    return {
        "ignition": {"version": "3.4.0"},
        "passwd": {
            "groups": [{"name": "team", "gid": 3000, "passwordHash": "$6$x"}],
            "users": [
                {"name": "core", "sshAuthorizedKeys": ["ssh-ed25519 AAAA core"]},
                {"name": "svc", "uid": 1500, "groups": ["team"], "passwordHash": "$6$y"},
            ],
        },
        "storage": {
            "directories": [{"path": f"/srv/d{i}", "mode": 0o750, "user": {"name": "core"}} for i in range(dirs)],
            "files": [
                {
                    "path": f"/srv/d{i % dirs}/f{i}",
                    "mode": 0o640,
                    "contents": {"source": data(hashlib.sha512(str(i).encode()).digest() * 3)},
                }
                for i in range(n)
            ]
            + [
                {"path": "/etc/motd", "append": [{"source": data(b"one\n")}, {"source": data(b"two\n")}]},
                {"path": "/etc/replaced", "overwrite": True, "contents": {"source": data(b"new\n")}},
            ],
            "links": [
                {"path": "/srv/link", "target": "d0/f0", "user": {"id": 5}},
                {"path": "/srv/hard", "hard": True, "target": "/srv/d1/f1"},
            ],
        },
        "systemd": {
            "units": [
                {
                    "name": "a.service",
                    "contents": UNIT,
                    "enabled": True,
                    "dropins": [{"name": "x.conf", "contents": "[Unit]\n"}],
                },
                {"name": "b.service", "enabled": True},
                {"name": "old.service", "enabled": False},
                {"name": "masked.service", "mask": True},
            ]
        },
    }


def prepare(root: Path) -> Path:
    make_root(root)
    (root / "etc" / "motd").write_text("existing\n")
    (root / "etc" / "replaced").write_text("old\n")
    units = root / "etc/systemd/system"
    (units / "multi-user.target.wants").mkdir(parents=True)
    (units / "old.service").write_text(UNIT)
    os.symlink("/etc/systemd/system/old.service", units / "multi-user.target.wants/old.service")
    (root / "etc/systemd/system-preset").mkdir()
    (root / "etc/systemd/system-preset/20-ignition.preset").write_text("enable before.service\n")
    return root


def tree(root: Path) -> dict[str, dict[str, Any]]:
    m = manifest(root, lambda rel: rel == "/etc/ignite" or rel.startswith("/etc/ignite/"))
    m["/etc/.ignition-result.json"].pop("sha256")  # a date and the boot id
    m["/etc/.ignition-result.json"].pop("size")
    return m


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[dict[str, dict[str, Any]], float]:  # noqa: ANN001
    """The clean run's tree, and how long that run took (kills are placed within it)."""
    require_root_user()
    base = Path(os.environ.get("TMPDIR", "/var/tmp"))
    work = Path(__import__("tempfile").mkdtemp(prefix="ignite-crash-ref-", dir=base))
    work.chmod(0o755)
    try:
        root = prepare(work / "root")
        start = time.monotonic()
        proc = run_ignite_process(big_config(), root, work / "w")
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
        return tree(root), time.monotonic() - start
    finally:
        __import__("shutil").rmtree(work, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.parametrize("fraction", [0.15, 0.3, 0.45, 0.6, 0.75, 0.9])
def test_kill_9_then_rerun_equals_a_clean_run(fraction: float, reference, work: Path) -> None:  # noqa: ANN001
    expected, duration = reference
    delay = fraction * duration
    for attempt in range(4):  # a run that ends before the kill is retried with a shorter delay
        root = prepare(work / f"root{attempt}")
        w = work / f"w{attempt}"
        # Its own process group, killed whole, as systemd kills a failed unit's cgroup:
        # a useradd the stage started must not outlive it and race the rerun.
        proc = run_ignite_process(big_config(), root, w, start_new_session=True)
        time.sleep(delay)
        killed = proc.poll() is None
        if killed:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=120)
        wait_group_gone(proc.pid)
        if killed:
            break
        delay /= 2
    assert killed, "the stage always finished before the kill"
    rerun = run_ignite_process(big_config(), root, w)
    _, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err.decode()
    problems = diff_manifests(tree(root), expected)
    assert not problems, f"killed after {delay:.2f}s:\n" + "\n".join(problems[:20])


def wait_group_gone(pgid: int, timeout: float = 10.0) -> None:
    """Until no live process is left in the group (systemd too waits for an empty cgroup
    before it starts a unit again); zombies no one reaps here do not count."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = False
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
                alive = True
                break
        if not alive:
            return
        time.sleep(0.01)
    raise AssertionError(f"process group {pgid} still alive after SIGKILL")


def test_stopped_after_every_commit_then_rerun(reference, work: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    from ignite.stages.files_journal import Journal

    small = big_config(4, dirs=2)
    del reference  # only for the root check and the module's setup
    ref_root = prepare(work / "ref")
    keys = finished_steps(monkeypatch, small, ref_root, work / "ref-w")
    expected = tree(ref_root)
    assert len(keys) > 15
    real_finish = Journal.finish
    for index, key in enumerate(keys):
        root = prepare(work / f"r{index}")
        w = work / f"w{index}"

        def finish(self: Journal, k: str, durable: bool = False, synced: bool = False, _key: str = key) -> None:
            if k == _key:
                raise Died(k)
            real_finish(self, k, durable, synced)

        monkeypatch.setattr(Journal, "finish", finish)
        with pytest.raises(Died):
            run_ignite(small, root, w)
        monkeypatch.setattr(Journal, "finish", real_finish)
        run_ignite(small, root, w)
        problems = diff_manifests(tree(root), expected)
        assert not problems, f"stopped before recording {key}:\n" + "\n".join(problems[:20])
