"""Hostile target roots and failing resources: nothing lands outside the root, errors name
the path, and a resource that fails its hash leaves nothing behind."""
from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import pytest
from files_helpers import data, require_root_user, run_ignite

from ignite.errors import IgniteError, NodeError, RootEscapeError


def cfg(**storage) -> dict:  # noqa: ANN003
    return {"ignition": {"version": "3.4.0"}, "storage": storage}


@pytest.fixture(autouse=True)
def _root_user() -> None:
    require_root_user()


def test_etc_linked_to_slash_writes_into_the_root(work: Path) -> None:
    root = work / "root"
    root.mkdir()
    os.symlink("/", root / "etc")
    name = f"ignite-hostile-{uuid.uuid4().hex}"
    run_ignite(cfg(files=[{"path": f"/etc/{name}", "contents": {"source": data(b"x")}}]), root, work / "w")
    assert not Path("/etc", name).exists()
    assert (root / name).read_bytes() == b"x"
    # The result file and the report follow the same resolution.
    assert (root / ".ignition-result.json").is_file()
    assert (root / "ignite" / "report.json").is_file()


def test_links_climbing_out_are_read_inside_the_root(work: Path) -> None:
    root = work / "root"
    (root / "etc").mkdir(parents=True)
    name = f"ignite-hostile-{uuid.uuid4().hex}"
    os.symlink("../../../../../../../../tmp", root / "up")
    os.symlink("/../../tmp", root / "abs")
    run_ignite(cfg(files=[{"path": f"/up/{name}", "contents": {"source": data(b"1")}}],
                   directories=[{"path": f"/abs/{name}.d"}]), root, work / "w")
    assert not Path("/tmp", name).exists() and not Path("/tmp", name + ".d").exists()
    assert (root / "tmp" / name).read_bytes() == b"1"
    assert (root / "tmp" / (name + ".d")).is_dir()


def test_a_link_made_by_the_config_cannot_redirect_a_later_write(work: Path) -> None:
    # 3.x validation forbids paths below a configured link; a cached or legacy config is
    # not re-validated, so the guard must hold on its own. Upstream writes to the host.
    root = work / "root"
    (root / "etc").mkdir(parents=True)
    name = f"ignite-hostile-{uuid.uuid4().hex}"
    config = cfg(
        links=[{"path": "/l", "target": "/"}], files=[{"path": f"/l/{name}", "contents": {"source": data(b"x")}}]
    )
    with pytest.raises(RootEscapeError, match=name):
        run_ignite(config, root, work / "w", raw=True)
    assert not Path("/", name).exists()


def test_a_file_where_a_directory_is_needed_is_an_error_naming_it(work: Path) -> None:
    root = work / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "foo").write_text("a file")
    with pytest.raises(NodeError, match="/etc/foo"):
        run_ignite(cfg(files=[{"path": "/etc/foo/bar", "contents": {"source": data(b"x")}}]), root, work / "w")
    assert (root / "etc" / "foo").read_text() == "a file"


def test_failed_hash_leaves_no_file_and_no_temporary(work: Path) -> None:
    root = work / "root"
    (root / "etc").mkdir(parents=True)
    bad = "sha512-" + hashlib.sha512(b"expected").hexdigest()
    config = cfg(files=[{"path": "/etc/f", "contents": {"source": data(b"tampered"), "verification": {"hash": bad}}}])
    with pytest.raises(IgniteError, match="/etc/f"):
        run_ignite(config, root, work / "w")
    # Only the journal a rerun of this config resumes from (see files_journal).
    assert os.listdir(root / "etc") == ["ignite"]
    assert os.listdir(root / "etc" / "ignite") == ["files.journal"]


def test_failed_append_hash_leaves_the_file_as_it_was(work: Path) -> None:
    root = work / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "f").write_bytes(b"original\n")
    bad = "sha512-" + hashlib.sha512(b"expected").hexdigest()
    config = cfg(files=[{"path": "/etc/f", "append": [{"source": data(b"ok\n")},
                                                      {"source": data(b"evil\n"), "verification": {"hash": bad}}]}])
    with pytest.raises(IgniteError):
        run_ignite(config, root, work / "w")
    assert (root / "etc" / "f").read_bytes() == b"original\n"
    assert sorted(os.listdir(root / "etc")) == ["f", "ignite"]  # and the journal, as above
    assert os.listdir(root / "etc" / "ignite") == ["files.journal"]


def test_root_that_is_not_a_directory_is_a_usage_error(work: Path) -> None:
    from ignite.errors import UsageError

    with pytest.raises(UsageError, match="not a directory"):
        run_ignite(cfg(), work / "missing", work / "w")
