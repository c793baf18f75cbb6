"""Fixtures of the files-stage tests (see files_helpers.py; loop devices: tests/blockdev.py)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/, for blockdev
sys.path.insert(0, str(Path(__file__).resolve().parent))
from files_helpers import http_files, root, work  # noqa: F401  (fixtures)

from blockdev import loopdevs  # noqa: F401  (fixture)
