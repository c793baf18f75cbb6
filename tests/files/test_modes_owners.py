"""Modes and owners of created nodes, on a fake filesystem (no root needed): defaults
0644/0755, the config's mode, special bits (3.6+ keeps them; older configs had them
stripped by translation), an existing file's mode and owner kept when only appended to."""
from __future__ import annotations

import os
import stat

import pytest

from ignite.config.codec import config_from_json
from ignite.resource import FetchSettings
from ignite.root import Root
from ignite.stages.files_journal import Journal
from ignite.stages.files_nodes import NodeWriter, plan_nodes
from ignite.system.users import Accounts

R = "/sysroot"


def apply(**storage) -> list[tuple[str, str]]:  # noqa: ANN003
    from pathlib import Path

    config = config_from_json({"ignition": {"version": "3.6.0"}, "storage": storage})
    root = Root(R)
    actions: list[tuple[str, str]] = []
    journal = Journal(Path("/run/journal"), "test")
    try:
        NodeWriter(root, Accounts(R), journal, FetchSettings(), lambda a, t: actions.append((a, t))).apply(
            plan_nodes(config.storage, root))
    finally:
        journal.close()
    return actions


def mode(path: str) -> int:
    return stat.S_IMODE(os.lstat(R + path).st_mode)


@pytest.fixture(autouse=True)
def fake_root(fs):  # noqa: ANN001, ANN201 - pyfakefs fixture
    os.umask(0o022)
    fs.create_file(R + "/etc/passwd", contents="root:x:0:0::/root:/bin/sh\nweb:x:33:33::/var/www:/bin/false\n")
    fs.create_file(R + "/etc/group", contents="root:x:0:\nweb:x:33:\n")
    fs.create_dir("/run")
    return fs


def test_defaults_for_files_dirs_and_missing_parents() -> None:
    apply(files=[{"path": "/a/b/f", "contents": {"source": "data:,x"}}], directories=[{"path": "/d/e"}])
    assert (mode("/a/b/f"), mode("/a/b"), mode("/a"), mode("/d/e"), mode("/d")) == (0o644, 0o755, 0o755, 0o755, 0o755)


def test_configured_modes_including_special_bits() -> None:
    apply(files=[{"path": "/bin/suid", "mode": 0o4755, "contents": {"source": "data:,x"}}],
          directories=[{"path": "/tmp", "mode": 0o1777}, {"path": "/private", "mode": 0o700}])
    assert (mode("/bin/suid"), mode("/tmp"), mode("/private")) == (0o4755, 0o1777, 0o700)


def test_owner_by_name_is_looked_up_in_the_target(fake_root) -> None:  # noqa: ANN001
    apply(files=[{"path": "/srv/f", "user": {"name": "web"}, "group": {"name": "web"}}])
    st = os.lstat(R + "/srv/f")
    assert (st.st_uid, st.st_gid) == (33, 33)


def test_append_keeps_existing_mode_and_owner(fake_root) -> None:  # noqa: ANN001
    fake_root.create_file(R + "/etc/motd", contents="old\n", st_mode=stat.S_IFREG | 0o600)
    os.chown(R + "/etc/motd", 33, 33)
    actions = apply(files=[{"path": "/etc/motd", "append": [{"source": "data:,new%0A"}]}])
    assert open(R + "/etc/motd").read() == "old\nnew\n"
    st = os.lstat(R + "/etc/motd")
    assert (mode("/etc/motd"), st.st_uid, st.st_gid) == (0o600, 33, 33)
    assert actions == [("append to file", "/etc/motd")]


def test_existing_file_without_contents_only_gets_mode_and_owner(fake_root) -> None:  # noqa: ANN001
    fake_root.create_file(R + "/etc/keep", contents="keep\n")
    apply(files=[{"path": "/etc/keep", "mode": 0o640, "user": {"id": 33}}])
    assert open(R + "/etc/keep").read() == "keep\n"
    assert (mode("/etc/keep"), os.lstat(R + "/etc/keep").st_uid) == (0o640, 33)


def test_existing_directory_keeps_mode_unless_set(fake_root) -> None:  # noqa: ANN001
    fake_root.create_dir(R + "/var/lib", perm_bits=0o711)
    apply(directories=[{"path": "/var/lib"}, {"path": "/var/lib/x", "mode": 0o750}])
    assert (mode("/var/lib"), mode("/var/lib/x")) == (0o711, 0o750)


def test_symlink_gets_the_configured_owner_not_its_target(fake_root) -> None:  # noqa: ANN001
    fake_root.create_file(R + "/etc/target")
    apply(links=[{"path": "/etc/ln", "target": "target", "user": {"id": 33}, "group": {"id": 33}}])
    st = os.lstat(R + "/etc/ln")
    assert stat.S_ISLNK(st.st_mode) and (st.st_uid, st.st_gid) == (33, 33)
    assert os.lstat(R + "/etc/target").st_uid == 0
