"""2.0.0 → 2.1.0: file owners become explicit ids (0 when 2.0 left them out), and an
empty user password hash becomes unset. Everything else is carried as it is."""
from __future__ import annotations

import copy
from typing import Any


def translate(cfg: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(cfg)
    out.setdefault("ignition", {})["version"] = "2.1.0"
    for file in out.get("storage", {}).get("files", []):
        for owner in ("user", "group"):
            file[owner] = {"id": file.get(owner, {}).get("id", 0)}
    for user in out.get("passwd", {}).get("users", []):
        if user.get("passwordHash") == "":
            del user["passwordHash"]
    return out
