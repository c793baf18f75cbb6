"""Rendering a user config into what the config cache holds: merge and replace
references fetched and merged (recursively), CAs fetched and inlined, the result
validated. Used by the fetch stages and by `ignite apply`."""
from __future__ import annotations

from ignite import record
from ignite.config import codec
from ignite.config.merge import merge
from ignite.config.model import Config, Resource, Verification
from ignite.config.parse import parse
from ignite.config.record import replace
from ignite.config.validate import validate
from ignite.config.versions import NEWEST
from ignite.errors import ConfigError, redact_url
from ignite.log import get_logger
from ignite.resource import FetchSettings, fetch_bytes
from ignite.resource.settings import settings_from_config

TYPE_CHECKING = False  # not typing's, nor logging's: every fetch stage renders its config
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Literal, TypedDict

    class FetchedConfig(TypedDict):
        """One entry of the state's fetchedConfigs, as upstream records it."""

        kind: Literal["base", "user"]
        source: str
        referenced: bool

    # Adjusts the fetch settings derived from a config (see _keep_deadline).
    Keep = Callable[[Config, FetchSettings], FetchSettings]

log = get_logger("ignite.stages")
MAX_DEPTH = 50


def render_user_config(config: Config, settings: FetchSettings, fetched: list[FetchedConfig]) -> Config:
    """The user config with its merge/replace references fetched and merged, CAs fetched
    and inlined, and the result validated: what the cache holds. `settings` are those of
    the config fetch itself (offline mode, the fetch deadline); `fetched` gets an entry
    for every referenced config."""
    keep = _keep_deadline(settings)
    offline = settings.offline
    config_settings = keep(config, settings_from_config(config, offline=offline, base=settings))
    rendered = render(config, config_settings, fetched, keep)
    final_settings = keep(rendered, settings_from_config(rendered, offline=offline, base=settings))
    rendered = inline_cas(rendered, final_settings)
    _validate(rendered)
    return rendered


def _keep_deadline(initial: FetchSettings) -> Keep:
    """Referenced configs and CAs are part of "the config fetch": a config that does not set
    httpTotal keeps the fetch timeout's deadline for them (upstream would then retry
    without end). A config that sets it, 0 included, is obeyed."""

    def keep(config: Config, settings: FetchSettings) -> FetchSettings:
        if config.ignition.timeouts.http_total is not None:
            return settings
        return replace(settings, http_total=initial.http_total)

    return keep


def render(config: Config, settings: FetchSettings, fetched: list[FetchedConfig], keep: Keep, depth: int = 0) -> Config:
    """replace, else merge[] in order, each child rendered recursively (docs/spec/config.md#rendering).
    `keep(config, settings)` adjusts the settings derived from each config."""
    if depth > MAX_DEPTH:
        raise ConfigError("config references nest more than 50 deep: a reference loop?")
    ign = config.ignition.config
    if ign.replace.source is not None:
        child = _fetch_referenced(ign.replace, settings, fetched, "replace")
        child_settings = settings_from_config(child, offline=settings.offline, base=settings)
        return render(child, keep(child, child_settings), fetched, keep, depth + 1)
    accumulated = config
    for reference in ign.merge:
        child = _fetch_referenced(reference, settings, fetched, "merge")
        merged = merge(accumulated, child)
        settings = settings_from_config(merged, offline=settings.offline, base=settings)
        settings = keep(merged, settings)
        accumulated = merge(accumulated, render(child, settings, fetched, keep, depth + 1))
    return accumulated


def _fetch_referenced(resource: Resource, settings: FetchSettings, fetched: list[FetchedConfig], kind: str) -> Config:
    if resource.source is None:
        raise ConfigError("source is required")
    data = fetch_bytes(resource, settings, exact_hash_case=True)
    if not data:
        raise ConfigError("not a config (empty)", source=redact_url(resource.source))
    config = parse(data, source=redact_url(resource.source))
    record.config_source(kind, resource.source, data)
    fetched.append({"kind": "user", "source": _url_path(resource.source), "referenced": True})
    return config


def _url_path(url: str) -> str:
    """The unescaped path of a URL, as Go's url.URL.Path: empty for an opaque URL (data:,…)."""
    _, colon, rest = url.partition(":")
    if colon and not rest.startswith("/"):
        return ""
    from urllib.parse import unquote, urlsplit  # here: opaque URLs (data:, the usual case) never need it

    return unquote(urlsplit(url).path)


def inline_cas(config: Config, settings: FetchSettings) -> Config:
    """Every CA becomes a data: URL of its (already fetched and checked) bundle, without
    headers or compression, so that later stages need no network for CAs."""
    cas = config.ignition.security.tls.certificate_authorities
    if not cas:
        return config
    import base64

    inlined = tuple(
        Resource(
            source="data:;base64," + base64.b64encode(bundle).decode(),
            verification=Verification(ca.verification.hash) if ca.verification.hash else Verification(),
        )
        for ca, bundle in zip(cas, settings.certificate_authorities, strict=True)
    )
    ign = config.ignition
    tls = replace(ign.security.tls, certificate_authorities=inlined)
    security = replace(ign.security, tls=tls)
    return replace(config, ignition=replace(ign, security=security))


def _validate(config: Config) -> None:
    """The newest spec's rules over the rendered records, read as codec.to_json's tree (one
    walk of the records: no JSON text, no second parse). The rules are written over that
    normalized tree because parse() runs them on every 3.x version's tree, before its
    upgrade to the records; the entries and JSON paths are those of the merged config."""
    report = validate(codec.to_json(config, legacy=False), NEWEST)
    for entry in report.entries:
        log.warning("rendered config: %s", entry.describe())
    if report.errors():
        raise ConfigError("merging configs resulted in an invalid config", report)
