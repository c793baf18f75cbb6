#!/usr/bin/env python3
"""`ignite validate` of a typical Butane config (examples/webserver.bu) against the bare
interpreter and against the same config as Ignition JSON (examples/webserver.ign), in one
interleaved run, as wall-clock medians of whole processes; plus `butane` itself when
BUTANE=/path/to/butane names a binary (the reference for the translation alone).

Target (issue 15): a typical Butane config at most 60 ms beyond `python -c pass`, as for
JSON. Run: `.venv/bin/python bench/butane_bench.py` (or `bench/run.py butane`).
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

from common import ENV, REPO, measure, print_busy_note

PYTHON = Path(sys.executable)
BUTANE_CONFIG = REPO / "examples" / "webserver.bu"
JSON_CONFIG = REPO / "examples" / "webserver.ign"
TARGET_MS = 60.0


def ignite(*args: str) -> list[str]:
    script = PYTHON.parent / "ignite"
    return [*([str(script)] if script.exists() else [str(PYTHON), "-m", "ignite"]), *args]


def main() -> int:
    runs = 15
    butane = os.environ.get("BUTANE")
    commands = {
        "python -c pass (same venv)": [str(PYTHON), "-c", "pass"],
        f"ignite validate {JSON_CONFIG.name}": ignite("validate", str(JSON_CONFIG)),
        f"ignite validate {BUTANE_CONFIG.name}": ignite("validate", str(BUTANE_CONFIG)),
        f"ignite translate {BUTANE_CONFIG.name}": ignite("translate", str(BUTANE_CONFIG)),
    }
    if butane:
        commands[f"butane {BUTANE_CONFIG.name}"] = [butane, str(BUTANE_CONFIG)]
    for label, argv in commands.items():
        done = subprocess.run(argv, capture_output=True, env=ENV)
        if done.returncode != 0:
            print(f"{label} did not succeed (exit {done.returncode}): {done.stderr.decode()}")
            return 1
    samples: dict[str, list[tuple[float, float]]] = {label: [] for label in commands}
    for i in range(runs + 1):  # interleaved; the first round warms caches and is dropped
        for label, argv in commands.items():
            sample = measure(argv, ENV)
            if i:
                samples[label].append(sample)
    med = {
        label: (statistics.median(w for w, _ in s), statistics.median(c for _, c in s)) for label, s in samples.items()
    }
    bare = med["python -c pass (same venv)"]
    print(f"butane: medians of whole processes ({runs} interleaved runs), load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    print(f"  {'':<42} {'wall ms':>8} {'CPU ms':>8}   beyond python -c pass (wall, CPU)")
    for label, (wall, cpu) in med.items():
        print(f"  {label:<42} {wall:8.1f} {cpu:8.1f}   {wall - bare[0]:7.1f} {cpu - bare[1]:7.1f}")
    over = med[f"ignite validate {BUTANE_CONFIG.name}"][0] - bare[0]
    print(f"  typical Butane config beyond the bare interpreter: {over:.1f} ms wall "
          f"(target <= {TARGET_MS:.0f} ms: {'met' if over <= TARGET_MS else 'MISSED'})")
    if not butane:
        print("  (no butane reference: set BUTANE=/path/to/butane)")
    print_busy_note()
    return 0


if __name__ == "__main__":
    sys.exit(main())
