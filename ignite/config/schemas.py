"""Where the shipped JSON Schemas live, and loading them (each file read once per process)."""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

# ignite/schemas is a symlink to the repository's schemas/ (and a real directory when installed).
SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"


def schema_path(version: str) -> Path:
    """v1 is `v1.json`; every other version is `<version>.json`."""
    name = "v1" if version in ("1", "v1") else version
    return SCHEMA_DIR / f"{name}.json"


@cache
def load_schema(version: str) -> dict[str, Any]:
    path = schema_path(version)
    try:
        with open(path, "rb") as f:
            return json.load(f)
    except FileNotFoundError:
        raise LookupError(f"no schema for config version {version!r} (looked for {path})") from None
