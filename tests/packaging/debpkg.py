"""Helpers of the packaging tests (see conftest.py for the fixtures)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CACHE = REPO / ".cache" / "packaging"
DEB_TOOLS = ("dpkg-buildpackage", "dh", "pybuild", "lintian")


def run(*argv: str | Path, timeout: float = 900, env: dict[str, str] | None = None,
        check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout,
                          env=None if env is None else {**os.environ, **env})
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, argv))} exited {done.returncode}:\n"
                             f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def depends(deb: Path) -> list[str]:
    """The package names the .deb depends on (versions and :any dropped)."""
    field = run("dpkg-deb", "-f", deb, "Depends").stdout
    names = {part.split("(")[0].split(":")[0].strip() for part in field.split(",")}
    return sorted(n for n in names if n)


def in_chroot(root: Path, *argv: str, check: bool = True, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    # Debian's PATH, not the caller's (a pyenv shim is not in the chroot).
    return run("chroot", root, "env", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C.UTF-8", *argv,
               check=check, timeout=timeout)
