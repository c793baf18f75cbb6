"""Semantic validation of a 3.x config, each version by its own rules.

Input is a *normalized config dict* (canonical keys, nulls and unknown keys removed, JSON
types checked): an absent key is upstream's nil pointer or zero value. The report lists
entries in upstream's order: a pre-order walk (a part's own rules before its children,
children in field order), then the duplicate-key pass. Unknown keys are the structural
pass's business.
"""
from __future__ import annotations

from ignite.config.report import Report
from ignite.config.rules.common import Ctx
from ignite.config.rules.duplicates import validate_duplicates
from ignite.config.rules.ignition import validate_ignition
from ignite.config.rules.storage import validate_storage
from ignite.config.rules.systemd import validate_systemd, validate_unit_paths
from ignite.config.versions import V3
from ignite.errors import ConfigError

TYPE_CHECKING = False  # not typing's: every fetch stage validates its config
if TYPE_CHECKING:
    from typing import Any

VERSIONS_3X = V3


def minor_of(version: str) -> int:
    """3.N.0 → N; 3.7.0-experimental → 7."""
    if version not in VERSIONS_3X:
        raise ConfigError(f"unsupported config version {version!r}")
    return VERSIONS_3X.index(version)


def validate(cfg: dict[str, Any], version: str, *, hints: bool = True) -> Report:
    """Every semantic error and warning of `cfg` under the rules of spec `version`; with
    `hints`, ignite's own hints too (rules/common.py)."""
    ctx = Ctx(minor_of(version), Report(), hints)
    validate_unit_paths(ctx, cfg)
    validate_ignition(ctx, cfg.get("ignition") or {}, version)
    validate_storage(ctx, cfg.get("storage") or {})
    validate_systemd(ctx, cfg.get("systemd") or {})
    validate_duplicates(ctx, cfg)
    return ctx.report
