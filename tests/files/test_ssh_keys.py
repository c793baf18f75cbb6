"""`sshAuthorizedKeys`: keys of a user created by shadow-utils (`useradd --root`), in a
target below a 0700 directory, as an image build under `mktemp -d` has it; links in a home
the user controls are never followed; the key files' modes and owner, a later run replacing
the fragment, and the single authorized_keys file when fragments are turned off."""
from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from files_helpers import make_root, require_root_user, run_ignite

from ignite.errors import NodeError

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOCNOFsUGFlmyNbOvJTMx2yEB2NAsmEvXPdP5KD0iM4u alice@x"


@pytest.fixture(autouse=True)
def _root_user() -> None:
    require_root_user()


@pytest.fixture
def private() -> Iterator[Path]:
    """A real `mktemp -d`: mode 0700, owned by root."""
    import shutil

    path = Path(tempfile.mkdtemp(prefix="ignite-keys-", dir="/var/tmp"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o700
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def users(*entries: dict) -> dict:
    return {"ignition": {"version": "3.4.0"}, "passwd": {"users": list(entries)}}


def mode(p: Path) -> int:
    return stat.S_IMODE(p.lstat().st_mode)


def test_keys_of_a_new_user_below_a_0700_ancestor(private: Path) -> None:
    root = make_root(private / "image" / "root")
    run_ignite(users({"name": "alice", "sshAuthorizedKeys": [KEY]}), root, private / "w")
    uid = next(int(line.split(":")[2]) for line in (root / "etc/passwd").read_text().splitlines()
               if line.startswith("alice:"))
    keys = root / "home/alice/.ssh/authorized_keys.d/ignition"
    assert keys.read_text() == KEY + "\n"
    for p, m in ((root / "home/alice/.ssh", 0o700), (keys.parent, 0o700), (keys, 0o600)):
        assert (p.lstat().st_uid, mode(p)) == (uid, m), p
    assert [p.name for p in keys.parent.iterdir()] == ["ignition"]


@pytest.mark.parametrize("link", [".ssh", ".ssh/authorized_keys.d", ".ssh/authorized_keys.d/ignition"])
def test_links_in_a_home_the_user_controls_are_not_followed(private: Path, link: str) -> None:
    root = make_root(private / "root")
    outside = private / "outside"
    outside.mkdir(mode=0o777)
    outside.chmod(0o777)  # writable by anyone: only not following the link protects it
    (outside / "ignition").write_text("untouched\n")
    with open(root / "etc/passwd", "a") as f:
        f.write("bob:x:3300:3300::/home/bob:/bin/sh\n")
    with open(root / "etc/group", "a") as f:
        f.write("bob:x:3300:\n")
    home = root / "home/bob"
    (home / link).parent.mkdir(parents=True, exist_ok=True)
    os.symlink(outside if not link.endswith("ignition") else outside / "ignition", home / link)
    for dirpath, _, _ in os.walk(root / "home"):
        os.chown(dirpath, 3300, 3300)
    try:
        run_ignite(users({"name": "bob", "sshAuthorizedKeys": [KEY]}), root, private / "w")
    except NodeError as exc:
        assert "bob" in str(exc)
    assert sorted(p.name for p in outside.iterdir()) == ["ignition"]
    assert (outside / "ignition").read_text() == "untouched\n"


# --- the key files: modes, owner, the fragment or the single file --------------------------


def passwd(*users: dict, groups: tuple = ()) -> dict:
    return {"ignition": {"version": "3.4.0"}, "passwd": {"users": list(users), "groups": list(groups)}}


def test_ssh_keys_file_modes_and_owner(root: Path, work: Path) -> None:
    run_ignite(
        passwd({"name": "core", "uid": 1234, "sshAuthorizedKeys": ["ssh-ed25519 AAAA1", "ssh-rsa AAAA2\n"]}),
        root,
        work / "w",
    )
    keys = root / "home/core/.ssh/authorized_keys.d/ignition"
    assert keys.read_text() == "ssh-ed25519 AAAA1\nssh-rsa AAAA2\n"
    for path, mode in ((keys, 0o600), (keys.parent, 0o700), (keys.parent.parent, 0o700)):
        st = path.stat()
        assert (stat.S_IMODE(st.st_mode), st.st_uid) == (mode, 1234), path


def test_keys_replace_the_previous_fragment(root: Path, work: Path) -> None:
    run_ignite(passwd({"name": "core", "sshAuthorizedKeys": ["first"]}), root, work / "w1")
    run_ignite(passwd({"name": "core", "sshAuthorizedKeys": ["second"]}), root, work / "w2")
    assert (root / "home/core/.ssh/authorized_keys.d/ignition").read_text() == "second\n"


def test_keys_without_fragments(root: Path, work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IGNITION_WRITE_AUTHORIZED_KEYS_FRAGMENT", "false")
    run_ignite(passwd({"name": "core", "sshAuthorizedKeys": ["k"]}), root, work / "w")
    assert (root / "home/core/.ssh/authorized_keys").read_text() == "k\n"
    assert not (root / "home/core/.ssh/authorized_keys.d").exists()
