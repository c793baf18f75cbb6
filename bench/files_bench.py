#!/usr/bin/env python3
"""The files stage against Debian's Ignition 2.14, in one run.

1. 10,000 small files (data: URLs) in 1,000 directories: wall time of the files stage,
   each tool on its own fresh root, best of N. Target: ignite <= 1.0x Ignition.
2. A stage with nothing to do (`python -m ignite run --stage files` on an empty config)
   against the bare interpreter's start. Target: at most 25 ms more.

Usage: bench/files_bench.py [--files N] [--dirs N] [--repeat N]   (needs root)
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ORACLE_IGNITION as ORACLE
from common import REPO
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
    argv = [PY, "-m", "ignite", "run", "--stage", "files", "--root", str(root),
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


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--dirs", type=int, default=1_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", default="/var/tmp",
                    help="where the roots are made (/dev/shm: memory, which takes a busy disk out of the ratio)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("files bench: needs root (chown in the target root); skipped")
        return 0
    if not ORACLE.exists():
        print(f"files bench: {ORACLE} missing (tools/get-oracle.sh .cache/ignition); skipped")
        return 0
    work = Path(tempfile.mkdtemp(prefix="ignite-files-bench-", dir=args.dir))
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
        ENV["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
        run_ignite(cache, fresh_root(work, "ours"), work)  # warm-up: writes the bytecode
        theirs, ours = [], []
        for _ in range(args.repeat):
            theirs.append(run_oracle(cfg_path, fresh_root(work, "theirs"), work))
            ours.append(run_ignite(cache, fresh_root(work, "ours"), work))
        t, o = best(theirs), best(ours)
        print(f"{args.files} files in {args.dirs} dirs under {args.dir}: ignition {t*1000:.0f} ms, ignite {o*1000:.0f} ms, "
              f"ratio {o/t:.2f}x (target <= 1.00x)")

        empty = {"ignition": {"version": "3.3.0"}}
        empty_cache = work / "empty-cache.json"
        write_cache(empty, empty_cache)
        bare, noop = [], []
        for _ in range(max(5, args.repeat * 3)):
            start = time.perf_counter()
            subprocess.run([PY, "-c", "pass"], check=True, env=ENV)
            bare.append(time.perf_counter() - start)
            noop.append(run_ignite(empty_cache, fresh_root(work, "empty"), work))
        b, n = best(bare), best(noop)
        print(f"files stage with nothing to do: {n*1000:.1f} ms, bare interpreter {b*1000:.1f} ms, "
              f"overhead {(n-b)*1000:.1f} ms (target <= 25 ms)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
