#!/usr/bin/env python3
"""How `ignite validate` grows with the input, from 1k to 100k entries of one kind, beside
Debian's ignition-validate 2.14 on the same files, in one run (whole processes, wall and
CPU medians). Linear growth shows as ×10 from 10k to 100k; start-up hides it below that.
A tool that took over 2 s at one size is not run at the next (2.14 is quadratic on links +
files: 5 s at 10k, about 8 minutes at 100k), and its growth is then shown from 1k to 10k.

The inputs are those of tests/config/test_growth.py (tests/config/growth_inputs.py).
Run: `.venv/bin/python bench/growth_bench.py`.
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

from common import ENV, REPO, measure, print_busy_note
from common import ORACLE_VALIDATE as ORACLE

sys.path.insert(0, str(REPO / "tests" / "config"))
from growth_inputs import KINDS

SIZES = (1_000, 10_000, 100_000)
RUNS = {1_000: 5, 10_000: 3, 100_000: 1}


def ignite_argv(config: Path) -> list[str]:
    script = Path(sys.executable).parent / "ignite"
    return [str(script) if script.exists() else sys.executable, *([] if script.exists() else ["-m", "ignite"]),
            "validate", str(config)]


def timed(argv: list[str], runs: int) -> tuple[float, float]:
    samples = [measure(argv, ENV, ok=(0, 1)) for _ in range(runs)]
    return statistics.median(w for w, _ in samples), statistics.median(c for _, c in samples)


def main() -> int:
    have_oracle = ORACLE.exists()
    measure(ignite_argv(REPO / "examples" / "webserver.ign"), ENV)  # warm-up: bytecode, page cache
    print(f"validate growth: wall / CPU ms of whole processes, load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    head = "".join(f"{n // 1000:>9}k" for n in SIZES)
    print(f"  {'':<24} {'':<8}{head}   10k→100k (linear: ×10)")
    with tempfile.TemporaryDirectory() as tmp:
        for kind, make in KINDS.items():
            files = {}
            for n in SIZES:
                files[n] = Path(tmp) / f"{n}.ign"
                files[n].write_bytes(make(n))
            tools = [("ignite", ignite_argv)]
            if have_oracle:
                tools.append(("2.14", lambda f: [str(ORACLE), str(f)]))
            results: dict[str, dict[int, tuple[float, float]]] = {name: {} for name, _ in tools}
            for i, n in enumerate(SIZES):  # interleaved: both tools at each size before the next size
                for name, argv in tools:
                    if i and results[name].get(SIZES[i - 1], (0.0, 0.0))[0] > 2000:
                        continue
                    results[name][n] = timed(argv(files[n]), RUNS[n])
            for name, _ in tools:
                r = results[name]
                walls = "".join(f"{r[n][0]:10.0f}" if n in r else f"{'-':>10}" for n in SIZES)
                done = [n for n in SIZES if n in r]
                growth = r[done[-1]][1] / max(r[done[-2]][1], 1e-9)
                span = "" if done[-1] == SIZES[-1] else f" ({done[-2] // 1000}k→{done[-1] // 1000}k)"
                print(f"  {kind if name == 'ignite' else '':<24} {name:<8}{walls}   ×{growth:.1f} CPU{span}")
            if have_oracle and SIZES[-1] in results["2.14"]:
                ratio = results["ignite"][SIZES[-1]][1] / results["2.14"][SIZES[-1]][1]
                print(f"  {'':<24} {'ratio':<8}{'':>20}{ratio:10.2f}   ignite / 2.14 CPU at 100k")
    if not have_oracle:
        print(f"  (no reference figures: {ORACLE} is missing; run `make oracle`)")
    print_busy_note()
    return 0


if __name__ == "__main__":
    sys.exit(main())
