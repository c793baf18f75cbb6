#!/usr/bin/env python3
"""The fetch-offline (or fetch) stage with a small real config, as its own process (as at
boot), against Debian's Ignition 2.14 running the same stage on the same config, in one run.

The config (spec 3.3.0: a user with an SSH key, two files with data: contents, an enabled
unit) comes from the file platform; the kernel command line names that platform. Every run
starts from an empty run directory (no cache, no state), as a first boot does. Rounds are
interleaved (the tools alternate which goes first); the figures are medians with their
spread, wall and CPU (user+sys) time. ignite is started as the initramfs starts it
(common.shipped_ignite).

Usage: .venv/bin/python bench/fetch_stages_bench.py [--stage fetch-offline|fetch] [--repeat N]
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
from pathlib import Path

from common import ENV, measure, print_busy_note, shipped_ignite
from common import ORACLE_IGNITION as ORACLE

CONFIG = {
    "ignition": {"version": "3.3.0"},
    "passwd": {"users": [{"name": "core", "sshAuthorizedKeys": ["ssh-ed25519 AAAA core"]}]},
    "storage": {"files": [{"path": "/etc/a", "mode": 0o644, "contents": {"source": "data:,hello"}},
                          {"path": "/etc/b", "contents": {"source": "data:,world"}}]},
    "systemd": {"units": [{"name": "x.service", "enabled": True,
                           "contents": "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n"}]},
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stage", choices=("fetch-offline", "fetch"), default="fetch-offline")
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()
    if not ORACLE.exists():
        raise SystemExit(f"no Ignition 2.14 at {ORACLE}: run tools/get-oracle.sh")
    top = Path(tempfile.mkdtemp(prefix="ignite-fetch-bench-"))
    try:
        cfg = top / "cfg.ign"
        cfg.write_text(json.dumps(CONFIG))
        (top / "cmdline").write_text("ignition.platform.id=file\n")
        run, root = top / "run", top / "root"
        tools = {
            "ignite": (shipped_ignite() + [
                "run", "--stage", args.stage, "--platform", "file", "--config", str(cfg),
                "--config-cache", str(run / "cache.json"), "--state-file", str(run / "state"),
                "--neednet", str(run / "neednet"), "--cmdline", str(top / "cmdline"), "--root", str(root)], ENV),
            "ignition": ([str(ORACLE), "-platform", "file", "-stage", args.stage, "-root", str(root),
                          "-config-cache", str(run / "cache.json"), "-state-file", str(run / "state"),
                          "-log-to-stdout"], ENV | {"IGNITION_CONFIG_FILE": str(cfg)}),
        }
        wall: dict[str, list[float]] = {name: [] for name in tools}
        cpu: dict[str, list[float]] = {name: [] for name in tools}
        for i in range(args.repeat + 2):  # the first two rounds warm the caches, untimed
            order = list(tools) if i % 2 == 0 else list(reversed(tools))
            for name in order:
                shutil.rmtree(run, ignore_errors=True)
                shutil.rmtree(root, ignore_errors=True)
                run.mkdir()
                root.mkdir()
                argv, env = tools[name]
                w, c = measure(argv, env)
                if not (run / "cache.json").exists():
                    raise SystemExit(f"{name} wrote no config cache")
                if i >= 2:
                    wall[name].append(w)
                    cpu[name].append(c)
        print(f"{args.stage}, {args.repeat} interleaved rounds:")
        for name in tools:
            print(f"  {name:9s} wall {statistics.median(wall[name]):6.1f} ms "
                  f"({min(wall[name]):.1f}-{max(wall[name]):.1f})  "
                  f"cpu {statistics.median(cpu[name]):6.1f} ms ({min(cpu[name]):.1f}-{max(cpu[name]):.1f})")
        ratios = [a / b for a, b in zip(wall["ignite"], wall["ignition"], strict=True)]
        print(f"  ignite/Ignition wall: median {statistics.median(ratios):.2f}x "
              f"({min(ratios):.2f}-{max(ratios):.2f}) of the per-round ratios")
        print_busy_note()
    finally:
        shutil.rmtree(top, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
