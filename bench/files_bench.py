#!/usr/bin/env python3
"""The files stage, alone and as mount + files + umount, against Debian's Ignition 2.14
in the same run.

Two configs:
- small: what a typical first boot writes (disks_bench's: 100 files, 3 users with SSH
  keys, 5 enabled units);
- 10k: 10,000 small files (data: URLs) in 1,000 directories.
Two places:
- tmpfs (/dev/shm): the work done, without the disk;
- disk (/var/tmp): with a sync before every timed run, so that no run pays for the
  previous one's writeback.
Two measures:
- files: the files stage alone, each tool on its own fresh root (a directory);
- mount+files+umount: each stage its own process, on an ext4 filesystem made fresh
  (untimed) on a loop device whose image lies in the place, mounted at the root.

Rounds are interleaved (the tools alternate which goes first) and the verdict is the
median of the per-round ratios ignite/Ignition, with their spread (min-max): on a shared
machine a best-of could say anything. Wall time is what a boot waits for; CPU time
(user+sys of the processes and their children, useradd's too) is the steadier figure when
other work shares the machine. Target: ignite <= 1.0x Ignition.

Last, a files stage with nothing to do against the bare interpreter's start (target: at
most 25 ms more). ignite is started as the initramfs starts it (common.shipped_ignite).

Usage: bench/files_bench.py [--repeat N] [--only small|10k] [--dir D ...] [--no-mount]   (needs root)
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ORACLE_IGNITION as ORACLE
from common import REPO, shipped_ignite
from common import TARGET_PY as PY

IMAGE_MIB = 512
SELINUX = "SELINUX=disabled\nSELINUXTYPE=targeted\n"
ACCOUNTS = {"passwd": "root:x:0:0:root:/root:/bin/sh\n", "group": "root:x:0:\n",
            "shadow": "root:*:19000:0:99999:7:::\n", "gshadow": "root:*::\n"}


def small_config() -> dict:
    return {
        "ignition": {"version": "3.3.0"},
        "storage": {"files": [
            {"path": f"/etc/bench/f{i:03}", "mode": 0o644, "contents": {"source": f"data:,file%20{i}"}}
            for i in range(100)]},
        "passwd": {"users": [{"name": f"user{i}", "sshAuthorizedKeys": [f"ssh-ed25519 AAAA{i} u{i}"]}
                             for i in range(3)]},
        "systemd": {"units": [{"name": f"bench{i}.service", "enabled": True,
                               "contents": "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n"}
                              for i in range(5)]},
    }


def many_config(files: int = 10_000, dirs: int = 1_000) -> dict:
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


CONFIGS = {"small": small_config, "10k": many_config}


def seed(root: Path) -> None:
    """What a real target has and both tools need: account files, SELinux disabled."""
    (root / "etc/selinux").mkdir(parents=True, exist_ok=True)
    (root / "etc/selinux/config").write_text(SELINUX)
    for name, text in ACCOUNTS.items():
        (root / "etc" / name).write_text(text)
    (root / "home").mkdir(exist_ok=True)


class Timer:
    """Wall and CPU (user+sys of waited-for children) seconds of what runs inside."""

    def __enter__(self) -> Timer:
        self.usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.start = time.perf_counter()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall = time.perf_counter() - self.start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.cpu = (after.ru_utime - self.usage.ru_utime) + (after.ru_stime - self.usage.ru_stime)


def run(argv: list[str], env: dict[str, str] | None = None) -> None:
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{argv[0]} {' '.join(argv[1:6])} ... failed: {done.stdout[-1500:]}{done.stderr[-1500:]}")


class Tools:
    """Both tools' stage commands, on one work directory (config, caches, states)."""

    def __init__(self, work: Path, cfg: dict, env: dict[str, str]):
        self.work, self.env = work, env
        self.cfg_path = work / "cfg.ign"
        self.cfg_path.write_text(json.dumps(cfg))
        self.cache = work / "i-cache.json"
        sys.path.insert(0, str(REPO))
        from ignite.config.codec import config_from_json
        from ignite.stages import StageContext
        from ignite.stages.cache import save_config

        save_config(StageContext(stage="fetch", config_cache=self.cache), config_from_json(cfg))
        self.oracle_env = {**os.environ, "PATH": f"{work / 'bin'}:{os.environ['PATH']}",
                           "IGNITION_CONFIG_FILE": str(self.cfg_path)}

    def reset(self) -> None:
        shutil.rmtree(self.work / "i-run", ignore_errors=True)
        for f in ("o-cache.json", "o-state"):
            (self.work / f).unlink(missing_ok=True)

    def ignite(self, stage: str, root: Path) -> list[str]:
        return [*shipped_ignite(), "run", "--stage", stage, "--root", str(root), "--config-cache", str(self.cache),
                "--state-file", str(self.work / "i-run" / "state")]

    def oracle(self, stage: str, root: Path) -> list[str]:
        return [str(ORACLE), "-stage", stage, "-platform", "file", "-root", str(root), "-log-to-stdout",
                "-config-cache", str(self.work / "o-cache.json"), "-state-file", str(self.work / "o-state")]

    def prepare_oracle(self, root: Path) -> None:
        run(self.oracle("fetch", root), self.oracle_env)  # untimed: the config into its cache

    def stages(self, tool: str, stages: tuple[str, ...], root: Path) -> Timer:
        """The stages one after another, each its own process, timed together."""
        argvs = [self.ignite(s, root) if tool == "ignite" else self.oracle(s, root) for s in stages]
        env = self.env if tool == "ignite" else self.oracle_env
        os.sync()  # the previous run's writeback must not be charged to this one
        with Timer() as t:
            for argv in argvs:
                run(argv, env)
        return t


class Loop:
    """An image file in the place and its loop device, made fresh ext4 before each run."""

    def __init__(self, place: Path):
        self.image = place / "fs.img"
        with open(self.image, "wb") as f:
            f.truncate(IMAGE_MIB << 20)
        self.dev = subprocess.run(["losetup", "--find", "--show", str(self.image)], check=True,
                                  capture_output=True, text=True).stdout.strip()

    def fresh(self, mountpoint: Path) -> None:
        """A new ext4 holding the seed, unmounted again (untimed)."""
        run(["mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", self.dev])
        mountpoint.mkdir(parents=True, exist_ok=True)
        run(["mount", self.dev, str(mountpoint)])
        try:
            seed(mountpoint)
        finally:
            run(["umount", str(mountpoint)])
        seed(mountpoint)  # below the mount too: Ignition's mount stage reads the root's SELinux config first

    def close(self, mountpoint: Path) -> None:
        if os.path.ismount(mountpoint):
            subprocess.run(["umount", str(mountpoint)], capture_output=True)
        subprocess.run(["losetup", "-d", self.dev], capture_output=True)
        self.image.unlink(missing_ok=True)


def fresh_root(base: Path, name: str) -> Path:
    root = base / name
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    seed(root)
    return root


def ratios(ours: list[Timer], theirs: list[Timer], what: str) -> str:
    def med(ts: list[Timer], attr: str) -> float:
        return statistics.median(getattr(t, attr) for t in ts) * 1000

    wall = [o.wall / t.wall for o, t in zip(ours, theirs, strict=True)]
    cpu = [o.cpu / t.cpu for o, t in zip(ours, theirs, strict=True)]
    return (f"{what}: wall ignite {med(ours, 'wall'):.0f} ms, ignition {med(theirs, 'wall'):.0f} ms, "
            f"ratio {statistics.median(wall):.2f}x ({min(wall):.2f}-{max(wall):.2f}x); "
            f"cpu ignite {med(ours, 'cpu'):.0f} ms, ignition {med(theirs, 'cpu'):.0f} ms, "
            f"ratio {statistics.median(cpu):.2f}x ({min(cpu):.2f}-{max(cpu):.2f}x)")


def bench_files(tools: Tools, work: Path, repeat: int) -> str:
    rounds: dict[str, list[Timer]] = {"ignite": [], "ignition": []}
    for i in range(repeat + 1):  # the first round warms up (bytecode, page cache)
        for tool in ("ignition", "ignite") if i % 2 == 0 else ("ignite", "ignition"):
            tools.reset()
            root = fresh_root(work, tool)
            if tool == "ignition":
                tools.prepare_oracle(root)
            t = tools.stages(tool, ("files",), root)
            if i:
                rounds[tool].append(t)
    return ratios(rounds["ignite"], rounds["ignition"], "files")


def bench_mounted(tools: Tools, work: Path, loop: Loop, repeat: int) -> str:
    rounds: dict[str, list[Timer]] = {"ignite": [], "ignition": []}
    root = work / "mnt"
    for i in range(repeat + 1):
        for tool in ("ignition", "ignite") if i % 2 == 0 else ("ignite", "ignition"):
            tools.reset()
            loop.fresh(root)
            if tool == "ignition":
                tools.prepare_oracle(root)
            t = tools.stages(tool, ("mount", "files", "umount"), root)
            if os.path.ismount(root):
                raise SystemExit(f"{tool} left {root} mounted")
            if i:
                rounds[tool].append(t)
    return ratios(rounds["ignite"], rounds["ignition"], "mount+files+umount")


def mounted_config(cfg: dict, dev: str) -> dict:
    return {**cfg, "storage": {**cfg.get("storage", {}),
                               "filesystems": [{"device": dev, "format": "ext4", "path": "/"}]}}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5, help="interleaved rounds per measure")
    ap.add_argument("--only", choices=sorted(CONFIGS), action="append", help="one config (repeatable)")
    ap.add_argument("--dir", action="append", default=None,
                    help="where roots and images are made; repeat for several (default: /dev/shm and /var/tmp)")
    ap.add_argument("--no-mount", action="store_true", help="the files stage alone only")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("files bench: needs root (chown in the target root, loop devices); skipped")
        return 0
    if not ORACLE.exists():
        print(f"files bench: {ORACLE} missing (tools/get-oracle.sh .cache/ignition); skipped")
        return 0
    print(f"load: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for place in args.dir or ["/dev/shm", "/var/tmp"]:
        base = Path(tempfile.mkdtemp(prefix="ignite-files-bench-", dir=place))
        os.chmod(base, 0o755)
        loop = None
        try:
            (base / "bin").mkdir()
            (base / "bin/setfiles").write_text("#!/bin/sh\ncat >/dev/null\nexit 0\n")
            (base / "bin/setfiles").chmod(0o755)
            if not args.no_mount:
                loop = Loop(base)
            fstype = filesystem_of(base)
            kind = "tmpfs" if fstype == "tmpfs" else f"disk ({fstype}, synced before each run)"
            for name in args.only or list(CONFIGS):
                cfg = CONFIGS[name]()
                print(f"{name} config on {place}, {kind}:", flush=True)
                print("  " + bench_files(Tools(base, cfg, env), base, args.repeat), flush=True)
                if loop is not None:
                    tools = Tools(base, mounted_config(cfg, loop.dev), env)
                    print("  " + bench_mounted(tools, base, loop, args.repeat), flush=True)
        finally:
            if loop is not None:
                loop.close(base / "mnt")
            shutil.rmtree(base, ignore_errors=True)
    noop(env)
    return 0


def noop(env: dict[str, str]) -> None:
    """A files stage with nothing to do against the bare interpreter (both -I -S)."""
    work = Path(tempfile.mkdtemp(prefix="ignite-files-noop-", dir="/dev/shm"))
    try:
        tools = Tools(work, {"ignition": {"version": "3.3.0"}}, env)
        bare, idle = [], []
        for _ in range(15):
            with Timer() as t:
                run([PY, "-I", "-S", "-c", "pass"], env)
            bare.append(t.wall)
            tools.reset()
            root = fresh_root(work, "empty")
            with Timer() as t:
                run(tools.ignite("files", root), env)
            idle.append(t.wall)
        b, n = min(bare), min(idle)
        print(f"files stage with nothing to do: {n*1000:.1f} ms, bare interpreter {b*1000:.1f} ms, "
              f"overhead {(n-b)*1000:.1f} ms (target <= 25 ms; both -I -S, as shipped)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


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


if __name__ == "__main__":
    sys.exit(main())
