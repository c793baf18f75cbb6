"""2.3.0 → 2.4.0: 2.4 only added fields (proxy, HTTP headers); a version bump."""
from __future__ import annotations

import copy
from typing import Any


def translate(cfg: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(cfg)
    out.setdefault("ignition", {})["version"] = "2.4.0"
    return out
