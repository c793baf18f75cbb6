"""Fixtures for the packaging tests: `make deb` once per session, and a clean Debian chroot
(tools/packaging/debian-chroot.sh, cached under .cache/packaging) with the package in it."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # debpkg
sys.path.insert(0, str(HERE.parent))  # tests/, for blockdev
sys.path.insert(0, str(HERE.parent / "e2e"))  # qemu_guest, images
from debpkg import CACHE, DEB_TOOLS, REPO, depends, in_chroot, run  # noqa: E402

from blockdev import loopdevs  # noqa: E402,F401  (fixture)


@pytest.fixture(scope="session")
def deb() -> Path:
    """ignite_VERSION_all.deb, built by tools/packaging/build-deb.sh (what `make deb` runs)."""
    missing = [t for t in DEB_TOOLS if shutil.which(t) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (tools/debian-packages.txt)")
    out = CACHE / "dist"
    shutil.rmtree(out, ignore_errors=True)
    run(REPO / "tools" / "packaging" / "build-deb.sh", out)
    from ignite import __version__

    path = out / f"ignite_{__version__}_all.deb"
    assert path.is_file(), sorted(out.iterdir())
    return path


def _extracted_chroot(deb: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("needs root (chroot)")
    if shutil.which("mmdebstrap") is None:
        pytest.skip("needs mmdebstrap (tools/debian-packages.txt)")
    tarball = Path(run(REPO / "tools" / "packaging" / "debian-chroot.sh", CACHE, *depends(deb),
                       timeout=1800).stdout.split()[-1])
    # Under .cache, on the same filesystem as the e2e kernel, whose modules are hard-linked in.
    work = Path(tempfile.mkdtemp(prefix="chroot-", dir=CACHE))
    root = work / "root"
    root.mkdir()
    try:
        run("tar", "-xf", tarball, "-C", root)
        shutil.copy(deb, root / "tmp" / deb.name)
        yield root
    finally:
        # rm is several times faster than shutil.rmtree on a whole system's files.
        subprocess.run(["rm", "-rf", "--one-file-system", str(work)], check=False)


@pytest.fixture
def chroot(deb: Path) -> Iterator[Path]:
    """A clean Debian system (cached tarball keyed on the .deb's dependencies) with the
    .deb copied into its /tmp; removed afterwards."""
    yield from _extracted_chroot(deb)


class Installed:
    """A clean Debian chroot after `apt-get install ./ignite_*.deb`, and what apt planned."""

    def __init__(self, root: Path, plan: str):
        self.root, self.plan = root, plan


@pytest.fixture(scope="module")
def installed_chroot(deb: Path) -> Iterator[Installed]:
    """One clean chroot with the package installed, shared by a module's tests (extracting
    one costs 5-20 s); a test that changes it puts it back."""
    for root in _extracted_chroot(deb):
        plan = in_chroot(root, "apt-get", "install", "-s", f"/tmp/{deb.name}").stdout
        in_chroot(root, "apt-get", "install", "-y", "-q", "-o", "Dpkg::Use-Pty=0", f"/tmp/{deb.name}")
        yield Installed(root, plan)
