"""Python code run as ignite's units run it (python -PsS, the generator's PYTHONHASHSEED)
under strace, and the calls in it that would make the kernel generate entropy at boot,
when its random pool is not ready yet: a read of /dev/urandom or /dev/random, or a
getrandom(2) without GRND_INSECURE (docs/boot.md, "Randomness at boot")."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The launcher's flags (dracut/30ignite/ignite.py.in) and a seed as the generator writes it.
LAUNCHER = ("-PsS",)
SEED = {"PYTHONHASHSEED": "2718281828"}
# glibc's malloc asks for 8 bytes with GRND_NONBLOCK and, when the pool is not ready, goes
# on without them: that call never waits. Python's own GRND_NONBLOCK calls (the hash seed,
# random's seeding) fall back to reading /dev/urandom, which does.
GLIBC_MALLOC = re.compile(r"getrandom\(\S*, 8, GRND_NONBLOCK\)")
RESUMED = re.compile(r"<\.\.\. \w+ resumed>\s?(.*)")


def traced(log: Path, code: str, args: Sequence[str] = (),
           env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """`code` under strace -f, with the repository and then this environment's packages on
    sys.path (tftpy; no site, as at boot): the finished process and the lines of its
    getrandom calls and opens of the kernel's random devices."""
    import sysconfig

    path = [str(REPO), sysconfig.get_paths()["purelib"]]
    code = f"import sys; sys.path[:0] = {path!r}\n{code}"
    done = subprocess.run(
        ["strace", "-f", "-qq", "-s", "0", "-e", "trace=getrandom,open,openat", "-o", str(log),
         sys.executable, *LAUNCHER, "-c", code, *args],
        capture_output=True, text=True, timeout=120, env={**os.environ, **SEED, **(env or {})})
    lines = _whole_calls(log.read_text().splitlines())
    return done, [line for line in lines if "getrandom(" in line or "/dev/urandom" in line or "/dev/random" in line]


def _whole_calls(lines: list[str]) -> list[str]:
    """strace -f splits a call another process's call interrupts ("<unfinished ...>", then
    "<... NAME resumed>"): each one whole again, on one line (the files stage writes nodes
    while useradd runs)."""
    whole, cut = [], {}
    for line in lines:
        pid, _, call = line.partition(" ")
        call = call.lstrip()  # strace pads a shorter pid to the width of the others
        if call.endswith("<unfinished ...>"):
            cut[pid] = line.removesuffix("<unfinished ...>").rstrip()
            continue
        resumed = RESUMED.match(call)
        if resumed and pid in cut:
            line = cut.pop(pid) + resumed.group(1)
        whole.append(line)
    return whole + list(cut.values())


def ignite_traced(log: Path, argv: list[str]) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """`ignite ARGV` as its unit runs it, under strace."""
    return traced(log, "from ignite.cli import main_and_exit; main_and_exit()", argv)


def waits_for_entropy(lines: list[str]) -> list[str]:
    return [line for line in lines
            if "/dev/urandom" in line or "/dev/random" in line
            or ("getrandom(" in line and "GRND_INSECURE" not in line and not GLIBC_MALLOC.search(line))]
