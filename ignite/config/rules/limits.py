"""What no stage can do, whatever the spec says: strings the operating system cannot hold.

Ignition's validator accepts a NUL in a path or a name, and a path longer than PATH_MAX;
its stages then fail on the first system call. ignite rejects both when validating, so a
config that cannot be applied is refused before anything is changed, with the JSON path
of the culprit. This pass is ignite's own (2.14 has no such rule) and runs on every
spec version, 3.x and legacy alike, over the normalized config.
"""
from __future__ import annotations

from ignite.config.report import JsonPath, Report

TYPE_CHECKING = False  # not typing's: every fetch stage validates its config
if TYPE_CHECKING:
    from typing import Any

PATH_MAX = 4096  # bytes, with the terminating NUL (Linux)
ERR_NUL = "a NUL character cannot be part of a path, a name or a command argument"
ERR_PATH_MAX = f"path longer than PATH_MAX ({PATH_MAX - 1} bytes)"

# Keys whose string values become paths on the machine (files, links, devices, homes, shells).
_PATH_KEYS = frozenset({"path", "target", "device", "devices", "homeDir", "shell"})
# Contents written into files, never passed to a system call as a path or argument.
_CONTENT_KEYS = frozenset({"contents", "sshAuthorizedKeys"})


def validate_os_limits(cfg: dict[str, Any]) -> Report:
    """An error for every string holding a NUL, and every path longer than PATH_MAX.
    Iterative: a normalized config is shallow, but this pass must not be the one to fail."""
    report = Report()
    todo: list[tuple[Any, JsonPath, str]] = [(cfg, (), "")]
    while todo:
        value, path, key = todo.pop()
        if isinstance(value, dict):
            for child_key, child in reversed(value.items()):
                if child_key not in _CONTENT_KEYS:
                    todo.append((child, path + (child_key,), child_key))
        elif isinstance(value, list):
            for i in range(len(value) - 1, -1, -1):
                todo.append((value[i], path + (i,), key))
        elif isinstance(value, str):
            if "\x00" in value:
                report.error(ERR_NUL, path)
            elif key in _PATH_KEYS and len(value.encode("utf-8", "surrogatepass")) >= PATH_MAX:
                report.error(ERR_PATH_MAX, path)
    return report
