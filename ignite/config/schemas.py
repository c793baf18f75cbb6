"""Where the shipped JSON Schemas live, and loading them (each file read once per process).

os.path rather than pathlib: this is on the start-up path of `ignite validate` and of the
fetch stage, and pathlib costs several milliseconds to import where nothing else needs it.
"""
from __future__ import annotations

import os

from ignite import jsonio

TYPE_CHECKING = False  # not typing's: the fetch stages load a schema
if TYPE_CHECKING:
    from typing import Any

# ignite/schemas is a symlink to the repository's schemas/ (and a real directory when installed).
SCHEMA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "schemas")


def schema_path(version: str) -> str:
    """v1 is `v1.json`; every other version is `<version>.json`."""
    name = "v1" if version in ("1", "v1") else version
    return os.path.join(SCHEMA_DIR, f"{name}.json")


_LOADED: dict[str, dict[str, Any]] = {}


def load_schema(version: str) -> dict[str, Any]:
    """The schema of `version`, read once per process (json and functools stay unloaded:
    ~7 ms of every fetch stage's start-up)."""
    schema = _LOADED.get(version)
    if schema is not None:
        return schema
    path = schema_path(version)
    try:
        with open(path, "rb") as f:
            schema = jsonio.loads(f.read())
    except FileNotFoundError:
        raise LookupError(f"no schema for config version {version!r} (looked for {path})") from None
    assert isinstance(schema, dict)
    _LOADED[version] = schema
    return schema
