"""Planning on a fake filesystem: upstream's order, duplicates, owners checked first."""
from __future__ import annotations

import pytest

from ignite.config.codec import config_from_json
from ignite.errors import NodeError
from ignite.root import Root
from ignite.stages.files_nodes import check_owners, plan_nodes
from ignite.system.users import Accounts

R = "/sysroot"


def storage(**lists):  # noqa: ANN003, ANN201
    return config_from_json({"ignition": {"version": "3.6.0"}, "storage": lists}).storage


@pytest.fixture
def root(fs) -> Root:  # noqa: ANN001 - pyfakefs fixture
    fs.create_file(R + "/etc/passwd", contents="root:x:0:0::/root:/bin/sh\ndaemon:x:1:1::/:/bin/false\n")
    fs.create_file(R + "/etc/group", contents="root:x:0:\nadm:x:4:\n")
    return Root(R)


def test_dirs_files_symlinks_by_depth_then_hard_links(root: Root) -> None:
    plan = plan_nodes(storage(
        files=[{"path": "/a/b/c/f"}, {"path": "/top"}],
        directories=[{"path": "/a/b"}, {"path": "/z"}],
        links=[{"path": "/h", "hard": True, "target": "/a/b/c/f"}, {"path": "/a/s", "target": "x"}],
    ), root)
    assert [e.path for e in plan] == ["/z", "/top", "/a/b", "/a/s", "/a/b/c/f", "/h"]


def test_equal_depth_keeps_config_order_stably(root: Root) -> None:
    plan = plan_nodes(storage(files=[{"path": f"/d/f{i}"} for i in range(30)], directories=[{"path": "/d/x"}]), root)
    assert [e.path for e in plan] == ["/d/x"] + [f"/d/f{i}" for i in range(30)]


def test_depth_is_that_of_the_resolved_path(fs, root: Root) -> None:  # noqa: ANN001
    fs.create_dir(R + "/very/deep/dir")
    fs.create_symlink(R + "/short", "/very/deep/dir")
    plan = plan_nodes(storage(files=[{"path": "/short/f"}, {"path": "/a/b/c"}]), root)
    assert [e.host for e in plan] == [R + "/a/b/c", R + "/very/deep/dir/f"]


def test_two_paths_resolving_to_one_place_are_refused(fs, root: Root) -> None:  # noqa: ANN001
    fs.create_dir(R + "/real")
    fs.create_symlink(R + "/alias", "/real")
    with pytest.raises(NodeError, match="resolved to .*/real/x after symlink chasing.*/real/x") as err:
        plan_nodes(storage(files=[{"path": "/real/x"}], links=[{"path": "/alias/x", "target": "y"}]), root)
    assert err.value.json_path == "$.storage.links.0"


def test_same_config_path_twice_is_kept_in_order(root: Root) -> None:
    # Only legacy (2.x) configs can say this; they are applied in config order.
    plan = plan_nodes(
        storage(files=[{"path": "/f", "mode": 0o600}, {"path": "/f", "overwrite": True, "mode": 0o644}]), root
    )
    assert [e.key for e in plan] == ["files.0", "files.1"]


def test_unknown_owner_is_refused_before_anything_changes(root: Root) -> None:
    plan = plan_nodes(storage(files=[{"path": "/f", "user": {"name": "ghost"}}]), root)
    with pytest.raises(NodeError, match="no such user 'ghost'") as err:
        check_owners(plan, Accounts(root.path), set(), set())
    assert err.value.json_path == "$.storage.files.0.user.name"
    check_owners(plan, Accounts(root.path), {"ghost"}, set())  # created by the config: fine


def test_owner_lookups_read_the_target_not_the_host(root: Root) -> None:
    accounts = Accounts(root.path)
    assert accounts.user("daemon").uid == 1
    assert accounts.group("adm") == 4
    assert accounts.user("nobody") is None  # exists on the host, not in the target
