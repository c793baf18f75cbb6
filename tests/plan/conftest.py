"""Fixtures of the plan tests: loop devices (tests/blockdev.py) and an `ignite plan` runner."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/, for blockdev
sys.path.insert(0, str(Path(__file__).resolve().parent))
from blockdev import loopdevs, udevd  # noqa: F401  (fixtures)
