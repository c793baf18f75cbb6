"""The root resolver (ignite/root.py) on a fake filesystem: JoinPath's rules, and no
path ever resolving outside the root."""
from __future__ import annotations

import os

import pytest

from ignite.errors import NodeError, RootEscapeError
from ignite.root import Root

R = "/sysroot"


@pytest.fixture
def root(fs) -> Root:  # noqa: ANN001 - pyfakefs fixture
    fs.create_dir(R + "/etc")
    fs.create_dir(R + "/real/dir")
    return Root(R)


def test_plain_paths_are_joined_and_cleaned(root: Root) -> None:
    assert root.resolve("/etc/hostname") == R + "/etc/hostname"
    assert root.resolve("etc//./hostname") == R + "/etc/hostname"
    assert root.resolve("/") == R
    assert root.resolve("/a/b/../c") == R + "/a/c"


def test_dotdot_never_climbs_above_the_root(root: Root) -> None:
    assert root.resolve("/../../etc/passwd") == R + "/etc/passwd"
    assert root.resolve("/etc/../../../x") == R + "/x"


def test_absolute_symlink_is_read_relative_to_the_root(fs, root: Root) -> None:  # noqa: ANN001
    fs.create_symlink(R + "/etc/alt", "/real/dir")
    assert root.resolve("/etc/alt/file") == R + "/real/dir/file"


def test_relative_symlink_is_read_relative_to_its_directory(fs, root: Root) -> None:  # noqa: ANN001
    fs.create_symlink(R + "/etc/rel", "../real/dir")
    assert root.resolve("/etc/rel/file") == R + "/real/dir/file"


def test_the_last_component_is_never_followed(fs, root: Root) -> None:  # noqa: ANN001
    fs.create_symlink(R + "/etc/link", "/real/dir")
    assert root.resolve("/etc/link") == R + "/etc/link"


def test_hostile_links_stay_inside(fs, root: Root) -> None:  # noqa: ANN001
    fs.create_symlink(R + "/up", "../../../../..")
    fs.create_symlink(R + "/slash", "/")
    fs.create_symlink(R + "/hostetc", "/../../etc")
    assert root.resolve("/up/passwd") == R + "/passwd"
    assert root.resolve("/slash/etc/shadow") == R + "/etc/shadow"
    assert root.resolve("/hostetc/shadow") == R + "/etc/shadow"


def test_etc_as_a_link_to_slash_is_resolved_in_the_root(fs) -> None:  # noqa: ANN001
    fs.create_dir(R)
    fs.create_symlink(R + "/etc", "/")
    root = Root(R)
    assert root.resolve("/etc/passwd") == R + "/passwd"
    assert root.resolve("/etc/etc/etc/x") == R + "/x"


def test_chains_of_links_are_followed_inside_the_root(fs, root: Root) -> None:  # noqa: ANN001
    # Upstream resolves one level and lets the kernel follow /b, which points outside
    # the root: ignite keeps following inside it.
    fs.create_symlink(R + "/a", "b")
    fs.create_symlink(R + "/b", "/real")
    assert root.resolve("/a/dir/f") == R + "/real/dir/f"


def test_link_loops_are_an_error_naming_the_path(fs, root: Root) -> None:  # noqa: ANN001
    fs.create_symlink(R + "/loop1", "loop2")
    fs.create_symlink(R + "/loop2", "loop1")
    with pytest.raises(RootEscapeError, match="/loop1/x"):
        root.resolve("/loop1/x")


def test_a_file_in_the_middle_is_not_followed(fs, root: Root) -> None:  # noqa: ANN001
    fs.create_file(R + "/etc/file")
    assert root.resolve("/etc/file/x") == R + "/etc/file/x"


def test_guard_refuses_a_parent_that_leads_outside(fs, root: Root) -> None:  # noqa: ANN001
    fs.create_dir("/outside")
    fs.create_symlink(R + "/sneaky", "/outside")
    # As the resolver would never produce this path, only a link created after
    # resolution can lead here: the guard is the last line.
    with pytest.raises(RootEscapeError, match="sneaky"):
        root.guard(R + "/sneaky/file")
    root.guard(R + "/etc/file")


def test_makedirs_creates_missing_parents_with_0755(fs, root: Root) -> None:  # noqa: ANN001
    os.umask(0o022)
    root.makedirs(R + "/x/y/z")
    assert os.path.isdir(R + "/x/y/z")
    assert os.stat(R + "/x/y").st_mode & 0o777 == 0o755


def test_makedirs_refuses_a_file_in_the_way(fs, root: Root) -> None:  # noqa: ANN001
    fs.create_file(R + "/etc/notadir")
    with pytest.raises(NodeError, match="/etc/notadir"):
        root.makedirs(R + "/etc/notadir/sub")


def test_inner_and_host_are_inverse(root: Root) -> None:
    assert root.inner(root.host("/a/b")) == "/a/b"
    with pytest.raises(RootEscapeError):
        root.inner("/elsewhere/x")
