"""Fixtures for booting the ignite initramfs under QEMU (see qemu_guest.py). Other areas
can use them too: put tests/e2e on sys.path, import qemu_guest, and call build_images()
once and boot() per guest."""
from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/, for blockdev
sys.path.insert(0, str(Path(__file__).resolve().parent))
import qemu_guest as qemu

from blockdev import LoopDevices, loopdevs  # noqa: F401  (fixtures)

_LOADED_AT = __import__("time").time()  # boots of this session are the newer timings files


def _why_not() -> str | None:
    if os.geteuid() != 0:
        return "needs root: tools/e2e/build.sh installs Debian packages (qemu, dracut, kernel)"
    if shutil.which("apt-get") is None and shutil.which("qemu-system-x86_64") is None:
        return "no apt-get to install qemu-system-x86 and dracut-core, and they are not installed"
    return None


@pytest.fixture(scope="session")
def e2e_images() -> qemu.Images:
    """The cloud kernel and an initramfs with dracut/30ignite, built (or reused) once."""
    why = _why_not()
    if why:
        pytest.skip(why)
    return qemu.build_images()


@pytest.fixture
def guest_boot(e2e_images: qemu.Images, request: pytest.FixtureRequest) -> Callable[..., qemu.Boot]:
    """boot(name_suffix, **Guest fields) -> Boot; the console log is kept in artifacts/e2e/."""
    base = request.node.name.replace("/", "_").replace("[", "-").replace("]", "")

    def boot(suffix: str = "", **kwargs: object) -> qemu.Boot:
        name = base + (f"-{suffix}" if suffix else "")
        return qemu.boot(e2e_images, qemu.Guest(name=name, **kwargs))  # type: ignore[arg-type]

    return boot


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """One line per boot of this session: wall time and each ignite stage's duration."""
    import json

    if not qemu.ARTIFACTS.exists():
        return
    started = _LOADED_AT
    rows = []
    for path in sorted(qemu.ARTIFACTS.glob("*.timings.json")):
        if path.stat().st_mtime < started:
            continue
        data = json.loads(path.read_text())
        stages = " ".join(f"{unit.removeprefix('ignite-').removesuffix('.service')}={secs:.2f}"
                          for unit, secs in sorted(data["units"].items(), key=lambda kv: kv[0]))
        rows.append(f"{data['name']}: {data['verdict']} in {data['wall_seconds']} s; {stages}")
    if rows:
        terminalreporter.section("ignite in the initramfs: seconds per unit (Python start-up included)")
        for row in rows:
            terminalreporter.write_line(row)

