"""What only legacy (2.x) configs can say, kept with its 2.x meaning: several entries for
one path applied in config order, and nodes on a named non-root filesystem, written into
that filesystem mounted on a temporary directory (a real ext4 on a loop device)."""
from __future__ import annotations

import stat
from pathlib import Path

import pytest
from files_helpers import require_root_user, run_ignite


@pytest.fixture(autouse=True)
def _root_user() -> None:
    require_root_user()


def test_duplicate_paths_apply_in_order(root: Path, work: Path) -> None:
    config = {"ignition": {"version": "3.6.0"}, "storage": {"files": [
        {"path": "/etc/dup", "mode": 0o600, "contents": {"source": "data:,first"}},
        {"path": "/etc/dup", "overwrite": True, "mode": 0o640, "contents": {"source": "data:,second"}},
        {"path": "/etc/dup", "append": [{"source": "data:,+third"}]},
    ]}}
    run_ignite(config, root, work / "w", raw=True)
    path = root / "etc/dup"
    assert path.read_text() == "second+third"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_nodes_on_a_named_filesystem_go_into_it(root: Path, work: Path, loopdevs, monkeypatch) -> None:  # noqa: ANN001
    scratch = work / "scratch"  # where the filesystem is mounted meanwhile (ScratchDir)
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    dev = loopdevs.create(64)
    loopdevs.mkfs(dev, "ext4", "-q")
    config = {"ignition": {"version": "3.6.0"}, "storage": {
        "filesystems": [{"device": dev, "format": "ext4", "name": "data"}],
        "directories": [{"path": "/app", "mode": 0o700, "filesystem": "data"}],
        "files": [{"path": "/app/conf", "contents": {"source": "data:,on%20data"}, "filesystem": "data"},
                  {"path": "/etc/on-root", "contents": {"source": "data:,root"}, "filesystem": "root"}],
        "links": [{"path": "/app/link", "target": "conf", "filesystem": "data"}],
    }}
    run_ignite(config, root, work / "w", raw=True)
    assert (root / "etc/on-root").read_text() == "root"
    assert not (root / "app").exists()
    assert list(scratch.iterdir()) == []  # unmounted, its mount point removed
    mnt = work / "mnt"
    loopdevs.mount(dev, mnt)
    assert (mnt / "app/conf").read_text() == "on data"
    assert stat.S_IMODE((mnt / "app").stat().st_mode) == 0o700
    assert (mnt / "app/link").readlink() == Path("conf")


def test_an_unknown_filesystem_name_is_refused_before_anything_changes(root: Path, work: Path) -> None:
    from ignite.errors import NodeError

    config = {"ignition": {"version": "3.6.0"}, "storage": {
        "files": [{"path": "/a", "filesystem": "nosuch"}, {"path": "/b"}]}}
    with pytest.raises(NodeError, match="nosuch"):
        run_ignite(config, root, work / "w", raw=True)
    assert not (root / "b").exists()
