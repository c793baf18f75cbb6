"""Legacy configs (v1, 2.0.0 … 2.4.0): validation at their own version, then the upgrade
chain v1 → 2.0 → … → 2.4 → the newest spec, keeping their exact meaning.

The pipeline (`ignite.config.parse`) has already detected the version and made the
pre-checks (empty, cloud-config, script, gzip); it hands us the decoded JSON.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ignite.config.report import DEPRECATED, Report
from ignite.config.translate import v1_to_v2_0, v2_0_to_v2_1, v2_1_to_v2_2, v2_2_to_v2_3, v2_3_to_v2_4, v2_4_to_v3
from ignite.config.translate.describe import describe_legacy  # noqa: F401  (re-exported)
from ignite.config.translate.legacy_rules import validate_legacy

LEGACY_VERSIONS = ("1", "2.0.0", "2.1.0", "2.2.0", "2.3.0", "2.4.0")

# The step that takes a config *from* each version to the next one.
_STEPS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "1": v1_to_v2_0.translate,
    "2.0.0": v2_0_to_v2_1.translate,
    "2.1.0": v2_1_to_v2_2.translate,
    "2.2.0": v2_2_to_v2_3.translate,
    "2.3.0": v2_3_to_v2_4.translate,
}


def upgrade_legacy(obj: Any, version: str) -> tuple[dict[str, Any], Report]:
    """The decoded JSON of a `version` config → (newest-spec config dict, report).

    The dict may hold the model's legacy-only keys. If the report has an error, the dict
    is empty and must not be used."""
    from ignite.config.rules.limits import validate_os_limits
    from ignite.config.structure import normalize

    cfg, report = normalize(obj, version)
    if report.is_fatal:
        return {}, report
    report.extend(validate_os_limits(cfg))
    if report.is_fatal:
        return {}, report
    upgraded, more = upgrade_normalized(cfg, version)
    report.extend(more)
    return upgraded, report


def upgrade_normalized(cfg: dict[str, Any], version: str) -> tuple[dict[str, Any], Report]:
    """The same, from a normalized config dict of `version`."""
    if version not in LEGACY_VERSIONS:
        raise ValueError(f"not a legacy config version: {version}")
    report = validate_legacy(cfg, version)
    if report.is_fatal:
        return {}, report
    if version == "1":  # 0.x said so once the v1 config had parsed
        report.add(DEPRECATED, "config format deprecated")
    upgraded = to_v2_4(cfg, version)
    newest = v2_4_to_v3.translate(upgraded, report)
    if report.is_fatal:
        return {}, report
    return newest, report


def to_v2_4(cfg: dict[str, Any], version: str) -> dict[str, Any]:
    """Step by step up to 2.4.0 (each step as Ignition 0.x made it)."""
    for source in LEGACY_VERSIONS[LEGACY_VERSIONS.index(version):-1]:
        cfg = _STEPS[source](cfg)
    return cfg
