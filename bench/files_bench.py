#!/usr/bin/env python3
"""The files stage against Debian's Ignition 2.14, in one run.

1. 10,000 small files (data: URLs) in 1,000 directories: wall time of the files stage,
   each tool on its own fresh root, on tmpfs (/dev/shm: the work done, without the disk)
   and on the disk (/var/tmp, with a sync before every run so that no run pays for the
   previous one's writeback), in interleaved rounds (the tools alternate which goes
   first). The verdict is the median of the per-round ratios, with their spread: on a
   shared disk Ignition's own time ranged over 1.0-8.6 s, so a best-of could say anything.
   Target: ignite <= 1.0x Ignition.
2. A stage with nothing to do (`python -m ignite run --stage files` on an empty config)
   against the bare interpreter's start. Target: at most 25 ms more.

ignite is started as the initramfs starts it (common.shipped_ignite).

Usage: bench/files_bench.py [--files N] [--dirs N] [--repeat N] [--dir D ...]   (needs root)
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ORACLE_IGNITION as ORACLE
from common import REPO, shipped_ignite, spread
from common import VENV_PY as PY


def config(files: int, dirs: int) -> dict:
    return {
        "ignition": {"version": "3.3.0"},
        "storage": {
            "directories": [{"path": f"/srv/d{d:04}", "mode": 0o755} for d in range(dirs)],
            "files": [
                {"path": f"/srv/d{i % dirs:04}/f{i:05}", "mode": 0o644, "contents": {"source": f"data:,file%20{i}"}}
                for i in range(files)
            ],
        },
    }


def fresh_root(base: Path, name: str) -> Path:
    root = base / name
    shutil.rmtree(root, ignore_errors=True)
    (root / "etc/selinux").mkdir(parents=True)
    (root / "etc/selinux/config").write_text("SELINUX=disabled\nSELINUXTYPE=targeted\n")
    return root


def run_oracle(cfg_path: Path, root: Path, work: Path) -> float:
    env = {**os.environ, "PATH": f"{work / 'bin'}:{os.environ['PATH']}", "IGNITION_CONFIG_FILE": str(cfg_path)}
    common = ["-platform", "file", "-root", str(root), "-log-to-stdout",
              "-config-cache", str(work / "o-cache.json"), "-state-file", str(work / "o-state")]
    for f in ("o-cache.json", "o-state"):
        (work / f).unlink(missing_ok=True)
    subprocess.run([str(ORACLE), "-stage", "fetch", *common], env=env, check=True, capture_output=True)
    os.sync()  # the previous run's writeback must not be charged to this one
    start = time.perf_counter()
    subprocess.run([str(ORACLE), "-stage", "files", *common], env=env, check=True, capture_output=True)
    return time.perf_counter() - start


# Bytecode as the initramfs ships it: compiled once into a cache of the bench's own.
ENV: dict[str, str] = {}


def run_ignite(cache: Path, root: Path, work: Path) -> float:
    shutil.rmtree(work / "i-run", ignore_errors=True)
    state = work / "i-run" / "state"
    argv = [*shipped_ignite(), "run", "--stage", "files", "--root", str(root),
            "--config-cache", str(cache), "--state-file", str(state)]
    os.sync()
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, env=ENV)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"ignite failed: {done.stderr}")
    return elapsed


def write_cache(cfg: dict, cache: Path) -> None:
    sys.path.insert(0, str(REPO))
    from ignite.config.codec import config_from_json
    from ignite.stages import StageContext
    from ignite.stages.cache import save_config

    save_config(StageContext(stage="fetch", config_cache=cache), config_from_json(cfg))


def best(times: list[float]) -> float:
    return min(times)


def filesystem_of(path: Path) -> str:
    """The filesystem type `path` is on, from this namespace's mountinfo."""
    best_point, kind = "", "?"
    with open("/proc/self/mountinfo") as info:
        for line in info:
            fields = line.split()
            point, fstype = fields[4], fields[fields.index("-") + 1]
            if str(path).startswith(point.rstrip("/") + "/") and len(point) >= len(best_point):
                best_point, kind = point, fstype
    return kind


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--dirs", type=int, default=1_000)
    ap.add_argument("--repeat", type=int, default=5, help="interleaved rounds per place")
    ap.add_argument("--dir", action="append", default=None,
                    help="where the roots are made; repeat for several (default: /dev/shm and /var/tmp)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("files bench: needs root (chown in the target root); skipped")
        return 0
    if not ORACLE.exists():
        print(f"files bench: {ORACLE} missing (tools/get-oracle.sh .cache/ignition); skipped")
        return 0
    places = args.dir or ["/dev/shm", "/var/tmp"]
    for place in places:
        if bench_place(args, place, noop=place == places[-1]) != 0:
            return 1
    return 0


def bench_place(args: argparse.Namespace, place: str, noop: bool) -> int:
    work = Path(tempfile.mkdtemp(prefix="ignite-files-bench-", dir=place))
    try:
        (work / "bin").mkdir()
        (work / "bin/setfiles").write_text("#!/bin/sh\ncat >/dev/null\nexit 0\n")
        (work / "bin/setfiles").chmod(0o755)
        cfg = config(args.files, args.dirs)
        cfg_path = work / "cfg.ign"
        cfg_path.write_text(json.dumps(cfg))
        cache = work / "i-cache.json"
        write_cache(cfg, cache)
        ENV.update({k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"})
        run_ignite(cache, fresh_root(work, "ours"), work)  # warm-up: writes the bytecode
        run_oracle(cfg_path, fresh_root(work, "theirs"), work)
        theirs, ours = [], []
        for i in range(args.repeat):
            order = ("theirs", "ours") if i % 2 == 0 else ("ours", "theirs")
            for tool in order:
                if tool == "theirs":
                    theirs.append(run_oracle(cfg_path, fresh_root(work, "theirs"), work))
                else:
                    ours.append(run_ignite(cache, fresh_root(work, "ours"), work))
        ratios = [o / t for o, t in zip(ours, theirs, strict=True)]
        print(f"{args.files} files in {args.dirs} dirs on {place} ({filesystem_of(work)}): ignition "
              f"{statistics.median(theirs)*1000:.0f} ms ({min(theirs)*1000:.0f}–{max(theirs)*1000:.0f}), ignite "
              f"{statistics.median(ours)*1000:.0f} ms ({min(ours)*1000:.0f}–{max(ours)*1000:.0f}), "
              f"ratio {spread(ratios)} (target <= 1.00x)")
        if not noop:
            return 0

        empty = {"ignition": {"version": "3.3.0"}}
        empty_cache = work / "empty-cache.json"
        write_cache(empty, empty_cache)
        bare, idle = [], []
        for _ in range(max(5, args.repeat * 3)):
            start = time.perf_counter()
            subprocess.run([PY, "-I", "-S", "-c", "pass"], check=True, env=ENV)
            bare.append(time.perf_counter() - start)
            idle.append(run_ignite(empty_cache, fresh_root(work, "empty"), work))
        b, n = best(bare), best(idle)
        print(f"files stage with nothing to do: {n*1000:.1f} ms, bare interpreter {b*1000:.1f} ms, "
              f"overhead {(n-b)*1000:.1f} ms (target <= 25 ms; both -I -S, as shipped)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
