"""2.2.0 → 2.3.0: partition `label`, `size` and `start` became optional in 2.3; 2.2's values
(`""` and 0 where absent) are made explicit, so they stay in sectors."""
from __future__ import annotations

import copy
from typing import Any


def translate(cfg: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(cfg)
    out.setdefault("ignition", {})["version"] = "2.3.0"
    for disk in out.get("storage", {}).get("disks", []):
        for part in disk.get("partitions", []):
            part.setdefault("label", "")
            part.setdefault("size", 0)
            part.setdefault("start", 0)
    return out
