"""Temporary files and replacement: a name planted where ignite used to put its temporary
file (a hard link to a file outside the root) receives nothing, and `overwrite: true`
leaves the old node whenever the new one cannot be made (bad hash, 404, kill -9); then
`overwrite` of files, directories and links against Debian's ignition 2.14
(differential_helpers.py)."""
from __future__ import annotations

import hashlib
import os
import signal
import socket
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from differential_helpers import Case, case_ids, files, mkdir, plain, put, same_tree_as_ignition
from files_helpers import data, require_root_user, run_ignite, run_ignite_process

from ignite.errors import NodeError

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOCNOFsUGFlmyNbOvJTMx2yEB2NAsmEvXPdP5KD0iM4u root@x"


@pytest.fixture(autouse=True)
def _root_user() -> None:
    require_root_user()


def old_temp_name(host: Path) -> Path:
    """The predictable name earlier versions opened with O_TRUNC."""
    return host.parent / f".ignite-{hashlib.sha1(host.name.encode()).hexdigest()[:16]}.tmp"


def outside_file(work: Path) -> Path:
    secret = work / "outside" / "secret"
    secret.parent.mkdir()
    secret.write_bytes(b"do not touch\n")
    secret.chmod(0o640)
    os.chown(secret, 0, 0)
    return secret


def state_of(p: Path) -> tuple[bytes, int, int, int]:
    st = p.stat()
    return p.read_bytes(), stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid


def test_planted_hard_links_at_temporary_names_receive_nothing(root: Path, work: Path) -> None:
    secret = outside_file(work)
    before = state_of(secret)
    targets = [root / "etc/motd", root / "etc/systemd/system/a.service", root / "etc/ignite/report.json",
               root / "etc/.ignition-result.json"]
    for host in targets:
        host.parent.mkdir(parents=True, exist_ok=True)
        os.link(secret, old_temp_name(host))
    # root's key fragment was written in place: a link planted at its own name
    keys = root / "root/.ssh/authorized_keys.d/ignition"
    keys.parent.mkdir(parents=True)
    os.link(secret, keys)
    run_ignite({"ignition": {"version": "3.4.0"},
                "passwd": {"users": [{"name": "root", "sshAuthorizedKeys": [KEY]}]},
                "storage": {"files": [{"path": "/etc/motd", "mode": 0o4755, "user": {"id": 1234},
                                       "contents": {"source": data(b"hello\n")}}]},
                "systemd": {"units": [{"name": "a.service", "contents": "[Service]\nExecStart=/bin/true\n"}]}},
               root, work / "w")
    assert state_of(secret) == before
    assert (root / "etc/motd").read_bytes() == b"hello\n"
    assert keys.read_text() == KEY + "\n"
    assert os.stat(keys).st_ino != secret.stat().st_ino
    for host in targets:
        assert host.is_file()
        assert not old_temp_name(host).exists()  # leftovers of earlier runs are swept


def test_temporary_names_are_random_and_exclusive(root: Path) -> None:
    from ignite.root import Root, is_temp_name

    r = Root(root)
    fd1, t1 = r.open_temp(str(root / "etc/x"))
    fd2, t2 = r.open_temp(str(root / "etc/x"))
    os.close(fd1)
    os.close(fd2)
    assert t1 != t2 and is_temp_name(os.path.basename(t1))
    os.unlink(t1)
    os.symlink(str(root / "etc/passwd"), t1)
    with pytest.raises(FileExistsError):
        os.open(t1, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW)


def tree_of(top: Path) -> dict[str, bytes]:
    return {str(p.relative_to(top)): p.read_bytes() if p.is_file() else b"<dir>" for p in sorted(top.rglob("*"))}


def ssl_tree(root: Path) -> Path:
    ssl = root / "etc/ssl"
    (ssl / "certs").mkdir(parents=True)
    (ssl / "certs/a.pem").write_text("A\n")
    (ssl / "openssl.cnf").write_text("cnf\n")
    return ssl


def test_bad_hash_leaves_the_old_directory_tree(root: Path, work: Path) -> None:
    ssl = ssl_tree(root)
    before = tree_of(ssl)
    bad = "sha512-" + "0" * 128
    with pytest.raises(NodeError):
        run_ignite(
            {
                "ignition": {"version": "3.4.0"},
                "storage": {
                    "files": [
                        {
                            "path": "/etc/ssl",
                            "overwrite": True,
                            "contents": {"source": data(b"new"), "verification": {"hash": bad}},
                        }
                    ]
                },
            },
            root,
            work / "w",
        )
    assert tree_of(ssl) == before
    assert not [p for p in (root / "etc").iterdir() if p.name.startswith(".ignite-")]


def test_overwrite_replaces_a_tree_once_the_new_file_is_ready(root: Path, work: Path) -> None:
    ssl_tree(root)
    (root / "etc/motd").write_text("old\n")
    run_ignite({"ignition": {"version": "3.4.0"}, "storage": {
        "files": [{"path": "/etc/ssl", "overwrite": True, "contents": {"source": data(b"new")}}],
        "directories": [{"path": "/etc/motd", "overwrite": True, "mode": 0o700}]}}, root, work / "w")
    assert (root / "etc/ssl").read_bytes() == b"new"
    assert (root / "etc/motd").is_dir() and stat.S_IMODE((root / "etc/motd").stat().st_mode) == 0o700
    assert not [p for p in (root / "etc").iterdir() if p.name.startswith(".ignite-")]


def test_404_leaves_the_old_file(root: Path, work: Path, http_files) -> None:  # noqa: ANN001
    (root / "etc/motd").write_text("old\n")
    with pytest.raises(NodeError):
        run_ignite({"ignition": {"version": "3.4.0", "timeouts": {"httpTotal": 3}}, "storage": {"files": [
            {"path": "/etc/motd", "overwrite": True, "contents": {"source": http_files.url + "/missing-file"}}]}},
            root, work / "w")
    assert (root / "etc/motd").read_text() == "old\n"


@pytest.fixture
def stalled_server() -> Iterator[tuple[str, threading.Event]]:
    """Accepts a connection and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    asked = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            held.append(conn)
            asked.set()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/slow", asked
    finally:
        listener.close()
        for conn in held:
            conn.close()


def test_kill_during_the_fetch_leaves_the_old_tree(root: Path, work: Path, stalled_server) -> None:  # noqa: ANN001
    url, asked = stalled_server
    ssl = ssl_tree(root)
    before = tree_of(ssl)
    proc = run_ignite_process({"ignition": {"version": "3.4.0"}, "storage": {"files": [
        {"path": "/etc/ssl", "overwrite": True, "contents": {"source": url}}]}}, root, work / "w")
    try:
        assert asked.wait(60), "the stage never fetched"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
    assert tree_of(ssl) == before


# --- against Debian's ignition 2.14 (differential_helpers.py) ------------------------------


DIFFERENTIAL = [
    Case("existing-file-no-overwrite-fails", files({"path": "/etc/exists", "contents": {"source": plain("new")}}),
         prep=(put("/etc/exists"),), fails=True),
    Case("existing-file-overwrite",
         files({"path": "/etc/exists", "overwrite": True, "contents": {"source": plain("new")}}),
         prep=(put("/etc/exists", "old", 0o600, 1, 1),)),
    Case("dir-replaced-by-file-overwrite",
         files({"path": "/etc/thing", "overwrite": True, "contents": {"source": plain("file now")}}),
         prep=(mkdir("/etc/thing/sub"), put("/etc/thing/sub/x"))),
    Case("dir-in-way-of-file-fails", files({"path": "/etc/thing", "contents": {"source": plain("x")}}),
         prep=(mkdir("/etc/thing"),), fails=True),
    Case("dir-overwrite-replaces-file", files(dirs=({"path": "/etc/confd", "overwrite": True, "mode": 0o755},)),
         prep=(put("/etc/confd"),)),
    Case("dir-file-in-way-fails", files(dirs=({"path": "/etc/confd"},)), prep=(put("/etc/confd"),), fails=True),
    Case("symlink-overwrite-file",
         files(links=({"path": "/etc/resolv.conf", "overwrite": True, "target": "../run/resolv.conf"},)),
         prep=(put("/etc/resolv.conf"),)),
]


@pytest.mark.oracle
@pytest.mark.root
@pytest.mark.parametrize("case", DIFFERENTIAL, ids=case_ids(DIFFERENTIAL))
def test_same_tree_as_ignition(case: Case, work: Path, http_files) -> None:
    same_tree_as_ignition(case, work, http_files)
