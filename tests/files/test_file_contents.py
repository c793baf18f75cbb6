"""The same config applied by Debian's ignition 2.14 and by ignite to two fresh roots; the
trees must be the same (path, type, mode, uid, gid, size, sha256, link target).

Differences on purpose, each said where it applies:
- `/etc/ignite/` is ignite's own report; 2.14 has none.
- `/etc/.ignition-result.json` holds a date and the boot id: compared without content.
- a group created without `passwordHash`: 2.14 passes `groupadd --password '*'`; upstream
  HEAD (and ignite) pass no password, so `/etc/gshadow` differs in that field.
- several `enabled` units: 2.14 writes the preset lines in Go's random map order, HEAD
  (and ignite) sorted: the preset file is compared as a sorted set of lines.
- 2.14 cannot run an `enabled` instance unit (`foo@bar.service`) here (it asks systemd over
  D-Bus); those are covered by test_units.py instead.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from files_helpers import ORACLE, diff_manifests, make_root, manifest, run_ignite, run_oracle

from ignite.errors import IgniteError

pytestmark = [pytest.mark.oracle, pytest.mark.root]


def data(text: str | bytes) -> str:
    raw = text.encode() if isinstance(text, str) else text
    return "data:;base64," + base64.b64encode(raw).decode()


def plain(text: str) -> str:
    return "data:," + quote(text)


def sha512(raw: bytes) -> str:
    return "sha512-" + hashlib.sha512(raw).hexdigest()


def sha256(raw: bytes) -> str:
    return "sha256-" + hashlib.sha256(raw).hexdigest()


def cfg(version: str = "3.3.0", **sections: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"ignition": {"version": version}}
    out.update(sections)
    return out


def files(
    *entries: dict[str, Any], dirs: tuple = (), links: tuple = (), version: str = "3.3.0", **more: Any
) -> dict[str, Any]:
    storage: dict[str, Any] = {}
    if entries:
        storage["files"] = list(entries)
    if dirs:
        storage["directories"] = list(dirs)
    if links:
        storage["links"] = list(links)
    return cfg(version, storage=storage, **more)


def units(*entries: dict[str, Any]) -> dict[str, Any]:
    return cfg(systemd={"units": list(entries)})


def passwd(users: tuple = (), groups: tuple = (), **more: Any) -> dict[str, Any]:
    p: dict[str, Any] = {}
    if users:
        p["users"] = list(users)
    if groups:
        p["groups"] = list(groups)
    return cfg(passwd=p, **more)


# --- preparations of both roots -----------------------------------------------------


def put(path: str, text: str = "old\n", mode: int = 0o644, uid: int = 0, gid: int = 0) -> Callable[[Path], None]:
    def prep(root: Path) -> None:
        p = root / path.lstrip("/")
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        os.chown(p, uid, gid)
        p.chmod(mode)

    return prep


def mkdir(path: str, mode: int = 0o755, uid: int = 0, gid: int = 0) -> Callable[[Path], None]:
    def prep(root: Path) -> None:
        p = root / path.lstrip("/")
        p.mkdir(parents=True, exist_ok=True)
        os.chown(p, uid, gid)
        p.chmod(mode)

    return prep


def symlink(path: str, target: str) -> Callable[[Path], None]:
    def prep(root: Path) -> None:
        p = root / path.lstrip("/")
        p.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, p)

    return prep


def add_user(name: str, uid: int, home: str) -> Callable[[Path], None]:
    def prep(root: Path) -> None:
        with open(root / "etc/passwd", "a") as f:
            f.write(f"{name}:x:{uid}:{uid}:{name}:{home}:/bin/sh\n")
        with open(root / "etc/group", "a") as f:
            f.write(f"{name}:x:{uid}:\n")
        with open(root / "etc/shadow", "a") as f:
            f.write(f"{name}:!:19000:0:99999:7:::\n")
        with open(root / "etc/gshadow", "a") as f:
            f.write(f"{name}:!::\n")
        h = root / home.lstrip("/")
        h.mkdir(parents=True)
        os.chown(h, uid, uid)
        h.chmod(0o700)

    return prep


def add_group(name: str, gid: int) -> Callable[[Path], None]:
    def prep(root: Path) -> None:
        with open(root / "etc/group", "a") as f:
            f.write(f"{name}:x:{gid}:\n")
        with open(root / "etc/gshadow", "a") as f:
            f.write(f"{name}:!::\n")

    return prep


UNIT = "[Unit]\nDescription=test\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n"


@dataclass
class Case:
    id: str
    config: dict[str, Any] | Callable[[Any], dict[str, Any]]
    prep: tuple[Callable[[Path], None], ...] = ()
    fails: bool = False
    ignore: dict[str, str] = field(default_factory=dict)  # path → why it differs on purpose
    sorted_lines: tuple[str, ...] = ()


GZ = gzip.compress(b"compressed contents\n", mtime=0)
BIG = os.urandom(70_000)

CASES = [
    # --- files
    Case("file-default-mode", files({"path": "/etc/hello", "contents": {"source": plain("hi\n")}})),
    Case("file-mode-0600", files({"path": "/etc/secret", "mode": 0o600, "contents": {"source": data("s3cr3t")}})),
    Case("file-mode-owner-ids",
         files({"path": "/opt/tool", "mode": 0o755, "user": {"id": 1}, "group": {"id": 2},
                "contents": {"source": plain("#!/bin/sh\n")}})),
    Case("file-owner-names",
         files({"path": "/srv/by-name", "user": {"name": "daemon"}, "group": {"name": "adm"},
                "contents": {"source": plain("x")}})),
    Case("file-empty-no-contents", files({"path": "/var/empty-file"})),
    Case("file-empty-source", files({"path": "/var/empty-source", "contents": {"source": ""}})),
    Case("file-deep-parents", files({"path": "/a/b/c/d/e/f.txt", "contents": {"source": plain("deep")}})),
    Case("file-gzip-sha512",
         files({"path": "/etc/gz", "contents": {"source": data(GZ), "compression": "gzip",
                                                "verification": {"hash": sha512(b"compressed contents\n")}}})),
    Case("file-sha256",
         files({"path": "/etc/h256",
                "contents": {"source": plain("hashed"), "verification": {"hash": sha256(b"hashed")}}})),
    Case("file-hash-mismatch",
         files({"path": "/etc/bad",
                "contents": {"source": plain("hashed"), "verification": {"hash": sha256(b"other")}}}),
         fails=True),
    Case("append-only-new",
         files({"path": "/etc/appended", "append": [{"source": plain("one\n")}, {"source": plain("two\n")}]})),
    Case("contents-and-appends",
         files({"path": "/etc/both", "mode": 0o640, "contents": {"source": plain("base\n")},
                "append": [{"source": plain("more\n")}, {"source": data(GZ), "compression": "gzip"}]})),
    Case("append-to-existing", files({"path": "/etc/motd", "append": [{"source": plain("welcome\n")}]}),
         prep=(put("/etc/motd", "old motd\n", 0o640, 1, 4),)),
    Case("existing-file-mode-owner-only", files({"path": "/etc/keep", "mode": 0o600, "user": {"name": "bin"}}),
         prep=(put("/etc/keep", "keep me\n", 0o644),)),
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
    Case("file-large",
         files({"path": "/usr/share/big.bin",
                "contents": {"source": data(BIG), "verification": {"hash": sha512(BIG)}}})),
    Case("file-through-absolute-symlink-dir",
         files({"path": "/etc/alt/conf", "contents": {"source": plain("via link")}}),
         prep=(mkdir("/real/dir"), symlink("/etc/alt", "/real/dir"))),
    Case("file-through-relative-symlink-dir",
         files({"path": "/etc/rel/conf", "contents": {"source": plain("via rel")}}),
         prep=(mkdir("/real/rdir"), symlink("/etc/rel", "../real/rdir"))),
    Case("file-through-climbing-link",
         files({"path": "/esc/outside", "contents": {"source": plain("stays inside")}}),
         prep=(symlink("/esc", "../../../../../.."),)),
    Case("file-special-bits-stripped",
         files({"path": "/usr/bin/suid", "mode": 0o4755, "contents": {"source": plain("x")}})),
    Case("spec-3.0.0",
         files({"path": "/etc/v30", "mode": 0o600,
                "contents": {"source": data(GZ), "compression": "gzip",
                             "verification": {"hash": sha512(b"compressed contents\n")}}},
               dirs=({"path": "/var/v30", "mode": 0o700},),
               links=({"path": "/etc/v30-link", "target": "v30"},),
               version="3.0.0")),
    Case("spec-3.1.0",
         files({"path": "/etc/v31", "append": [{"source": plain("a\n")}, {"source": plain("b\n")}]},
               version="3.1.0")),
    Case("spec-3.2.0-dir-special-bits", files(dirs=({"path": "/var/shared", "mode": 0o3775},), version="3.2.0")),
    # --- directories
    Case("dir-default", files(dirs=({"path": "/var/lib/app"},))),
    Case("dir-mode-owner-name",
         files(dirs=({"path": "/var/lib/private", "mode": 0o700, "user": {"name": "daemon"},
                      "group": {"name": "daemon"}},))),
    Case("dirs-nested-modes",
         files(dirs=({"path": "/srv/a/b", "mode": 0o750}, {"path": "/srv/a", "mode": 0o711},
                     {"path": "/srv/a/b/c", "mode": 0o700}))),
    Case("dir-existing-mode-change", files(dirs=({"path": "/var/log", "mode": 0o750, "group": {"id": 4}},)),
         prep=(mkdir("/var/log"), put("/var/log/syslog"))),
    Case("dir-overwrite-replaces-file", files(dirs=({"path": "/etc/confd", "overwrite": True, "mode": 0o755},)),
         prep=(put("/etc/confd"),)),
    Case("dir-file-in-way-fails", files(dirs=({"path": "/etc/confd"},)), prep=(put("/etc/confd"),), fails=True),
    # --- links
    Case("symlink-absolute", files(links=({"path": "/etc/localtime", "target": "/usr/share/zoneinfo/UTC"},))),
    Case("symlink-relative-owner-from-target", files(
        {"path": "/srv/data/owned", "user": {"name": "daemon"}, "group": {"name": "daemon"},
         "contents": {"source": plain("d")}},
        links=({"path": "/srv/data/alias", "target": "owned"},))),
    Case("symlink-explicit-owner",
         files(links=({"path": "/home/l", "target": "/nowhere", "user": {"id": 2}, "group": {"id": 2}},))),
    Case("symlink-existing-same-target", files(links=({"path": "/etc/same", "target": "/x/y"},)),
         prep=(symlink("/etc/same", "/x/y/"),)),
    Case("symlink-existing-other-target-fails", files(links=({"path": "/etc/same", "target": "/x/y"},)),
         prep=(symlink("/etc/same", "/x/z"),), fails=True),
    Case("symlink-overwrite-file",
         files(links=({"path": "/etc/resolv.conf", "overwrite": True, "target": "../run/resolv.conf"},)),
         prep=(put("/etc/resolv.conf"),)),
    Case("hardlink-to-deeper-file",
         files({"path": "/a/b/c/target", "mode": 0o600, "contents": {"source": plain("linked")}},
               links=({"path": "/hard", "hard": True, "target": "/a/b/c/target"},))),
    Case("hardlink-relative-target-from-root",
         files({"path": "/etc/orig", "contents": {"source": plain("o")}},
               links=({"path": "/usr/lib/hl", "hard": True, "target": "etc/orig"},))),
    Case("link-through-symlinked-dir", files(links=({"path": "/etc/alt/link", "target": "/etc/hostname"},)),
         prep=(mkdir("/real/dir"), symlink("/etc/alt", "/real/dir"))),
    Case("mixed-depth-ordering", files(
        {"path": "/o/p/q/file", "contents": {"source": plain("q")}},
        {"path": "/o/top", "contents": {"source": plain("t")}},
        dirs=({"path": "/o/p/q", "mode": 0o555}, {"path": "/o", "mode": 0o750}),
        links=({"path": "/o/p/ln", "target": "q/file"},))),
    Case("duplicate-via-symlink-fails", files({"path": "/etc/alt/dup", "contents": {"source": plain("1")}},
                                              {"path": "/real/dir/dup", "contents": {"source": plain("2")}}),
         prep=(mkdir("/real/dir"), symlink("/etc/alt", "/real/dir")), fails=True),
    Case("owner-unknown-user-fails", files({"path": "/etc/x", "user": {"name": "nosuchuser"}}), fails=True),
    # --- units
    Case("unit-and-dropin", units({"name": "app.service", "contents": UNIT,
                                   "dropins": [{"name": "10-env.conf", "contents": "[Service]\nEnvironment=A=1\n"}]})),
    Case("unit-enabled", units({"name": "app.service", "contents": UNIT, "enabled": True})),
    Case("units-enabled-several", units({"name": "b.service", "contents": UNIT, "enabled": True},
                                        {"name": "a.service", "contents": UNIT, "enabled": True},
                                        {"name": "c.timer", "enabled": True}),
         sorted_lines=("/etc/systemd/system-preset/20-ignition.preset",)),
    Case("unit-preset-appends-existing", units({"name": "app.service", "enabled": True}),
         prep=(put("/etc/systemd/system-preset/20-ignition.preset", "enable other.service\n"),)),
    Case("unit-mask-replaces-file", units({"name": "bad.service", "mask": True}),
         prep=(put("/etc/systemd/system/bad.service", UNIT),)),
    Case("unit-unmask", units({"name": "bad.service", "mask": False}),
         prep=(symlink("/etc/systemd/system/bad.service", "/dev/null"),)),
    Case("unit-disabled-was-enabled", units({"name": "old.service", "enabled": False}),
         prep=(put("/etc/systemd/system/old.service", UNIT),
               symlink("/etc/systemd/system/multi-user.target.wants/old.service", "/etc/systemd/system/old.service"))),
    Case("unit-empty-contents-dropin-without",
         units({"name": "e.service", "contents": "", "dropins": [{"name": "none.conf"}]})),
    # --- users and groups
    Case("user-keys-password",
         passwd(users=({"name": "core", "passwordHash": "$6$rounds=4096$salt$hash",
                        "sshAuthorizedKeys": ["ssh-ed25519 AAAAkey1 a@b", "ssh-rsa AAAAkey2 c@d"]},))),
    Case("user-many-fields",
         passwd(users=({"name": "alice", "uid": 1500, "gecos": "Alice A", "shell": "/bin/sh",
                        "homeDir": "/srv/alice", "groups": ["wheel", "adm"]},))),
    Case("user-system-no-home",
         passwd(users=({"name": "svc", "system": True, "noCreateHome": True, "noUserGroup": True,
                        "noLogInit": True},))),
    Case("group-gid-password", passwd(groups=({"name": "devs", "gid": 3000, "passwordHash": "$6$grp"},))),
    Case("group-no-password", passwd(groups=({"name": "ops", "gid": 3001},)),
         ignore={"/etc/gshadow": "2.14 sets the group password to '*', HEAD and ignite leave groupadd's default"}),
    Case("user-existing-modified-keys",
         passwd(users=({"name": "old", "shell": "/bin/bash", "sshAuthorizedKeys": ["ssh-ed25519 AAAAold"]},)),
         prep=(add_user("old", 1200, "/home/old"),)),
    Case("user-delete", passwd(users=({"name": "gone", "shouldExist": False},)),
         prep=(add_user("gone", 1300, "/home/gone"),)),
    Case("group-delete", passwd(groups=({"name": "oldgrp", "shouldExist": False},)),
         prep=(add_group("oldgrp", 3100),)),
    Case("file-owned-by-new-user",
         {**passwd(users=({"name": "web", "uid": 1600},)),
          "storage": {"files": [{"path": "/srv/www/index.html", "user": {"name": "web"}, "group": {"name": "users"},
                                 "contents": {"source": plain("<html/>")}}],
                      "directories": [{"path": "/srv/www", "user": {"name": "web"}}]}}),
    Case("user-primary-group-from-config",
         passwd(users=({"name": "bob", "primaryGroup": "team", "noUserGroup": True},),
                groups=({"name": "team", "gid": 3200, "passwordHash": "$6$t"},))),
]


def _remote(served) -> dict[str, Any]:
    body = b"remote body\n" * 100
    gz = gzip.compress(b"remote gz\n", mtime=0)
    return files(
        {"path": "/etc/remote",
         "contents": {"source": served.add("/body", body), "verification": {"hash": sha512(body)}}},
        {"path": "/etc/remote-gz", "mode": 0o600, "contents": {"source": served.add("/gz", gz), "compression": "gzip",
                                                               "verification": {"hash": sha256(b"remote gz\n")}}},
        {"path": "/etc/remote-append", "contents": {"source": plain("head\n")},
         "append": [{"source": served.add("/tail", b"tail\n")}]},
    )


def _remote_bad(served) -> dict[str, Any]:
    return files({"path": "/etc/remote-bad",
                  "contents": {"source": served.add("/bad", b"tampered"),
                               "verification": {"hash": sha512(b"original")}}})


CASES.append(Case("remote-http-hashes-append", _remote))
CASES.append(Case("remote-http-hash-mismatch", _remote_bad, fails=True))


@pytest.fixture(scope="module")
def oracle() -> Path:
    if os.geteuid() != 0:
        pytest.skip("needs root (chown, useradd --root)")
    if not ORACLE.exists():
        pytest.skip("Debian's ignition 2.14 is not unpacked (tools/get-oracle.sh .cache/ignition)")
    for tool in ("useradd", "groupadd", "systemctl"):
        if shutil.which(tool) is None:
            pytest.skip(f"missing tool {tool}")
    return ORACLE


def _skip(rel: str) -> bool:
    return rel == "/etc/ignite" or rel.startswith("/etc/ignite/")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_same_tree_as_ignition(case: Case, oracle: Path, work: Path, http_files) -> None:
    tmp_path = work
    config = case.config(http_files) if callable(case.config) else case.config
    theirs_root = make_root(tmp_path / "theirs")
    ours_root = make_root(tmp_path / "ours")
    for prep in case.prep:
        prep(theirs_root)
        prep(ours_root)
    done = run_oracle(config, theirs_root, tmp_path / "oracle")
    oracle_failed = done.returncode != 0
    try:
        run_ignite(config, ours_root, tmp_path / "ignite")
        ours_failed = None
    except IgniteError as exc:
        ours_failed = exc
    if case.fails:
        assert oracle_failed, f"2.14 accepted a case meant to fail:\n{done.stdout[-2000:]}"
        assert ours_failed is not None, "ignite accepted what 2.14 refuses"
        return
    assert not oracle_failed, f"2.14 failed:\n{done.stdout[-3000:]}"
    assert ours_failed is None, f"ignite failed: {ours_failed}"
    compare(ours_root, theirs_root, case)


def compare(ours_root: Path, theirs_root: Path, case: Case) -> None:
    ours, theirs = manifest(ours_root, _skip), manifest(theirs_root, _skip)
    result = "/etc/.ignition-result.json"
    for m in (ours, theirs):
        assert result in m, "no result file"
        m[result].pop("sha256", None)
        m[result].pop("size", None)
        for path in case.ignore:
            m.pop(path, None)
        for path in case.sorted_lines:
            m[path].pop("sha256", None)
    for path in case.sorted_lines:
        a = sorted((ours_root / path.lstrip("/")).read_text().splitlines())
        b = sorted((theirs_root / path.lstrip("/")).read_text().splitlines())
        assert a == b
    problems = diff_manifests(ours, theirs)
    assert not problems, "trees differ:\n" + "\n".join(problems)
