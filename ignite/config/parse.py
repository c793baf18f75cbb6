"""bytes -> Config (newest spec): the one entry point for every config ignite reads.

Pipeline: empty check; Ignition 0.x's pre-checks (gzip, cloud-config, scripts); JSON with
positions (jsonpos); version (versions); then for 3.x the structural pass (structure,
driven by schemas/<version>.json), the version's semantic rules (validate) and the
upgrade to the newest spec (translate.v3); for v1/2.x the legacy chain
(translate.legacy). A config is accepted whole or rejected with every error listed; each
report entry gets the line and column of its JSON path in the original text.

Heavy or optional parts are imported when reached, so a rejected or trivial config costs
little, and nothing here imports jsonschema.
"""
from __future__ import annotations

from ignite.config import jsonpos, versions
from ignite.config.report import ERROR, Entry, Report
from ignite.errors import ConfigError

TYPE_CHECKING = False  # not typing's: every fetch stage parses its config
if TYPE_CHECKING:
    from typing import Any

    from ignite.config.model import Config

ERR_INVALID = "config is not valid"


class ParseResult:
    """report: every entry, positioned; source_version: what the config was written in (when
    known); error: the verdict when rejected ("config is not valid", "not a config (empty)",
    "unsupported config version", ...); valid; config: the model.Config, or None when
    rejected.

    The Config is built on first access: `ignite validate` only needs `valid` and the
    report, and building the model's classes is the largest part of its start-up."""

    __slots__ = ("_config", "_cfg", "report", "source_version", "error")

    def __init__(self, config: Config | None, report: Report, source_version: str | None = None,
                 error: str | None = None, *, cfg: dict[str, Any] | None = None) -> None:
        self._config = config
        self._cfg = cfg  # the accepted config as a newest-spec dict, turned into `config` when asked
        self.report = report
        self.source_version = source_version
        self.error = error

    @property
    def valid(self) -> bool:
        return self._config is not None or self._cfg is not None

    @property
    def config(self) -> Config | None:
        if self._config is None and self._cfg is not None:
            from ignite.config.codec import config_from_json

            self._config = config_from_json(self._cfg)
        return self._config

    def __repr__(self) -> str:
        return (f"ParseResult(valid={self.valid}, source_version={self.source_version!r}, "
                f"error={self.error!r}, entries={len(self.report.entries)})")


def parse(data: bytes, *, source: str = "") -> Config:
    """The config in `data` as the newest spec's model.Config; raises ConfigError (with the
    full report) when it is rejected."""
    result = parse_report(data, source=source)
    config = result.config
    if config is None:
        message = result.error or ERR_INVALID
        if result.report is not None and not result.report.errors():
            # a verdict alone (unsupported version): say what to write instead
            hints = [e.message for e in result.report.warnings() if e.path[:1] == ("ignition",)]
            message += "".join(f" ({hint})" for hint in hints)
        raise ConfigError(message, result.report, source)
    return config


def parse_report(data: bytes, *, source: str = "") -> ParseResult:
    """Like parse(), but a rejection is a result too: for `ignite validate`."""
    report = Report()
    if not data:
        return ParseResult(None, report, None, versions.ERR_EMPTY)
    try:
        raw = versions.precheck(data)
    except versions.VersionError as e:
        return ParseResult(None, report, None, e.message)
    gzipped = raw is not data

    try:
        obj, doc = jsonpos.load(raw)
    except jsonpos.JsonSyntaxError as e:
        from ignite.config import butane  # only a regex: YAML is imported when it is Butane

        if not gzipped and butane.looks_like_butane(raw):
            from ignite.config.butane.entry import parse_butane

            return parse_butane(raw, source, parse_report)
        report.entries.append(Entry(ERROR, e.message, (), e.line, e.column))
        return ParseResult(None, report, None, ERR_INVALID)

    try:
        version = versions.detect(obj)
    except versions.VersionError as e:
        if isinstance(obj, dict) and "variant" in obj and not gzipped:  # Butane written as JSON, as upstream
            from ignite.config.butane.entry import parse_butane

            return parse_butane(raw, source, parse_report)
        if not e.fatal_entry:
            if e.hint:  # beside the verdict, which stays upstream's
                report.warning(e.hint, e.path)
                report.entries = [_locate(entry, doc) for entry in report.entries]
            return ParseResult(None, report, None, e.message)
        report.error(e.message, e.path)
        return _finish(None, report, doc, None, ERR_INVALID)

    if gzipped and not versions.is_legacy(version):
        # Only Ignition 0.x unpacked gzip; spec 3 Ignition reads the bytes as JSON and fails.
        try:
            jsonpos.load(data)
        except jsonpos.JsonSyntaxError as e:
            report.entries.append(Entry(ERROR, e.message, (), e.line, e.column))
        return ParseResult(None, report, version, ERR_INVALID)

    for dup in doc.duplicate_keys():
        report.entries.append(Entry("warning", dup.message(), dup.path, dup.line, dup.column))

    if versions.is_legacy(version):
        from ignite.config.translate.legacy import upgrade_legacy

        cfg: dict[str, Any] | None
        cfg, legacy_report = upgrade_legacy(obj, version)
        report.extend(legacy_report)
    else:
        cfg = _parse_v3(obj, version, report)
    if report.is_fatal or cfg is None:
        return _finish(None, report, doc, version, ERR_INVALID)
    return _finish(cfg, report, doc, version, None)


def _parse_v3(obj: dict[str, Any], version: str, report: Report) -> dict[str, Any] | None:
    from ignite.config import structure

    cfg, structural = structure.normalize(obj, version)
    if structural.is_fatal:
        # Like Ignition, no semantic rules on a config whose types are wrong.
        report.extend(structural)
        return None
    from ignite.config.rules.limits import validate_os_limits
    from ignite.config.validate import validate

    report.extend(validate(cfg, version))
    report.extend(validate_os_limits(cfg))
    report.extend(structural)  # unused keys come last, as in Ignition's report
    if report.is_fatal:
        return None
    from ignite.config.translate.v3 import upgrade

    return upgrade(cfg, version)


def _finish(cfg: dict[str, Any] | None, report: Report, doc: jsonpos.Document, version: str | None,
            error: str | None) -> ParseResult:
    report.entries = [_locate(entry, doc) for entry in report.entries]
    return ParseResult(None, report, version, error, cfg=cfg)


def _locate(entry: Entry, doc: jsonpos.Document) -> Entry:
    if entry.line is not None:
        return entry
    position = doc.position(entry.path, key=entry.message.startswith("unused key "))
    if position is None:
        return entry
    return entry.at(position[0], position[1])
