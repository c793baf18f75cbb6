"""Where the shipped JSON Schemas live, and loading them (each file read once per process).

os.path rather than pathlib: this is on the start-up path of `ignite validate` and of the
fetch stage, and pathlib costs several milliseconds to import where nothing else needs it.
"""
from __future__ import annotations

import json
import os
from functools import cache

TYPE_CHECKING = False  # not typing's: the fetch stages load a schema
if TYPE_CHECKING:
    from typing import Any

# ignite/schemas is a symlink to the repository's schemas/ (and a real directory when installed).
SCHEMA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "schemas")


def schema_path(version: str) -> str:
    """v1 is `v1.json`; every other version is `<version>.json`."""
    name = "v1" if version in ("1", "v1") else version
    return os.path.join(SCHEMA_DIR, f"{name}.json")


@cache
def load_schema(version: str) -> dict[str, Any]:
    path = schema_path(version)
    try:
        with open(path, "rb") as f:
            schema: dict[str, Any] = json.load(f)
            return schema
    except FileNotFoundError:
        raise LookupError(f"no schema for config version {version!r} (looked for {path})") from None
