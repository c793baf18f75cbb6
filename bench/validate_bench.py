#!/usr/bin/env python3
"""`ignite validate` against the bare interpreter and against Debian's ignition-validate 2.14,
in one run, as wall-clock medians of whole processes (what a person or a boot waits for).

Targets (issue 2): a typical config at most 60 ms beyond `python -c pass` in the same venv;
a 5,000-file config in under 1 s. Run: `.venv/bin/python bench/validate_bench.py`.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from common import ENV, REPO, measure, print_busy_note
from common import ORACLE_VALIDATE as ORACLE

PYTHON = Path(sys.executable)
TYPICAL = REPO / "examples" / "webserver.ign"  # a 3.3.0 config, so 2.14 judges the same bytes

OVERHEAD_TARGET_MS = 60.0
LARGE_TARGET_MS = 1000.0


def timed(argv: list[str], runs: int) -> tuple[float, float]:
    """Median wall and CPU time in ms; the first run warms caches and is not counted."""
    samples = [measure(argv, ENV, ok=(0, 1)) for _ in range(runs + 1)][1:]
    return statistics.median(w for w, _ in samples), statistics.median(c for _, c in samples)


def large_config(n: int, version: str = "3.3.0") -> dict:
    return {
        "ignition": {"version": version},
        "storage": {
            "directories": [{"path": f"/srv/data/d{i // 100:03d}", "mode": 0o755} for i in range(0, n, 100)],
            "files": [{"path": f"/srv/data/d{i // 100:03d}/f{i:05d}.conf", "mode": 0o644, "overwrite": True,
                       "contents": {"source": f"data:,value%20{i}%0A"}} for i in range(n)],
        },
    }


def ignite_argv(config: Path) -> list[str]:
    script = PYTHON.parent / "ignite"
    launcher = [str(script)] if script.exists() else [str(PYTHON), "-m", "ignite"]
    return [*launcher, "validate", str(config)]


def row(label: str, ms: tuple[float, float], ref: tuple[float, float] | None, note: str = "") -> None:
    wall, cpu = ms
    ratio = f"{wall / ref[0]:6.2f}x {cpu / ref[1]:6.2f}x" if ref else "      -       -"
    print(f"  {label:<40} {wall:8.1f} {cpu:8.1f}   {ratio}  {note}")


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> int:
    runs = 15
    have_oracle = ORACLE.exists()
    with tempfile.TemporaryDirectory() as tmp:
        large = Path(tmp) / "5000-files.ign"
        large.write_text(json.dumps(large_config(5000)))

        check = subprocess.run(ignite_argv(TYPICAL), capture_output=True, text=True, env=ENV)
        if check.returncode != 0:
            print(
                f"ignite validate {TYPICAL.name} did not succeed (exit {check.returncode}):\n"
                f"{check.stdout}{check.stderr}"
            )
            return 1

        bare = timed([str(PYTHON), "-c", "pass"], runs)
        typical = timed(ignite_argv(TYPICAL), runs)
        big = timed(ignite_argv(large), 5)
        ref_typical = timed([str(ORACLE), str(TYPICAL)], runs) if have_oracle else None
        ref_big = timed([str(ORACLE), str(large)], 5) if have_oracle else None

    load = os.getloadavg()[0]
    print(f"validate: medians of whole processes ({runs} runs; 5 for the large config), load average {load:.1f} "
          f"on {os.cpu_count()} CPUs")
    print(f"  {'':<40} {'wall ms':>8} {'CPU ms':>8}   ratio to ignition-validate 2.14 (wall, CPU)")
    row("python -c pass (same venv)", bare, None)
    row(f"ignite validate {TYPICAL.name}", typical, ref_typical)
    if ref_typical:
        row(f"ignition-validate {TYPICAL.name}", ref_typical, None)
    row("ignite validate 5,000-file config", big, ref_big)
    if ref_big:
        row("ignition-validate 5,000-file config", ref_big, None)
    over_wall, over_cpu = typical[0] - bare[0], typical[1] - bare[1]
    print(f"  typical config beyond the bare interpreter: {over_wall:.1f} ms wall, {over_cpu:.1f} ms CPU "
          f"(target <= {OVERHEAD_TARGET_MS:.0f} ms: {verdict(over_wall <= OVERHEAD_TARGET_MS)} wall, "
          f"{verdict(over_cpu <= OVERHEAD_TARGET_MS)} CPU)")
    print(f"  5,000-file config: {big[0]:.0f} ms wall, {big[1]:.0f} ms CPU (target < {LARGE_TARGET_MS:.0f} ms: "
          f"{verdict(big[0] < LARGE_TARGET_MS)} wall, {verdict(big[1] < LARGE_TARGET_MS)} CPU)")
    if not have_oracle:
        print(f"  (no reference figures: {ORACLE} is missing; run `make oracle`)")
    print_busy_note()
    return 0


if __name__ == "__main__":
    sys.exit(main())
