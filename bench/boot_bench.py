#!/usr/bin/env python3
"""Whole first boots under QEMU (TCG, one vCPU): ignite's initramfs against Debian's
Ignition 2.14 dracut module, same kernel, same config (tests/e2e/compare.py), in interleaved
pairs: the tools alternate which boots first in each round. Two kinds:

- offline: the config on QEMU's fw_cfg, no network;
- network: the config over http from a server on the host (`ip=dhcp`, guestfwd), Ignition
  with Debian's dracut network.

Each image first boots once, untimed (see main). Prints each pair's wall times (QEMU
start to exit) and `provisioned` (the guest's clock when the last stage is done), then the
median ratio and its spread, and each tool's units' CPU (systemd's accounting, medians): the
guest's one vCPU is never idle, so that is where a boot's time goes. Every boot must pass.
Writes artifacts/e2e/boot-bench.json. Needs root (the e2e images) and the oracle.

--stacks adds a third boot to each network round: Ignition with dracut's network-legacy
(dhclient and initqueue hooks) instead of systemd-networkd, the measure behind the choice
of network stack (docs/boot.md).

Usage: .venv/bin/python bench/boot_bench.py [--pairs N] [--only offline|network] [--stacks]
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "e2e"))

import compare
import qemu_guest
from common import spread


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--only", choices=compare.KINDS)
    parser.add_argument("--stacks", action="store_true")
    args = parser.parse_args()
    if not compare.oracle_available():
        raise SystemExit(f"no Ignition 2.14 module at {compare.ORACLE_MODULE}: run `make oracle`")
    kinds = (args.only,) if args.only else compare.KINDS
    ignite = qemu_guest.build_images()
    tools = {kind: {"ignition": compare.ignition_images(kind == "network"), "ignite": ignite} for kind in kinds}
    if args.stacks and "network" in kinds:
        tools["network"]["ignition-legacy"] = compare.ignition_images(True, stack="legacy")
    top = Path(tempfile.mkdtemp(prefix="ignite-boot-bench-"))
    results: dict[str, list[dict[str, dict[str, float]]]] = {kind: [] for kind in kinds}
    cpu: dict[str, dict[str, list[dict[str, float]]]] = {kind: {} for kind in kinds}  # kind -> tool -> per boot
    try:
        # Every image boots once, untimed: the first boot of a freshly written image is about
        # 0.35 s slower, and Ignition's images are rebuilt on every run while ignite's is
        # cached, which would favour ignite in the first round.
        for kind in kinds:
            for name, images in tools[kind].items():
                work = top / f"{kind}-warm-up-{name}"
                boot = compare.boot(kind, f"bench-{kind}-{name}", images, work)
                if boot.verdict != "PASS" or boot.returncode != 0:
                    raise SystemExit(boot.describe())
                shutil.rmtree(work)
        for round_no in range(args.pairs):
            for kind in kinds:
                names = list(tools[kind])
                order = names[round_no % len(names):] + names[:round_no % len(names)]
                pair = {}
                for name in order:
                    work = top / f"{kind}-{round_no}-{name}"
                    boot = compare.boot(kind, f"bench-{kind}-{name}", tools[kind][name], work)
                    if boot.verdict != "PASS" or boot.returncode != 0:
                        raise SystemExit(boot.describe())
                    pair[name] = compare.boot_times(boot)
                    cpu[kind].setdefault(name, []).append(boot.unit_cpu())
                    shutil.rmtree(work)
                results[kind].append(pair)
                print(f"{kind} round {round_no + 1} ({order[0]} first): "
                      f"wall ignite {pair['ignite']['wall']:.2f} s / Ignition {pair['ignition']['wall']:.2f} s = "
                      f"{pair['ignite']['wall'] / pair['ignition']['wall']:.3f}x; provisioned "
                      f"{pair['ignite']['provisioned']:.2f} / {pair['ignition']['provisioned']:.2f} s", flush=True)
                if "ignition-legacy" in pair:
                    print(f"  Ignition with network-legacy: wall {pair['ignition-legacy']['wall']:.2f} s, "
                          f"provisioned {pair['ignition-legacy']['provisioned']:.2f} s", flush=True)
    finally:
        shutil.rmtree(top, ignore_errors=True)
    summary = {}
    for kind in kinds:
        pairs = results[kind]
        walls = [p["ignite"]["wall"] / p["ignition"]["wall"] for p in pairs]
        provisioned = [p["ignite"]["provisioned"] / p["ignition"]["provisioned"] for p in pairs]
        summary[kind] = {
            "pairs": pairs, "wall_ratio_median": statistics.median(walls), "wall_ratios": walls,
            "provisioned_ratio_median": statistics.median(provisioned), "provisioned_ratios": provisioned}
        print(f"{kind}: wall {spread(walls)}; provisioned {spread(provisioned)}")
        summary[kind]["unit_cpu_medians"] = {}
        for name, boots in cpu[kind].items():
            units = sorted({u for b in boots for u in b if not u.startswith("ignite-e2e")})
            medians = {u: round(statistics.median(b.get(u, 0.0) for b in boots), 3) for u in units}
            summary[kind]["unit_cpu_medians"][name] = medians
            print(f"  {name} units' CPU, medians (s): total {sum(medians.values()):.2f}; "
                  + ", ".join(f"{u.split('.')[0]} {v:.2f}" for u, v in medians.items() if v))
        if "ignition-legacy" in pairs[0]:
            legacy = [p["ignition-legacy"]["wall"] / p["ignition"]["wall"] for p in pairs]
            summary[kind]["legacy_over_networkd_wall_ratios"] = legacy
            print(f"{kind}: Ignition network-legacy / systemd-networkd, wall {spread(legacy)}")
    qemu_guest.ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (qemu_guest.ARTIFACTS / "boot-bench.json").write_text(json.dumps(summary, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
