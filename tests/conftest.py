"""Fixtures shared by every test area. Area-specific ones live next to their tests."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # shared helpers (stage_dirs, blockdev, plan_check)
ORACLE_DIR = REPO / ".cache" / "ignition"
ORACLE_VALIDATE = ORACLE_DIR / "usr" / "bin" / "ignition-validate"
ORACLE_IGNITION = ORACLE_DIR / "usr" / "lib" / "dracut" / "modules.d" / "30ignition" / "ignition"


@pytest.fixture(autouse=True)
def _no_boot_record_across_tests() -> Iterator[None]:
    """A stage run in this process opens its boot record (ignite.record) for the rest of
    the process, as a stage process would. Forgotten after each test: a later test's
    warnings must not be appended to an earlier test's record, recreating a directory
    that test already removed."""
    yield
    import ignite.record as record

    record._path = record._stage = None
    record._pending.clear()
    record._attempts.clear()


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def oracle_validate() -> Path:
    """Debian's ignition-validate 2.14 (`make oracle` unpacks it)."""
    if not ORACLE_VALIDATE.exists():
        pytest.skip("Debian's ignition-validate is not unpacked (run `make oracle`)")
    return ORACLE_VALIDATE


@pytest.fixture(scope="session")
def oracle_ignition() -> Path:
    """Debian's ignition 2.14 binary, which runs stages outside an initramfs."""
    if not ORACLE_IGNITION.exists():
        pytest.skip("Debian's ignition binary is not unpacked (run `make oracle`)")
    return ORACLE_IGNITION


def require_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root")


def require_tools(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"missing tools: {', '.join(missing)}")
