"""2.1.0 → 2.2.0: `mode` became optional in 2.2, so every file and directory gets the mode
2.1 applied — 0 where it was absent — and owners become objects."""
from __future__ import annotations

import copy
from typing import Any


def translate(cfg: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(cfg)
    out.setdefault("ignition", {})["version"] = "2.2.0"
    storage = out.get("storage", {})
    for kind in ("files", "directories", "links"):
        for node in storage.get(kind, []):
            node.setdefault("user", {})
            node.setdefault("group", {})
            if kind != "links":
                node.setdefault("mode", 0)
    return out
