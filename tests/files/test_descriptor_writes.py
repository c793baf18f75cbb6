"""A file's temporary copy is written, owned and moded on its descriptor (write, fchown,
fchmod, no path in between): short writes are completed, the owner is set before the mode
(a chown clears setuid/setgid), an append keeps the old file's owner and mode."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from files_helpers import data, require_root_user, run_ignite


@pytest.fixture(autouse=True)
def _root_user() -> None:
    require_root_user()


def test_setuid_and_setgid_survive_the_owner(root: Path, work: Path) -> None:
    run_ignite({"ignition": {"version": "3.6.0"},
                "storage": {"files": [{"path": "/usr/bin/tool", "mode": 0o6755, "user": {"id": 1234},
                                       "group": {"id": 1235}, "contents": {"source": data("#!/bin/sh\n")}}]}},
               root, work / "w")
    st = os.lstat(root / "usr/bin/tool")
    assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o6755, 1234, 1235)


def test_short_writes_are_completed(root: Path, work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ignite.root import is_temp_name

    real = os.write
    shortened: list[int] = []

    def short(fd: int, view: bytes) -> int:  # on temporary copies only: the journal has its own rules
        if is_temp_name(os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))):
            view = view[:3]
            shortened.append(fd)
        return real(fd, view)

    body = os.urandom(1000)
    (root / "etc/motd").write_bytes(b"old\n")
    os.chown(root / "etc/motd", 33, 34)
    (root / "etc/motd").chmod(0o640)
    monkeypatch.setattr(os, "write", short)
    run_ignite({"ignition": {"version": "3.4.0"},
                "storage": {"files": [{"path": "/srv/blob", "contents": {"source": data(body)}},
                                      {"path": "/etc/motd", "append": [{"source": data("new\n")}]}]}},
               root, work / "w")
    monkeypatch.setattr(os, "write", real)
    assert len(shortened) > len(body) // 3
    assert (root / "srv/blob").read_bytes() == body
    assert (root / "etc/motd").read_bytes() == b"old\nnew\n"
    st = os.lstat(root / "etc/motd")
    assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o640, 33, 34)
