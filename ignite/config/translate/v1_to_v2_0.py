"""v1 (`"ignitionVersion": 1`) → 2.0.0, as Ignition 0.x translated it.

Each v1 filesystem becomes a named 2.0 filesystem `_translate-filesystem-<index>`, and the
files that lived inside it become top-level files on that filesystem, their literal
contents carried as a data: URL.
"""
from __future__ import annotations

import copy
from typing import Any
from urllib.parse import quote


def data_url(contents: str) -> str:
    """A data: URL with the contents percent-escaped (RFC 2397's unreserved characters stay)."""
    return "data:," + quote(contents, safe="-_.!~*'()")


def translate(cfg: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"ignition": {"version": "2.0.0"}}
    storage = cfg.get("storage", {})
    new_storage: dict[str, Any] = {}
    for key in ("disks", "raid"):
        if storage.get(key):
            new_storage[key] = copy.deepcopy(storage[key])
    filesystems, files = [], []
    for i, fs in enumerate(storage.get("filesystems", [])):
        name = f"_translate-filesystem-{i}"
        mount = {k: fs[k] for k in ("device", "format") if k in fs}
        if "create" in fs:
            mount["create"] = copy.deepcopy(fs["create"])
        filesystems.append({"name": name, "mount": mount})
        for old in fs.get("files", []):
            file: dict[str, Any] = {"filesystem": name, "path": old.get("path", ""),
                                    "contents": {"source": data_url(old.get("contents", ""))}}
            if "mode" in old:
                file["mode"] = old["mode"]
            if old.get("uid"):
                file["user"] = {"id": old["uid"]}
            if old.get("gid"):
                file["group"] = {"id": old["gid"]}
            files.append(file)
    if filesystems:
        new_storage["filesystems"] = filesystems
    if files:
        new_storage["files"] = files
    if new_storage:
        out["storage"] = new_storage
    for section in ("systemd", "networkd", "passwd"):
        if cfg.get(section):
            out[section] = copy.deepcopy(cfg[section])
    return out
