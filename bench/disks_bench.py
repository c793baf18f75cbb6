#!/usr/bin/env python3
"""Full provisioning on loop devices, every stage its own process as at boot, against
Debian's Ignition 2.14 in the same run.

Reference config: one disk, four partitions, three filesystems (vfat, ext4 at /, xfs at
/var), 100 files, 3 users, 5 units. Both tools run disks, mount, files and umount, each
stage its own process, inside the mount namespace of a private udevd (tests/blockdev.py);
Ignition 2.14's disks stage waits for devices through systemd's D-Bus API, answered by the
stand-in of the disks tests (tests/disks/systemd_standin.py, needs jeepney). Without
those, Ignition's disks stage is skipped (prepared by ignite, untimed) and the bench says so.

Rounds are interleaved (the two tools alternate which goes first) and the verdict is the
median of the per-round ratios with their spread: a single best-of is at the mercy of a
busy shared disk. ignite is started as the initramfs starts it (common.shipped_ignite).

Usage: bench/disks_bench.py [--repeat N]   (needs root)
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

DISK_MIB = 600


def config(dev: str) -> dict:
    return {
        "ignition": {"version": "3.3.0"},
        "storage": {
            "disks": [{"device": dev, "wipeTable": True, "partitions": [
                {"number": 1, "label": "esp", "sizeMiB": 32, "typeGuid": "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"},
                {"number": 2, "label": "swap", "sizeMiB": 32},
                {"number": 3, "label": "root", "sizeMiB": 200},
                {"number": 4, "label": "var", "sizeMiB": 0}]}],
            "filesystems": [
                {"device": f"{dev}p1", "format": "vfat", "label": "ESP"},
                {"device": f"{dev}p3", "format": "ext4", "label": "root", "path": "/"},
                {"device": f"{dev}p4", "format": "xfs", "label": "var", "path": "/var"}],
            "files": [{"path": f"/etc/bench/f{i:03}", "mode": 0o644, "contents": {"source": f"data:,file%20{i}"}}
                      for i in range(100)],
        },
        "passwd": {"users": [{"name": f"user{i}", "sshAuthorizedKeys": [f"ssh-ed25519 AAAA{i} u{i}"]}
                             for i in range(3)]},
        "systemd": {"units": [{"name": f"bench{i}.service", "enabled": True,
                               "contents": "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n"}
                              for i in range(5)]},
    }


def seed(root: Path) -> None:
    """What a real target has and both tools need: account files, SELinux disabled."""
    (root / "etc/selinux").mkdir(parents=True, exist_ok=True)
    (root / "etc/selinux/config").write_text("SELINUX=disabled\nSELINUXTYPE=targeted\n")
    for name, text in {"passwd": "root:x:0:0:root:/root:/bin/sh\n", "group": "root:x:0:\n",
                       "shadow": "root:*:19000:0:99999:7:::\n", "gshadow": "root:*::\n"}.items():
        (root / "etc" / name).write_text(text)
    (root / "home").mkdir(exist_ok=True)


def sh(*argv: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kw)


class Loop:
    def __init__(self, work: Path):
        self.image = work / "disk.img"
        with open(self.image, "wb") as f:
            f.truncate(DISK_MIB << 20)
        self.dev = sh("losetup", "--find", "--show", str(self.image)).stdout.strip()
        CURRENT["dev"] = self.dev

    def close(self) -> None:
        mounts = subprocess.run([*NS, "cat", "/proc/self/mounts"], capture_output=True, text=True).stdout
        for line in reversed(mounts.splitlines()):
            if line.startswith(self.dev):
                subprocess.run([*NS, "umount", line.split()[1]], capture_output=True)
        subprocess.run(["partx", "-d", self.dev], capture_output=True)
        subprocess.run(["losetup", "-d", self.dev], capture_output=True)
        self.image.unlink(missing_ok=True)


NS: list[str] = []  # nsenter prefix into the udevd's mount namespace, when there is one


def ignite_stage(stage: str, work: Path, root: Path, env: dict) -> float:
    argv = [*NS, *shipped_ignite(), "run", "--stage", stage, "--root", str(root),
            "--config-cache", str(work / "i-cache.json"), "--state-file", str(work / "i-state")]
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, env=env)
    if done.returncode:
        raise SystemExit(f"ignite {stage} failed: {done.stderr[-2000:]}")
    return time.perf_counter() - start


def oracle_stage(stage: str, cfg: Path, work: Path, root: Path) -> float:
    env = {**os.environ, "PATH": f"{work / 'bin'}:{os.environ['PATH']}", "IGNITION_CONFIG_FILE": str(cfg)}
    argv = [*NS, str(ORACLE), "-platform", "file", "-stage", stage, "-root", str(root), "-log-to-stdout",
            "-config-cache", str(work / "o-cache.json"), "-state-file", str(work / "o-state")]
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"ignition {stage} failed: {done.stdout[-2000:]}{done.stderr[-1000:]}")
    return time.perf_counter() - start


def one_round(work: Path, env: dict, oracle_disks: bool, ignite_first: bool) -> tuple[float, float, float, float]:
    """(ignite all stages, ignite mount+files+umount, ignition all stages it ran,
    ignition mount+files+umount)."""
    sys.path.insert(0, str(REPO))
    from ignite.config.codec import config_from_json
    from ignite.stages import StageContext
    from ignite.stages.cache import save_config

    results: dict[str, list[float]] = {}
    for tool in ("ignite", "ignition") if ignite_first else ("ignition", "ignite"):
        loop = Loop(work)
        root = work / f"root-{tool}"
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir()
        for f in ("i-state", "o-state", "o-cache.json"):
            (work / f).unlink(missing_ok=True)
        try:
            cfg = config(loop.dev)
            save_config(StageContext(stage="fetch", config_cache=work / "i-cache.json"), config_from_json(cfg))
            cfg_path = work / "cfg.ign"
            cfg_path.write_text(json.dumps(cfg))
            if tool == "ignite" or not oracle_disks:
                disks = ignite_stage("disks", work, root, env)  # for Ignition: untimed preparation
            seed(visible(root))  # Ignition's mount stage reads the root's SELinux config
            if tool == "ignite":
                t = {"disks": disks, "mount": ignite_stage("mount", work, root, env)}
                seed(visible(root))
                t["files"] = ignite_stage("files", work, root, env)
                t["umount"] = ignite_stage("umount", work, root, env)
                results[tool] = [sum(t.values()), t["mount"] + t["files"] + t["umount"]]
                print("ignite stages (ms):", {k: round(v * 1000) for k, v in t.items()})
            else:
                oracle_stage("fetch", cfg_path, work, root)
                t = {"disks": oracle_stage("disks", cfg_path, work, root)} if oracle_disks else {}
                t["mount"] = oracle_stage("mount", cfg_path, work, root)
                seed(visible(root))
                t["files"] = oracle_stage("files", cfg_path, work, root)
                t["umount"] = oracle_stage("umount", cfg_path, work, root)
                results[tool] = [sum(t.values()), t["mount"] + t["files"] + t["umount"]]
                print("ignition stages (ms):", {k: round(v * 1000) for k, v in t.items()})
        finally:
            loop.close()
    return results["ignite"][0], results["ignite"][1], results["ignition"][0], results["ignition"][1]


def _oracle_helpers():
    """A private udevd and the D-Bus stand-in, so that Ignition's disks stage runs; (None, None)
    when they cannot run here."""
    sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests/disks")]
    try:
        import jeepney  # noqa: F401
        from systemd_standin import SystemdStandIn

        from blockdev import UDEVD, Udevd
    except ImportError:
        return None, None
    if not os.path.exists(UDEVD) or not shutil.which("nsenter"):
        return None, None
    udevd = Udevd()
    NS[:] = ["nsenter", "-t", str(udevd.proc.pid), "-m"]
    allowed = lambda dev: dev == CURRENT.get("dev")  # noqa: E731 - only the bench's own loop device
    return udevd, SystemdStandIn(f"/proc/{udevd.proc.pid}/root/run/systemd/private", allowed)


CURRENT: dict[str, str] = {}


def visible(root: Path) -> Path:
    """`root` as the stages see it: inside the udevd's mount namespace when there is one."""
    return Path(f"/proc/{NS[2]}/root{root}") if NS else root


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("disks bench: needs root (loop devices); skipped")
        return 0
    if not ORACLE.exists():
        print(f"disks bench: {ORACLE} missing (tools/get-oracle.sh .cache/ignition); skipped")
        return 0
    work = Path(tempfile.mkdtemp(prefix="ignite-disks-bench-", dir="/var/tmp"))
    os.chmod(work, 0o755)
    try:
        (work / "bin").mkdir()
        (work / "bin/setfiles").write_text("#!/bin/sh\ncat >/dev/null\nexit 0\n")
        (work / "bin/setfiles").chmod(0o755)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
        udevd, standin = _oracle_helpers()
        try:
            # a warm-up round (bytecode, page cache), then interleaved rounds
            one_round(work, env, standin is not None, True)
            rounds = [one_round(work, env, standin is not None, i % 2 == 0) for i in range(args.repeat)]
        finally:
            if standin is not None:
                standin.close()
            if udevd is not None:
                udevd.stop()
        med = lambda i: statistics.median(r[i] for r in rounds) * 1000  # noqa: E731
        if standin is not None:
            print(f"full provisioning, every stage its own process: ignite {med(0):.0f} ms, ignition 2.14 "
                  f"{med(2):.0f} ms (medians), ratio {spread([r[0] / r[2] for r in rounds])} (target <= 1.00x)")
        else:
            print("ignition's disks stage could not run here (no udevd or no jeepney): compared without it")
            print(f"ignite whole run {med(0):.0f} ms vs ignition without disks {med(2):.0f} ms (medians)")
        print(f"mount+files+umount: ignite {med(1):.0f} ms, ignition 2.14 {med(3):.0f} ms (medians), "
              f"ratio {spread([r[1] / r[3] for r in rounds])} (target <= 1.00x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
