"""The fetch-offline and fetch stages: acquire the user config, render it (replace,
merge, CAs inlined), validate it and cache it for the later stages.

Sources, in upstream's order, the first that has one wins and its errors are fatal:
the kernel command line (ignition.config.url, or .device + .path), a system user.ign,
the platform. fetch-offline may not use the network: when anything needs it, the
neednet flag is written and the stage succeeds, for the fetch stage to finish the job."""
from __future__ import annotations

import base64
import dataclasses
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from ignite import cmdline
from ignite.config.record import fields, is_record, replace
from ignite.errors import ConfigError, FetchError, ProviderError, UsageError, redact_url
from ignite.stages import cache

if TYPE_CHECKING:
    from ignite.config.model import Config, Resource
    from ignite.resource import FetchSettings
    from ignite.stages import StageContext

log = logging.getLogger("ignite.stages")
DEVICE_WAIT = 30.0


def run(ctx: StageContext) -> None:
    offline = ctx.stage == "fetch-offline"
    args = cmdline.values(cmdline.read(ctx.cmdline_file))
    platform = ctx.platform or cmdline.platform_id(args)
    if not platform:
        raise UsageError("no platform: pass --platform or put ignition.platform.id on the kernel command line")
    from ignite import providers

    provider = providers.get(platform)
    error: BaseException | None = None
    try:
        _run(ctx, args, platform, provider, offline)
    except BaseException as exc:
        error = exc
        raise
    finally:
        _report_status(ctx, platform, provider, offline, error)


def _report_status(ctx: StageContext, platform: str, provider: Any, offline: bool, error: BaseException | None) -> None:
    """The platform's Status hook (Packet phones home), whose failures are only logged."""
    status = getattr(provider, "status", None)
    if status is None:
        return
    from ignite.providers import ProviderContext
    from ignite.resource import FetchSettings

    status(ProviderContext(platform, FetchSettings(offline=offline, http_total=ctx.fetch_timeout)), ctx.stage, error)


def _run(ctx: StageContext, args: dict[str, str], platform: str, provider: Any, offline: bool) -> None:
    base = cache.system_base_config(platform)
    started = time.monotonic()
    # Upstream records the system base config even when there is none (an empty one).
    fetched: list[dict[str, Any]] = [{"kind": "base", "source": "system", "referenced": False}]
    try:
        config = acquire(ctx, args, platform, provider, offline, fetched)
    except FetchError as exc:
        if exc.kind == "neednet" and offline:
            log.info("%s: %s needs the network: signalling neednet", ctx.stage, redact_url(exc.url) or "the config")
            signal_neednet(ctx)
            cache.record_fetched(ctx, fetched)  # the stage succeeded: its state is saved, as upstream
            return
        raise
    if offline and config_needs_network(cache.full_config(base, config)):
        log.info("fetch-offline: the config references resources that need the network: signalling neednet")
        signal_neednet(ctx)
    cache.save_config(ctx, config)
    cache.record_fetched(ctx, fetched, _provider_files(provider, platform, ctx, offline))
    for entry in fetched:
        referenced = "referenced " if entry["referenced"] else ""
        log.info('fetched %s%s config from "%s"', referenced, entry["kind"], entry["source"])
    log.info("%s: config cached in %s (%.2f s)", ctx.stage, ctx.config_cache, time.monotonic() - started)


def acquire(
    ctx: StageContext, args: dict[str, str], platform: str, provider: Any, offline: bool, fetched: list[dict[str, Any]]
) -> Config:
    """The rendered user config; `fetched` gets the state entries as they happen."""
    from ignite.providers import ProviderContext
    from ignite.resource import FetchSettings

    settings = FetchSettings(offline=offline, http_total=cmdline.fetch_timeout(args, ctx.fetch_timeout) or None)
    pctx = ProviderContext(platform, settings, str(ctx.config_file) if ctx.config_file else None)
    init = getattr(provider, "init", None)
    if init is not None:
        settings = init(pctx)
        pctx = dataclasses.replace(pctx, settings=settings)
    data, source = _user_config_bytes(args, provider, pctx)
    from ignite.config.model import Config, Ignition

    if not data:
        log.info("not a config (empty): provider config was empty, continuing with empty cache config")
        return Config(ignition=Ignition(version=cache.NEWEST_VERSION))
    config = _parse(data, source)
    fetched.append({"kind": "user", "source": source, "referenced": False})
    return render_user_config(config, settings, fetched)


def render_user_config(config: Config, settings: FetchSettings, fetched: list[dict[str, Any]]) -> Config:
    """The user config with its merge/replace references fetched and merged, CAs fetched
    and inlined, and the result validated: what the cache holds. `settings` are those of
    the config fetch itself (offline mode, the fetch deadline)."""
    from ignite.resource.settings import settings_from_config

    keep = _keep_deadline(settings)
    offline = settings.offline
    config_settings = keep(config, settings_from_config(config, offline=offline, base=settings))
    rendered = render(config, config_settings, fetched, keep=keep)
    final_settings = keep(rendered, settings_from_config(rendered, offline=offline, base=settings))
    rendered = inline_cas(rendered, final_settings)
    _validate(rendered)
    return rendered


def _keep_deadline(initial: FetchSettings) -> Any:
    """Referenced configs and CAs are part of "the config fetch": a config that does not set
    httpTotal keeps the fetch timeout's deadline for them (upstream would then retry
    without end). A config that sets it, 0 included, is obeyed."""

    def keep(config: Config, settings: FetchSettings) -> FetchSettings:
        if config.ignition.timeouts.http_total is not None:
            return settings
        return dataclasses.replace(settings, http_total=initial.http_total)

    return keep


def _user_config_bytes(args: dict[str, str], provider: Any, pctx: Any) -> tuple[bytes | None, str]:
    url = cmdline.config_url(args)
    device, path = args.get(cmdline.CONFIG_DEVICE), args.get(cmdline.CONFIG_PATH)
    if url is not None:
        cmdline.check_config_url(url)
        if device or path:
            log.warning("both ignition.config.url and ignition.config.device/path are given: using the URL")
        return _fetch_url(url, pctx.settings), "cmdline"
    if device or path:
        return _read_device(device, path), "cmdline"
    for directory in cache.system_dirs():
        user_ign = directory / "user.ign"
        try:
            return user_ign.read_bytes(), "system"
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise ConfigError(f"cannot read {user_ign}: {exc.strerror}") from None
    return provider.fetch(pctx), pctx.platform


def _fetch_url(url: str, settings: FetchSettings) -> bytes:
    from ignite.config.model import Resource
    from ignite.resource import fetch_bytes

    return fetch_bytes(Resource(source=url), settings)


def _read_device(device: str | None, path: str | None) -> bytes | None:
    if not device or not path:
        raise ProviderError("cmdline", 'both "ignition.config.device" and "ignition.config.path" must be provided together')
    if "/" in device or device in (".", ".."):
        raise ProviderError("cmdline", f'invalid device label "{device}"')
    from ignite.providers.configdrive import read_file, wait_for_label

    found = wait_for_label(device, DEVICE_WAIT)
    if found is None:
        raise ProviderError("cmdline", f'device "{device}" did not appear within timeout')
    data = read_file(found, path, "cmdline")
    if data is None:
        raise ProviderError("cmdline", f'config file "{path}" not found on device "{device}"')
    return data


def _parse(data: bytes, source: str) -> Config:
    from ignite.config.parse import parse

    return parse(data, source=source)


def render(
    config: Config, settings: FetchSettings, fetched: list[dict[str, Any]], depth: int = 0, keep: Any = None
) -> Config:
    """replace, else merge[] in order, each child rendered recursively (config_fetcher.go).
    `keep(config, settings)` may adjust the settings derived from each config."""
    from ignite.config.merge import merge
    from ignite.resource.settings import settings_from_config

    if depth > 50:
        raise ConfigError("config references nest more than 50 deep: a reference loop?")
    ign = config.ignition.config
    if ign.replace.source is not None:
        child = _fetch_referenced(ign.replace, settings, fetched)
        child_settings = settings_from_config(child, offline=settings.offline, base=settings)
        return render(child, keep(child, child_settings) if keep else child_settings, fetched, depth + 1, keep)
    accumulated = config
    for reference in ign.merge:
        child = _fetch_referenced(reference, settings, fetched)
        merged = merge(accumulated, child)
        settings = settings_from_config(merged, offline=settings.offline, base=settings)
        settings = keep(merged, settings) if keep else settings
        accumulated = merge(accumulated, render(child, settings, fetched, depth + 1, keep))
    return accumulated


def _fetch_referenced(resource: Resource, settings: FetchSettings, fetched: list[dict[str, Any]]) -> Config:
    from ignite.resource import fetch_bytes

    if resource.source is None:
        raise ConfigError("source is required")
    data = fetch_bytes(resource, settings, exact_hash_case=True)
    if not data:
        raise ConfigError("not a config (empty)", source=redact_url(resource.source))
    config = _parse(data, redact_url(resource.source))
    fetched.append({"kind": "user", "source": _url_path(resource.source), "referenced": True})
    return config


def _url_path(url: str) -> str:
    """The unescaped path of a URL, as Go's url.URL.Path: empty for an opaque URL (data:,…)."""
    scheme, colon, rest = url.partition(":")
    if colon and not rest.startswith("/"):
        return ""
    return unquote(urlsplit(url).path)


def inline_cas(config: Config, settings: FetchSettings) -> Config:
    """Every CA becomes a data: URL of its (already fetched and checked) bundle, without
    headers or compression, so that later stages need no network for CAs."""
    from ignite.config.model import Resource, Verification

    cas = config.ignition.security.tls.certificate_authorities
    if not cas:
        return config
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
    from ignite.config import codec
    from ignite.config.validate import validate

    report = validate(codec.to_json(config, legacy=False), cache.NEWEST_VERSION)
    for entry in report.entries:
        log.warning("rendered config: %s", entry.describe())
    if report.errors():
        raise ConfigError("merging configs resulted in an invalid config", report)


def config_needs_network(config: Config) -> bool:
    """A Resource with a network scheme, a tang server without advertisement, or a custom
    clevis pin that says so (runtime.md §5)."""
    from ignite.config.model import ClevisCustom, Resource, Tang
    from ignite.resource.pipeline import needs_network

    stack: list[Any] = [config]
    while stack:
        node = stack.pop()
        if isinstance(node, Resource):
            if needs_network(node.source):
                return True
            continue
        if isinstance(node, Tang) and not node.advertisement:
            return True
        if isinstance(node, ClevisCustom) and node.needs_network:
            return True
        if isinstance(node, tuple):
            stack.extend(node)
        elif is_record(node):
            stack.extend(getattr(node, f.name) for f in fields(node))
    return False


def _provider_files(provider: Any, platform: str, ctx: StageContext, offline: bool) -> list[dict[str, Any]] | None:
    """Files a provider wants in the target (Hyper-V's KVP pools), for the files stage."""
    output_files = getattr(provider, "output_files", None)
    if output_files is None:
        return None
    from ignite.providers import ProviderContext
    from ignite.resource import FetchSettings

    return output_files(ProviderContext(platform, FetchSettings(offline=offline)))


def signal_neednet(ctx: StageContext) -> None:
    path: Path = ctx.neednet_file
    path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    path.touch()
