"""Fixtures of the files-stage tests (see files_helpers.py)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from files_helpers import http_files, root, work  # noqa: E402,F401  (fixtures)
