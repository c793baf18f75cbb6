"""What the benchmarks share: where things are, how a whole process is measured, and the
bytecode set-up that makes ignite run as shipped (the initramfs carries precompiled .pyc)."""
from __future__ import annotations

import atexit
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ORACLE_IGNITION = REPO / ".cache/ignition/usr/lib/dracut/modules.d/30ignition/ignition"
ORACLE_VALIDATE = REPO / ".cache/ignition/usr/bin/ignition-validate"
VENV_PY = str(REPO / ".venv/bin/python") if (REPO / ".venv/bin/python").exists() else sys.executable


def _target_python() -> str:
    """The interpreter the dracut module puts in the initramfs (module-setup.sh: what
    /usr/bin/python3 points to), when it is the venv's Python version, whose packages
    ignite then runs with; else the venv's own."""
    target = os.path.realpath("/usr/bin/python3")
    probe = "import sys; print(sys.version_info[:2])"
    try:
        versions = {subprocess.run([py, "-I", "-S", "-c", probe], capture_output=True, text=True,
                                   check=True).stdout for py in (target, VENV_PY)}
    except (OSError, subprocess.CalledProcessError):
        return VENV_PY
    return target if len(versions) == 1 else VENV_PY


TARGET_PY = _target_python()


# Measured as shipped: with bytecode, which the warm-up run writes under a private prefix
# (removed at exit), so the tree stays clean whatever the caller's PYTHONDONTWRITEBYTECODE says.
PYCACHE = tempfile.mkdtemp(prefix="ignite-bench-pycache-")
atexit.register(shutil.rmtree, PYCACHE, True)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"PYTHONPYCACHEPREFIX": PYCACHE}


def measure(argv: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)) -> tuple[float, float]:
    """Wall and CPU (user+sys) ms of one whole process. CPU time is the steadier figure on
    a shared machine: another process's load stretches wall time, not a process's own CPU."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    wall = (time.perf_counter() - start) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr.decode()[-800:]}")
    return wall, (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000


def print_busy_note() -> None:
    if os.getloadavg()[0] > (os.cpu_count() or 1):
        print("  note: the machine is busy; wall figures are inflated, CPU figures are the fairer ones")


def shipped_ignite(python: str = TARGET_PY) -> list[str]:
    """How the initramfs starts ignite (dracut/30ignite/ignite.py.in): without site, its
    packages in one directory on sys.path. Here: the target's interpreter (TARGET_PY), the
    tree, then the venv's packages, and bytecode under the bench's private prefix (-I ignores
    PYTHONPYCACHEPREFIX). Isolated here, unlike the launcher (-PsS, for the generator's
    PYTHONHASHSEED): the host's random pool is ready, so the seed changes nothing, and the
    bench's own environment stays out. Without this every stage would also pay for site and
    the editable-install finder, which boot never does."""
    import sysconfig

    venv = str(Path(VENV_PY).parent.parent)
    packages = sysconfig.get_paths(vars={"base": venv, "platbase": venv})["purelib"]
    bootstrap = (f"import gc, sys; gc.set_threshold(50_000); sys.path[:0] = [{str(REPO)!r}, {packages!r}]; "
                 "from ignite.cli import main_and_exit; main_and_exit()")
    return [python, "-I", "-S", "-X", f"pycache_prefix={PYCACHE}", "-c", bootstrap]


def spread(values: list[float]) -> str:
    """median (min–max) of a list of ratios."""
    import statistics

    return f"{statistics.median(values):.2f}x ({min(values):.2f}–{max(values):.2f}x over {len(values)} rounds)"
