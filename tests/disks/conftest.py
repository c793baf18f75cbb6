"""Fixtures of the disks tests: loop devices (tests/blockdev.py) and a stage runner."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/, for blockdev
sys.path.insert(0, str(Path(__file__).resolve().parent))
from disks_helpers import Runner

from blockdev import LoopDevices, loopdevs, udevd  # noqa: F401  (fixtures)


@pytest.fixture
def runner(tmp_path: Path, loopdevs: LoopDevices) -> Runner:  # noqa: F811
    return Runner(tmp_path, loopdevs)
