#!/usr/bin/env python3
"""Each boot stage with nothing to do, as its own process (as at boot): ignite against the
bare interpreter and against Debian's Ignition 2.14 running the same no-op stage, in one run.

The cached config is just `{"ignition":{"version":"3.3.0"}}` (a version both read); the root
has the `/etc/selinux/config` Ignition's files stage insists on, and a `setfiles` stand-in is
on PATH for it. Target (issue 4): a stage with nothing to do at most 25 ms beyond
`python -c pass` in the same venv. Run: `.venv/bin/python bench/stages_bench.py [RUNS]`.
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

from common import ENV, measure, print_busy_note
from common import ORACLE_IGNITION as ORACLE

PYTHON = Path(sys.executable)
STAGES = ("kargs", "disks", "mount", "files", "umount")
TARGET_MS = 25.0


def once(argv: list[str], env: dict[str, str], reset: Path | None) -> tuple[float, float]:
    """Wall and CPU (user+sys) ms of one whole process. `reset` (a run directory) is
    emptied of the state first, so that every run is the same first one."""
    if reset is not None:
        for name in ("state", "o-state"):
            (reset / name).unlink(missing_ok=True)
    return measure(argv, env)


def timed_rounds(
    commands: dict[str, list[str]], runs: int, env: dict[str, str], reset: Path
) -> dict[str, tuple[float, float]]:
    """Median wall and CPU ms of each command. Interleaved, one round running every command
    once, so that the load of a shared machine drifting weighs on all alike; the first
    round only warms up (and writes ignite's bytecode)."""
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for i in range(runs + 1):
        for name, argv in commands.items():
            sample = once(argv, env, reset)
            if i:
                samples[name].append(sample)
    return {
        name: (statistics.median(w for w, _ in got), statistics.median(c for _, c in got))
        for name, got in samples.items()
    }


def ignite_argv(stage: str, work: Path) -> list[str]:
    script = PYTHON.parent / "ignite"
    launcher = [str(script)] if script.exists() else [str(PYTHON), "-m", "ignite"]
    return [*launcher, "--verbose", "run", "--stage", stage, "--platform", "file", "--root", str(work / "root"),
            "--config-cache", str(work / "run/ignition.json"), "--state-file", str(work / "run/state"),
            "--neednet", str(work / "run/neednet")]


def oracle_argv(stage: str, work: Path) -> list[str]:
    return [str(ORACLE), "-platform", "file", "-stage", stage, "-root", str(work / "root"),
            "-config-cache", str(work / "run/ignition.json"), "-state-file", str(work / "run/o-state"),
            "-log-to-stdout"]


def prepare(work: Path) -> dict[str, str]:
    (work / "root/etc/selinux").mkdir(parents=True)
    (work / "root/etc/selinux/config").write_text("SELINUX=disabled\nSELINUXTYPE=targeted\n")
    (work / "run").mkdir()
    (work / "run/ignition.json").write_text('{"ignition":{"version":"3.3.0"}}')
    (work / "bin").mkdir()
    setfiles = work / "bin/setfiles"
    setfiles.write_text("#!/bin/sh\nexit 0\n")
    setfiles.chmod(0o755)
    # No base configs from this machine's system dirs may add work to either tool's stages.
    empty = work / "system"
    empty.mkdir()
    return ENV | {"PATH": f"{work / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
                  "IGNITION_SYSTEM_CONFIG_DIR": str(empty), "IGNITION_SYSTEM_LOCAL_CONFIG_DIR": str(empty),
                  "IGNITION_SYSTEM_RUNTIME_CONFIG_DIR": str(empty)}


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    have_oracle = ORACLE.exists()
    with tempfile.TemporaryDirectory(prefix="ignite-stages-bench-") as tmp:
        work = Path(tmp)
        env = prepare(work)
        commands = {"bare": [str(PYTHON), "-c", "pass"]}
        for stage in STAGES:
            commands[stage] = ignite_argv(stage, work)
            if have_oracle:
                commands[f"2.14 {stage}"] = oracle_argv(stage, work)
        got = timed_rounds(commands, runs, env, work / "run")
        bare = got["bare"]
        rows = [(stage, got[stage], got.get(f"2.14 {stage}")) for stage in STAGES]

    load = os.getloadavg()[0]
    print(
        f"no-op stages: medians of whole processes ({runs} interleaved rounds), "
        f"load average {load:.1f} on {os.cpu_count()} CPUs"
    )
    print(f"  python -c pass (same venv): {bare[0]:.1f} ms wall, {bare[1]:.1f} ms CPU")
    print(f"  {'stage':<8} {'wall ms':>8} {'CPU ms':>8} {'+wall':>7} {'+CPU':>7}   {'2.14 wall':>9} {'2.14 CPU':>8}"
          f"   ratio (wall, CPU)  target +{TARGET_MS:.0f} ms")
    missed = 0
    for stage, (wall, cpu), ref in rows:
        over_wall, over_cpu = wall - bare[0], cpu - bare[1]
        ok = over_cpu <= TARGET_MS or over_wall <= TARGET_MS
        missed += not ok
        refs = (
            f"{ref[0]:9.1f} {ref[1]:8.1f}   {wall / ref[0]:6.2f}x {cpu / ref[1]:6.2f}x"
            if ref
            else f"{'-':>9} {'-':>8}   {'-':>15}"
        )
        print(f"  {stage:<8} {wall:8.1f} {cpu:8.1f} {over_wall:+7.1f} {over_cpu:+7.1f}   {refs}     "
              f"{'met' if ok else 'MISSED'}")
    if not have_oracle:
        print(f"  (no reference figures: {ORACLE} is missing; run `make oracle`)")
    print_busy_note()
    return 0


if __name__ == "__main__":
    sys.exit(main())
