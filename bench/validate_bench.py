#!/usr/bin/env python3
"""`ignite validate` against the bare interpreter and against Debian's ignition-validate 2.14,
in one run, as wall-clock medians of whole processes (what a person or a boot waits for).

Targets (issue 2): a typical config at most 60 ms beyond `python -c pass` in the same venv;
a 5,000-file config in under 1 s. Run: `.venv/bin/python bench/validate_bench.py`.
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = Path(sys.executable)
ORACLE = REPO / ".cache" / "ignition" / "usr" / "bin" / "ignition-validate"
TYPICAL = REPO / "examples" / "webserver.ign"  # a 3.3.0 config, so 2.14 judges the same bytes

OVERHEAD_TARGET_MS = 60.0
LARGE_TARGET_MS = 1000.0


def timed(argv: list[str], runs: int) -> float:
    """Median wall time in ms; the first run warms caches and is not counted."""
    samples = []
    for i in range(runs + 1):
        start = time.perf_counter()
        proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        elapsed = (time.perf_counter() - start) * 1000
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
        if i:
            samples.append(elapsed)
    return statistics.median(samples)


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


def row(label: str, ms: float, ref: float | None, note: str = "") -> None:
    ratio = f"{ms / ref:6.2f}x" if ref else "     - "
    print(f"  {label:<44} {ms:8.1f} ms   {ratio} {note}")


def main() -> int:
    runs = 15
    have_oracle = ORACLE.exists()
    with tempfile.TemporaryDirectory() as tmp:
        large = Path(tmp) / "5000-files.ign"
        large.write_text(json.dumps(large_config(5000)))

        check = subprocess.run(ignite_argv(TYPICAL), capture_output=True, text=True)
        if check.returncode != 0:
            print(f"ignite validate {TYPICAL.name} did not succeed (exit {check.returncode}):\n{check.stdout}{check.stderr}")
            return 1

        bare = timed([str(PYTHON), "-c", "pass"], runs)
        typical = timed(ignite_argv(TYPICAL), runs)
        big = timed(ignite_argv(large), 5)
        ref_typical = timed([str(ORACLE), str(TYPICAL)], runs) if have_oracle else None
        ref_big = timed([str(ORACLE), str(large)], 5) if have_oracle else None

    overhead = typical - bare
    print(f"validate: medians of whole processes ({runs} runs; 5 for the large config); ratio = ignite / ignition-validate 2.14")
    row("python -c pass (same venv)", bare, None)
    row(f"ignite validate {TYPICAL.name}", typical, ref_typical,
        f"-> {overhead:.1f} ms beyond the interpreter (target <= {OVERHEAD_TARGET_MS:.0f}: "
        f"{'met' if overhead <= OVERHEAD_TARGET_MS else 'MISSED'})")
    if ref_typical:
        row(f"ignition-validate {TYPICAL.name}", ref_typical, None)
    row("ignite validate 5,000-file config", big, ref_big,
        f"(target < {LARGE_TARGET_MS:.0f} ms: {'met' if big < LARGE_TARGET_MS else 'MISSED'})")
    if ref_big:
        row("ignition-validate 5,000-file config", ref_big, None)
    if not have_oracle:
        print(f"  (no reference figures: {ORACLE} is missing; run `make oracle`)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
