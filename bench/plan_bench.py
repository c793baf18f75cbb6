#!/usr/bin/env python3
"""`ignite plan` speed: the whole command as a process, as a person runs it.

1. A 5,000-file config (plus 3 users and 5 units) against a directory root: target under
   1 s. Interleaved with `ignite apply` of the same config on a fresh copy of the root
   (what the plan describes), for the ratio.
2. A 4-partition disk image (wipeTable, 3 filesystems) through --device-map: target under
   0.5 s (the image is attached read-only; no sgdisk write, no settle, no sleep). Against
   `ignite apply` of the same storage on a copy of the image (needs root; skipped else).

Usage: bench/plan_bench.py [--repeat N]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from common import ENV, REPO, measure, print_busy_note
from common import VENV_PY as PY

IGNITE = [PY, "-m", "ignite"]


def files_config(n: int) -> dict:
    return {
        "ignition": {"version": "3.4.0"},
        "storage": {"files": [{"path": f"/etc/bench/d{i // 500:02}/f{i:05}", "mode": 0o644,
                               "contents": {"source": f"data:,file%20{i}"}} for i in range(n)]},
        "passwd": {"users": [{"name": f"user{i}", "sshAuthorizedKeys": [f"ssh-ed25519 AAAA{i} u{i}"]}
                             for i in range(3)]},
        "systemd": {"units": [{"name": f"bench{i}.service", "enabled": True,
                               "contents": "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n"}
                              for i in range(5)]},
    }


def disk_config() -> dict:
    return {
        "ignition": {"version": "3.4.0"},
        "storage": {
            "disks": [{"device": "/dev/vda", "wipeTable": True, "partitions": [
                {"number": 1, "label": "esp", "sizeMiB": 32, "typeGuid": "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"},
                {"number": 2, "label": "swap", "sizeMiB": 32},
                {"number": 3, "label": "root", "sizeMiB": 200},
                {"number": 4, "label": "var", "sizeMiB": 0}]}],
            "filesystems": [
                {"device": "/dev/vda1", "format": "vfat", "label": "ESP"},
                {"device": "/dev/vda3", "format": "ext4", "label": "root", "path": "/"},
                {"device": "/dev/vda4", "format": "ext4", "label": "var", "path": "/var"}],
        },
    }


def make_root(path: Path) -> None:
    (path / "etc").mkdir(parents=True)
    (path / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (path / "etc/group").write_text("root:x:0:\n")
    (path / "etc/shadow").write_text("root:*:19000:0:99999:7:::\n")
    (path / "etc/gshadow").write_text("root:*::\n")


def ms(values: list[float]) -> str:
    return f"{statistics.median(values):7.0f} ms"


def bench_root(work: Path, repeat: int) -> None:
    cfg = work / "files.ign"
    cfg.write_text(json.dumps(files_config(5000)))
    root = work / "root"
    make_root(root)
    plan_wall, plan_cpu, apply_wall = [], [], []
    measure([*IGNITE, "plan", str(cfg), "--root", str(root)], ENV)  # warm-up: bytecode
    for i in range(repeat):
        wall, cpu = measure([*IGNITE, "plan", str(cfg), "--root", str(root)], ENV)
        plan_wall.append(wall)
        plan_cpu.append(cpu)
        fresh = work / f"apply{i}"
        shutil.copytree(root, fresh)
        apply_wall.append(measure([*IGNITE, "apply", str(cfg), "--root", str(fresh)], ENV)[0])
        shutil.rmtree(fresh)
    ratio = statistics.median(plan_wall) / statistics.median(apply_wall)
    print(f"  5,000 files, directory root: plan {ms(plan_wall)} wall ({ms(plan_cpu)} CPU), "
          f"apply {ms(apply_wall)}; plan/apply {ratio:.2f}; target < 1000 ms")


def bench_image(work: Path, repeat: int) -> None:
    if os.geteuid() != 0:
        print("  disk image: skipped (needs root for loop devices)")
        return
    cfg = work / "disk.ign"
    cfg.write_text(json.dumps(disk_config()))
    image = work / "disk.img"
    with open(image, "wb") as f:
        f.truncate(600 * 1024 * 1024)
    root = work / "droot"
    root.mkdir()
    # A used disk: apply once, so the plan has partitions and filesystems to report.
    measure([*IGNITE, "apply", str(cfg), "--root", str(root), "--device-map", f"/dev/vda={image}"], ENV)
    argv = [*IGNITE, "plan", str(cfg), "--root", str(root), "--device-map", f"/dev/vda={image}"]
    measure(argv, ENV)
    plan_wall, plan_cpu, apply_wall = [], [], []
    for _ in range(repeat):
        wall, cpu = measure(argv, ENV)
        plan_wall.append(wall)
        plan_cpu.append(cpu)
    copy = work / "copy.img"
    shutil.copyfile(image, copy)
    apply_wall.append(measure([*IGNITE, "apply", str(cfg), "--root", str(root), "--device-map",
                               f"/dev/vda={copy}"], ENV)[0])
    print(f"  4-partition image: plan {ms(plan_wall)} wall ({ms(plan_cpu)} CPU), "
          f"apply of the same storage {ms(apply_wall)}; target < 500 ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print_busy_note()
    with tempfile.TemporaryDirectory(prefix="ignite-plan-bench-", dir="/var/tmp") as tmp:
        os.chmod(tmp, 0o755)  # the users' ssh keys are written as the users
        bench_root(Path(tmp), args.repeat)
        bench_image(Path(tmp), args.repeat)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
