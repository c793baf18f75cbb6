"""The differential suite's machinery: the same config applied by Debian's ignition 2.14
and by ignite to two fresh roots; the trees must be the same (path, type, mode, uid, gid,
size, sha256, link target). Each feature's cases live with that feature's tests
(test_file_contents.py, test_append.py, test_overwrite.py, test_directories.py,
test_links.py, test_units_dropins_enable_mask.py, test_passwd_users_groups.py), each file
running them through `same_tree_as_ignition`.

Differences on purpose, each said where it applies:
- `/etc/ignite/` is ignite's own report; 2.14 has none.
- `/etc/.ignition-result.json` holds a date and the boot id: compared without content.
- a group created without `passwordHash`: 2.14 passes `groupadd --password '*'`; upstream
  HEAD (and ignite) pass no password, so `/etc/gshadow` differs in that field.
- several `enabled` units: 2.14 writes the preset lines in Go's random map order, HEAD
  (and ignite) sorted: the preset file is compared as a sorted set of lines.
- 2.14 cannot run an `enabled` instance unit (`foo@bar.service`) here (it asks systemd over
  D-Bus); those are covered by the other tests of test_units_dropins_enable_mask.py.
"""
from __future__ import annotations

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


def require_oracle() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root (chown, useradd --root)")
    if not ORACLE.exists():
        pytest.skip("Debian's ignition 2.14 is not unpacked (tools/get-oracle.sh .cache/ignition)")
    for tool in ("useradd", "groupadd", "systemctl"):
        if shutil.which(tool) is None:
            pytest.skip(f"missing tool {tool}")


def _skip(rel: str) -> bool:
    return rel == "/etc/ignite" or rel.startswith("/etc/ignite/")


def case_ids(cases: list[Case]) -> list[str]:
    return [c.id for c in cases]


def same_tree_as_ignition(case: Case, work: Path, served: Any) -> None:
    """Apply `case` with 2.14 and with ignite; both fail, or both succeed with the same tree."""
    require_oracle()
    tmp_path = work
    config = case.config(served) if callable(case.config) else case.config
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
