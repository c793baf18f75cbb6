"""A config as JSON of a chosen 3.x spec version, with everything that version cannot say.

What `ignite translate` prints: the newest spec by default, an older 3.x for an older
Ignition (through `v3.downgrade`), and on the side one line per field that the target
cannot express (legacy-only fields, down-translation losses, and what the target's own
rules reject).
"""
from __future__ import annotations

from typing import Any

from ignite.config.versions import EXPERIMENTAL, NEWEST


def translate_bytes(data: bytes, source: str, target: str) -> tuple[dict[str, Any], list[str]]:
    """The config as a `target` JSON dict, and every field that target cannot express."""
    from ignite.config import codec
    from ignite.config.parse import parse

    config = parse(data, source=source)
    problems: list[str] = []
    if codec.legacy_fields(config):
        from ignite.config.translate.legacy import describe_legacy

        problems.extend(str(p) for p in describe_legacy(config))
    out = codec.to_json(config, legacy=False)
    if target in (NEWEST, EXPERIMENTAL):
        # 3.7.0-experimental differs from 3.6.0 only by virtiofs, which re-validation catches.
        out.setdefault("ignition", {})["version"] = target
    else:
        from ignite.config.translate.v3 import downgrade

        out.setdefault("ignition", {})["version"] = NEWEST
        out, lost = downgrade(out, target)
        problems.extend(str(p) for p in lost)
    problems.extend(_rejected_by_target(out, target))
    return _ignition_first(out), problems


def _rejected_by_target(cfg: dict[str, Any], target: str) -> list[str]:
    """What the target version's own rules reject in the result. Ignition validates a config
    by its own version's rules and never re-validates after upgrading, so an old config can
    hold what a newer version forbids (a 3.0 merge without source, a 3.2 link without
    target): carried over as is, Ignition of the target version would refuse it."""
    from ignite.config.report import format_path
    from ignite.config.validate import validate

    return [f"{format_path(e.path)}: {e.message} (the rules of {target} reject this)"
            for e in validate(cfg, target).errors()]


def _ignition_first(cfg: dict[str, Any]) -> dict[str, Any]:
    return {"ignition": cfg.get("ignition", {}), **{k: v for k, v in cfg.items() if k != "ignition"}}
