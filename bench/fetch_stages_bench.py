#!/usr/bin/env python3
"""The fetch-offline (or fetch) stage with a small real config, as its own process (as at
boot), against Debian's Ignition 2.14 running the same stage on the same config, in one run.

The config (spec 3.3.0: a user with an SSH key, two files with data: contents, an enabled
unit) comes from the file platform; the kernel command line names that platform. Every run
starts from an empty run directory (no cache, no state), as a first boot does. Rounds are
interleaved (the tools alternate which goes first); the figures are medians with their
spread, wall and CPU (user+sys) time. ignite is started as the initramfs starts it
(common.shipped_ignite).

--after-flag measures what a boot waits for once the stage's flag file appears
(IGNITE_STAGE_AFTER_FILE: the process loads its code, then waits for the flag; fetch's unit
waits so for the network, and for fetch-offline, whose unit does its set-up there instead,
the flag stands for the end of the set-up). ignite alone, as at boot: fetch-offline on the qemu platform (a
folder shaped like fw_cfg), fetch on metal with an http:// config URL on the command line
(a server on 127.0.0.1). The flag is created once the process sits in its wait; the
figures are the process's CPU after that (all threads) and the wall time to its exit
(which includes up to one poll interval of the wait), with the whole process's CPU.

Usage: .venv/bin/python bench/fetch_stages_bench.py [--stage fetch-offline|fetch] [--repeat N] [--after-flag]
"""
from __future__ import annotations

import argparse
import glob
import http.server
import json
import resource
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
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
    parser.add_argument("--after-flag", action="store_true", help="ignite only: the CPU and wall time after the flag")
    args = parser.parse_args()
    if args.after_flag:
        return after_flag(args.stage, args.repeat)
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


SETTLE = 1.0  # seconds for the process to load its code and sit in its wait (~0.1 s here)


def after_flag(stage: str, repeat: int) -> int:
    top = Path(tempfile.mkdtemp(prefix="ignite-fetch-flag-bench-"))
    server = None
    try:
        data = json.dumps(CONFIG).encode()
        env = dict(ENV)
        for knob, sub in (("IGNITION_SYSTEM_RUNTIME_CONFIG_DIR", "sys-run"),
                          ("IGNITION_SYSTEM_LOCAL_CONFIG_DIR", "sys-etc"), ("IGNITION_SYSTEM_CONFIG_DIR", "sys-usr")):
            (top / sub).mkdir()
            env[knob] = str(top / sub)
        if stage == "fetch-offline":
            entry = top / "fw_cfg/by_name/opt/com.coreos/config"
            entry.mkdir(parents=True)
            (entry / "raw").write_bytes(data)
            (entry / "size").write_text(str(len(data)))
            env["IGNITE_QEMU_FW_CFG"] = str(top / "fw_cfg")
            platform, cmdline = "qemu", "ignition.platform.id=qemu"
        else:
            (top / "www").mkdir()
            (top / "www/config.ign").write_bytes(data)
            handler = _quiet_handler(str(top / "www"))
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            url = f"http://127.0.0.1:{server.server_address[1]}/config.ign"
            platform, cmdline = "metal", f"ignition.platform.id=metal ignition.config.url={url}"
        (top / "cmdline").write_text(cmdline + "\n")
        run, root, flag = top / "run", top / "root", top / "flag"
        env["IGNITE_STAGE_AFTER_FILE"] = str(flag)
        argv = shipped_ignite() + [
            "--verbose", "run", "--stage", stage, "--platform", platform,
            "--config-cache", str(run / "cache.json"), "--state-file", str(run / "state"),
            "--neednet", str(run / "neednet"), "--cmdline", str(top / "cmdline"), "--root", str(root)]
        post_cpu, post_wall, total_cpu = [], [], []
        for i in range(repeat + 2):  # the first two warm the caches (and write the bytecode), untimed
            for path in (run, root):
                shutil.rmtree(path, ignore_errors=True)
                path.mkdir()
            flag.unlink(missing_ok=True)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            time.sleep(SETTLE)
            waiting = _cpu_so_far(proc.pid)
            flag.touch()
            start = time.perf_counter()
            _, stderr = proc.communicate()
            wall = (time.perf_counter() - start) * 1000
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if proc.returncode != 0 or not (run / "cache.json").exists():
                raise SystemExit(f"ignite failed ({proc.returncode}): {stderr.decode()[-800:]}")
            cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
            if i >= 2:
                post_cpu.append(cpu - waiting)
                post_wall.append(wall)
                total_cpu.append(cpu)
        print(f"{stage} after its flag ({platform}), {repeat} runs of ignite:")
        for name, values in (("cpu after the flag", post_cpu), ("wall after the flag", post_wall),
                             ("cpu of the process", total_cpu)):
            print(f"  {name:20s} {statistics.median(values):6.1f} ms ({min(values):.1f}-{max(values):.1f})")
        print_busy_note()
    finally:
        if server is not None:
            server.shutdown()
        shutil.rmtree(top, ignore_errors=True)
    return 0


def _cpu_so_far(pid: int) -> float:
    """ms of CPU the process's threads have run (schedstat: ns, not the 10 ms ticks of stat)."""
    total = 0
    for path in glob.glob(f"/proc/{pid}/task/*/schedstat"):
        try:
            with open(path) as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass  # a thread that just ended
    if not total:
        raise SystemExit(f"process {pid} has no schedstat (finished before its flag?)")
    return total / 1e6


def _quiet_handler(directory: str) -> type[http.server.SimpleHTTPRequestHandler]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=directory, **kwargs)  # type: ignore[misc,arg-type]

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


if __name__ == "__main__":
    raise SystemExit(main())
