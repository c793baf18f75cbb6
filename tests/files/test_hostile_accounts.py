"""A target whose /etc is a link leading out of the root (absolute, or climbing with
`../`): the account databases, their lock files and the owner names are those inside the
root, as the shadow-utils tools (which chroot) see them; nothing outside changes."""
from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from files_helpers import GROUP, GSHADOW, PASSWD, SHADOW, require_root_user, run_ignite

from ignite.errors import NodeError

DECOY_PASSWD = "root:x:0:0:root:/root:/bin/sh\ndecoy:x:4242:4242:decoy:/home/decoy:/bin/sh\n"
DECOY_GROUP = "root:x:0:\ndecoy:x:4242:\n"
# A dead "pid" in each name and content: only the root's own locks may be cleared.
DECOYS = {
    "passwd": DECOY_PASSWD,
    "group": DECOY_GROUP,
    "passwd.lock": "999999999\0",
    "group.lock": "999999999\0",
    "passwd.20240101": DECOY_PASSWD,
    "shadow.20240101": "decoy:*:19000::::::\n",
    "passwd-20240101": DECOY_PASSWD,
    "group.20231231": DECOY_GROUP,
}


@pytest.fixture(autouse=True)
def _root_user() -> None:
    require_root_user()


def snapshot(top: Path) -> dict[str, tuple[int, bytes]]:
    return {str(p.relative_to(top)): (p.lstat().st_mode, p.read_bytes() if p.is_file() else b"")
            for p in sorted(top.rglob("*"))}


def fill_etc(etc: Path) -> None:
    etc.mkdir(parents=True)
    for name, text in (("passwd", PASSWD), ("group", GROUP), ("shadow", SHADOW), ("gshadow", GSHADOW)):
        (etc / name).write_text(text)


def hostile(work: Path, how: str) -> tuple[Path, Path]:
    """(root, outside): root/etc leads to `outside` for the kernel; inside the root the
    same link leads to a real etc below the root."""
    outside = work / "outside"
    outside.mkdir()
    for name, text in DECOYS.items():
        (outside / name).write_text(text)
    root = work / "root"
    root.mkdir()
    if how == "absolute":
        os.symlink(str(outside), root / "etc")
        fill_etc(root / str(outside).lstrip("/"))
    else:
        os.symlink("../outside", root / "etc")  # `..` stops at the root inside it
        fill_etc(root / "outside")
    return root, outside


def cfg(**parts) -> dict:  # noqa: ANN003
    return {"ignition": {"version": "3.4.0"}, **parts}


@pytest.mark.parametrize("how", ["absolute", "relative"])
def test_users_and_groups_never_touch_account_files_outside(work: Path, how: str) -> None:
    root, outside = hostile(work, how)
    before = snapshot(outside)
    run_ignite(cfg(passwd={"groups": [{"name": "team", "gid": 3100}],
                           "users": [{"name": "alice", "uid": 3100, "groups": ["team"], "noCreateHome": True}]}),
               root, work / "w")
    assert snapshot(outside) == before
    inside = root / ("outside" if how == "relative" else str(outside).lstrip("/"))
    assert "alice:x:3100:" in (inside / "passwd").read_text()
    assert "team:x:3100:" in (inside / "group").read_text()


@pytest.mark.parametrize("how", ["absolute", "relative"])
def test_owner_names_are_looked_up_inside_the_root(work: Path, how: str) -> None:
    root, outside = hostile(work, how)
    before = snapshot(outside)
    data = "data:;base64," + base64.b64encode(b"x").decode()
    with pytest.raises(NodeError, match="no such user 'decoy'"):
        run_ignite(
            cfg(storage={"files": [{"path": "/srv/f", "user": {"name": "decoy"}, "contents": {"source": data}}]}),
            root,
            work / "w",
        )
    run_ignite(cfg(storage={"files": [{"path": "/srv/g", "user": {"name": "daemon"}, "contents": {"source": data}}]}),
               root, work / "w2")
    assert (root / "srv/g").stat().st_uid == 1  # the root's daemon, not a name outside
    assert snapshot(outside) == before


def test_stale_locks_are_cleared_inside_the_root_only(work: Path) -> None:
    from ignite.system.users import clear_stale_locks

    root, outside = hostile(work, "relative")
    (root / "outside" / "passwd.lock").write_text("999999999\0")
    before = snapshot(outside)
    removed = clear_stale_locks(root)
    assert removed == [str(root / "outside" / "passwd.lock")]
    assert snapshot(outside) == before
