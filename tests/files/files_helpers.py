"""Helpers and fixtures of the files-stage tests (conftest.py imports the fixtures): fresh
target roots, the stage run in-process or as `python -m ignite`, Debian's ignition 2.14 run
on a twin root, tree manifests, and a real HTTP server on 127.0.0.1."""
from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from answer_server import Served, serving
from ignite.config.model import Config
from ignite.config.parse import parse
from ignite.stages.files_journal import JOURNAL as FILES_JOURNAL

REPO = Path(__file__).resolve().parents[2]
ORACLE = REPO / ".cache" / "ignition" / "usr" / "lib" / "dracut" / "modules.d" / "30ignition" / "ignition"

PASSWD = """root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
bin:x:2:2:bin:/bin:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
"""
GROUP = """root:x:0:
daemon:x:1:
bin:x:2:
adm:x:4:
wheel:x:10:
users:x:100:
nogroup:x:65534:
"""
SHADOW = """root:*:19000:0:99999:7:::
daemon:*:19000:0:99999:7:::
bin:*:19000:0:99999:7:::
nobody:*:19000:0:99999:7:::
"""
GSHADOW = """root:*::
daemon:*::
bin:*::
adm:*::
wheel:*::
users:*::
nogroup:*::
"""
SELINUX = "SELINUX=disabled\nSELINUXTYPE=targeted\n"


def make_root(path: Path) -> Path:
    """A minimal target: account databases (never the host's) and what 2.14 needs."""
    (path / "etc" / "selinux").mkdir(parents=True)
    (path / "root").mkdir(mode=0o700)
    for name, text, mode in (
        ("passwd", PASSWD, 0o644),
        ("group", GROUP, 0o644),
        ("shadow", SHADOW, 0o640),
        ("gshadow", GSHADOW, 0o640),
    ):
        p = path / "etc" / name
        p.write_text(text)
        p.chmod(mode)
    (path / "etc" / "selinux" / "config").write_text(SELINUX)
    return path


def config_of(cfg: dict[str, Any]) -> Config:
    """A Config from a 3.x dict, through parse() as every config (it also upgrades 3.0–3.5
    and strips their special mode bits)."""
    return parse(json.dumps(cfg).encode())


from plan_check import journal_exists, planned_then_run  # noqa: E402


def run_ignite(
    cfg: dict[str, Any], root: Path, work: Path, state: dict[str, Any] | None = None, *, raw: bool = False
) -> None:
    """The files stage in this process (raises what the stage raises). `raw`: the config
    as a cache holds it, not validated (what a later stage trusts)."""
    from ignite.stages import StageContext, run_stage

    work.mkdir(parents=True, exist_ok=True)
    state_file = work / "state"
    if state is not None:
        state_file.write_text(json.dumps(state))
    ctx = StageContext(stage="files", root=root, config_cache=work / "cache.json", state_file=state_file)
    if raw:
        from ignite.config.codec import config_from_json

        ctx.set_config(config_from_json(copy.deepcopy(cfg)))
    else:
        ctx.set_config(config_of(cfg))
    # Plan = what happens; a rerun after a crash (a journal left) skips what was done.
    planned_then_run("files", ctx.config(), root, state_file, {}, lambda: run_stage(ctx), state,
                     compare=not journal_exists(root))


def run_ignite_process(cfg: dict[str, Any], root: Path, work: Path, **popen: Any) -> subprocess.Popen[bytes]:
    """`python -m ignite run --stage files` on a cache written as the fetch stage would."""
    from ignite.stages import StageContext
    from ignite.stages.cache import save_config

    work.mkdir(parents=True, exist_ok=True)
    cache = work / "cache.json"
    if not cache.exists():
        save_config(StageContext(stage="fetch", config_cache=cache), config_of(cfg))
    argv = [sys.executable, "-m", "ignite", "run", "--stage", "files", "--root", str(root),
            "--config-cache", str(cache), "--state-file", str(work / "state")]
    return subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)


def run_oracle(cfg: dict[str, Any], root: Path, work: Path) -> subprocess.CompletedProcess[str]:
    """Debian's ignition 2.14: stage fetch, then files, against `root`."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "cfg.ign").write_text(json.dumps(cfg))
    bindir = work / "bin"
    bindir.mkdir(exist_ok=True)
    setfiles = bindir / "setfiles"
    setfiles.write_text("#!/bin/sh\ncat >/dev/null\nexit 0\n")
    setfiles.chmod(0o755)
    env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}", "IGNITION_CONFIG_FILE": str(work / "cfg.ign")}
    common = ["-platform", "file", "-root", str(root), "-log-to-stdout",
              "-config-cache", str(work / "oracle-cache.json"), "-state-file", str(work / "oracle-state")]
    for stage in ("fetch", "files"):
        done = subprocess.run([str(ORACLE), "-stage", stage, *common], env=env, cwd=work,
                              capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            return done
    return done


# --- manifests ------------------------------------------------------------------------

Manifest = dict[str, dict[str, Any]]


def manifest(root: Path, skip: Callable[[str], bool] = lambda p: False) -> Manifest:
    """path → type, mode, uid, gid, size, sha256 / link target, for the whole tree."""
    out: Manifest = {}
    base = str(root)
    for dirpath, dirnames, filenames in os.walk(base):
        for name in sorted(dirnames + filenames):
            host = os.path.join(dirpath, name)
            rel = host[len(base):]
            if skip(rel):
                continue
            st = os.lstat(host)
            row: dict[str, Any] = {"mode": oct(stat.S_IMODE(st.st_mode)), "uid": st.st_uid, "gid": st.st_gid}
            if stat.S_ISLNK(st.st_mode):
                row.update(type="link", target=os.readlink(host))
            elif stat.S_ISDIR(st.st_mode):
                row.update(type="dir")
            elif stat.S_ISREG(st.st_mode):
                data = Path(host).read_bytes()
                row.update(type="file", size=len(data), sha256=hashlib.sha256(data).hexdigest())
            else:
                row.update(type="other")
            out[rel] = row
    return out


def diff_manifests(ours: Manifest, theirs: Manifest) -> list[str]:
    lines = []
    for path in sorted(set(ours) | set(theirs)):
        a, b = ours.get(path), theirs.get(path)
        if a != b:
            lines.append(f"{path}: ignite={a} ignition={b}")
    return lines


# --- a real HTTP server on 127.0.0.1 ---------------------------------------------------


@pytest.fixture(scope="session")
def http_files() -> Iterator[Served]:
    with serving() as served:
        yield served


@pytest.fixture
def work() -> Iterator[Path]:
    """A scratch directory every user can traverse (pytest's tmp_path is 0700 for root
    only, and SSH keys are written as the user, as upstream does)."""
    import shutil
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="ignite-files-test-", dir="/var/tmp"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def root(work: Path) -> Path:
    return make_root(work / "root")


def require_root_user() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root (chown, useradd --root)")


def data(raw: str | bytes) -> str:
    """A base64 data: URL of these bytes (text as UTF-8)."""
    return "data:;base64," + base64.b64encode(raw.encode() if isinstance(raw, str) else raw).decode()


class Died(BaseException):
    """The power goes (or SIGKILL, seen from inside the process): nothing after this point runs."""


def power_loss_root(root: Path) -> Path:
    """A fresh target whose /etc/motd an append extends: what a rerun must not repeat."""
    make_root(root)
    (root / "etc/motd").write_text("existing\n")
    return root


def tree_without_journal(root: Path) -> Manifest:
    """The target's manifest as two runs can agree on: without ignite's journal, and
    without the result file's date and boot id."""
    m = manifest(root, lambda rel: rel == "/etc/ignite" or rel.startswith("/etc/ignite/"))
    for volatile in ("sha256", "size"):
        m["/etc/.ignition-result.json"].pop(volatile)
    return m


# --- power loss: the stage dies after a step, and of the journal only what was synced stays ---

JOURNAL_IN_ROOT = FILES_JOURNAL.lstrip("/")
SYNCED_LINES = ("note ", "base ", "later ", "exists ", "snapshot ", "sealed ")  # and a `begin` after its `base`


def keep_only_synced_lines(root: Path) -> None:
    """What a power loss leaves of the journal at worst: the header and the lines written
    with a sync (the first block and its seal; notes; the snapshots of what existed;
    base+begin of appends). `done` lines are synced only with a durable one, other `begin`
    lines never."""
    if not (root / JOURNAL_IN_ROOT).exists():
        return
    lines = (root / JOURNAL_IN_ROOT).read_text().splitlines(keepends=True)
    kept = [lines[0]]
    for i, line in enumerate(lines[1:], 1):
        if line.startswith(SYNCED_LINES) or (line.startswith("begin ") and lines[i - 1].startswith("base ")):
            kept.append(line)
    (root / JOURNAL_IN_ROOT).write_text("".join(kept))


def finished_steps(monkeypatch: pytest.MonkeyPatch, cfg: dict[str, Any], root: Path, work: Path) -> list[str]:
    """The journal keys a clean run of `cfg` finishes, in order (each a step to lose power at)."""
    from ignite.stages.files_journal import Journal

    keys: list[str] = []
    real = Journal.finish

    def finish(self: Journal, k: str, durable: bool = False, synced: bool = False) -> None:
        keys.append(k)
        real(self, k, durable, synced)

    monkeypatch.setattr(Journal, "finish", finish)
    run_ignite(cfg, root, work)
    monkeypatch.setattr(Journal, "finish", real)
    return keys


def lose_power_after(monkeypatch: pytest.MonkeyPatch, step: str, cfg: dict[str, Any], root: Path, work: Path) -> None:
    from ignite.stages.files_journal import Journal

    real = Journal.finish
    real_close = Journal.close

    def finish(self: Journal, k: str, durable: bool = False, synced: bool = False) -> None:
        if k == step:
            raise Died(k)
        real(self, k, durable, synced)

    def close(self: Journal) -> None:  # no final flush: the power is gone
        import os

        os.close(self._fd)

    monkeypatch.setattr(Journal, "finish", finish)
    monkeypatch.setattr(Journal, "close", close)
    with pytest.raises(Died):
        run_ignite(cfg, root, work)
    monkeypatch.setattr(Journal, "finish", real)
    monkeypatch.setattr(Journal, "close", real_close)
    shutil.rmtree(work)  # /run is gone
    keep_only_synced_lines(root)
