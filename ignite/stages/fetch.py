"""The fetch-offline and fetch stages: acquire the user config, render it (replace,
merge, CAs inlined), validate it and cache it for the later stages.

Sources, in upstream's order, the first that has one wins and its errors are fatal:
the kernel command line (ignition.config.url, or .device + .path), a system user.ign,
the platform. fetch-offline may not use the network: when anything needs it, the
neednet flag is written and the stage succeeds, for the fetch stage to finish the job."""
from __future__ import annotations

import os
import time

from ignite import cmdline, distro, import_module, providers, record
from ignite.config.model import ClevisCustom, Config, Ignition, Resource, Tang
from ignite.config.record import fields, is_record
from ignite.config.versions import NEWEST
from ignite.errors import ConfigError, FetchError, ProviderError, UsageError, redact_url
from ignite.log import get_logger
from ignite.providers import ProviderContext, credentials_for, output_files_hook
from ignite.resource import FetchSettings, fetch_bytes
from ignite.stages import at_boot_setup, cache

TYPE_CHECKING = False  # not typing's, nor logging's: each fetch stage is its own process at boot
if TYPE_CHECKING:
    from typing import Any

    from ignite.config.render import FetchedConfig
    from ignite.providers import Provider
    from ignite.stages import StageContext

log = get_logger("ignite.stages")
DEVICE_WAIT = 30.0
# What the stage imports after its flag whatever the config (parse, its schema walk,
# rules, limits and upgrade, the rendering, the fetch pipeline): loaded by `preload`,
# before it. (Imported late by the stage itself: fetch-offline that only finds the
# network needed, as in every network boot, loads none of it.)
PRELOADED = ("ignite.config.parse", "ignite.config.render", "ignite.config.structure", "ignite.config.rules.limits",
             "ignite.config.translate.v3")
# The fetch pipeline only for a config URL on the command line, or a config that
# references others (read ahead when the provider can): a provider's config alone is
# fetched without it.
PIPELINE = "ignite.resource.pipeline"
NETWORK_PRELOADED = ("ignite.resource.prefetch", "ignite.progress")  # what a network fetch adds


def preload(ctx: StageContext) -> None:
    """At boot (ignite.stages._load_before_configs): what comes after and needs no on-disk
    config, loaded before the stage waits: for fetch, while DHCP runs; for fetch-offline,
    before its set-up waits for the boot disk (udev's coldplug meanwhile loads the fw_cfg
    module the qemu provider reads). Never fails: whatever goes wrong here is met again
    later, and reported there."""
    from ignite.resource.schemes import load_reader, needs_network

    if at_boot_setup(ctx):
        import_module("ignite.stages.fetch_setup")

    try:
        args = cmdline.values(cmdline.read(ctx.cmdline_file))
        platform = ctx.platform or cmdline.platform_id(args)
        provider = providers.get(platform) if platform else None  # run() asks for it whatever the source
    except UsageError:
        args, provider = {}, None
    url = cmdline.config_url(args)
    if url is not None:
        try:
            cmdline.check_config_url(url)  # what the check loads for a network URL (urllib.parse)
        except UsageError:
            pass
        import_module(PIPELINE)  # the URL is fetched through it (or found to need the network)
    if url is not None and ctx.stage == "fetch-offline" and needs_network(url):
        return  # a network boot: this stage only signals neednet, parsing nothing
    for name in PRELOADED + (NETWORK_PRELOADED if ctx.stage == "fetch" else ()):
        import_module(name)
    record.sha256_hex(b"")  # its module: every fetch stage records its config's digest
    try:
        if url is not None:
            load_reader(url, offline=ctx.stage == "fetch-offline")
            return
        if provider is not None and ctx.stage == "fetch":
            import_module("ignite.resource.http")  # a metadata service's transport
    except ImportError:
        return  # a reader's package missing (tftpy): the fetch itself says so, on the record
    if provider is None:
        return
    warm = getattr(provider, "preload", None)
    if warm is not None and not (args.get(cmdline.CONFIG_DEVICE) or args.get(cmdline.CONFIG_PATH)):
        data = warm()  # the provider's config, when it could read it already
        if data:
            _prepare_for(data)


def _prepare_for(data: bytes) -> None:
    """The schema walk of the config's spec version, compiled now (~2 ms here, 30 under
    TCG), and the fetch pipeline when the config references others; anything unusual (not
    JSON, a legacy or unknown version) is left for parse."""
    from ignite import jsonio
    from ignite.config import structure, versions

    try:
        cfg = jsonio.loads(data)
        version = versions.detect(cfg)
        if not versions.is_legacy(version):
            structure.compiled(version)
        if _references_others(cfg):
            import_module(PIPELINE)
    except Exception:  # noqa: BLE001 - parse meets it again, and reports it, after the flag
        return


def _references_others(cfg: object) -> bool:
    """Whether a config (as JSON) names other configs or CA bundles to fetch."""
    ignition = cfg.get("ignition") if isinstance(cfg, dict) else None
    if not isinstance(ignition, dict):
        return False
    config = ignition.get("config")
    if isinstance(config, dict) and any(config.get(key) for key in ("merge", "append", "replace")):
        return True
    security = ignition.get("security")
    tls = security.get("tls") if isinstance(security, dict) else None
    return isinstance(tls, dict) and bool(tls.get("certificateAuthorities"))


def run(ctx: StageContext) -> None:
    offline = ctx.stage == "fetch-offline"
    text = cmdline.read(ctx.cmdline_file)
    if at_boot_setup(ctx):  # at a first boot: the configs on disk, before any is read
        from ignite.stages import fetch_setup

        fetch_setup.run(text)
    args = cmdline.values(text)
    platform = ctx.platform or cmdline.platform_id(args)
    if not platform:
        raise UsageError("no platform: pass --platform or put ignition.platform.id on the kernel command line")
    _run(ctx, args, platform, providers.get(platform), offline)


def _run(ctx: StageContext, args: dict[str, str], platform: str, provider: Provider, offline: bool) -> None:
    base = cache.system_base_config(platform)
    started = time.monotonic()
    # Upstream records the system base config even when there is none (an empty one).
    fetched: list[FetchedConfig] = [{"kind": "base", "source": "system", "referenced": False}]
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
    ctx: StageContext,
    args: dict[str, str],
    platform: str,
    provider: Provider,
    offline: bool,
    fetched: list[FetchedConfig],
) -> Config:
    """The rendered user config; `fetched` gets the state entries as they happen."""
    settings = FetchSettings(
        offline=offline, http_total=cmdline.fetch_timeout(args, ctx.fetch_timeout) or None,
        credentials=credentials_for(platform),
    )
    pctx = ProviderContext(platform, settings, ctx.config_file)
    data, source = _user_config_bytes(args, provider, pctx)
    if not data:
        log.info("not a config (empty): provider config was empty, continuing with empty cache config")
        return Config(ignition=Ignition(version=NEWEST))
    from ignite.config.parse import parse
    from ignite.config.render import render_user_config

    config = parse(data, source=source)
    record.config_source("user", cmdline.config_url(args) or source, data)
    fetched.append({"kind": "user", "source": source, "referenced": False})
    return render_user_config(config, settings, fetched)


def _user_config_bytes(args: dict[str, str], provider: Provider, pctx: ProviderContext) -> tuple[bytes | None, str]:
    url = cmdline.config_url(args)
    device, path = args.get(cmdline.CONFIG_DEVICE), args.get(cmdline.CONFIG_PATH)
    if url is not None:
        cmdline.check_config_url(url)
        from ignite.resource.schemes import needs_network

        if "${" in url and not (pctx.settings.offline and needs_network(url)):
            # Per-machine configs; fetch-offline only signals neednet for a network URL:
            # ${mac} is the NIC that gets the lease, which is not known before the network.
            from ignite.identity import expand

            url = expand(url)
        if device or path:
            log.warning("both ignition.config.url and ignition.config.device/path are given: using the URL")
        return _fetch_url(url, pctx.settings), "cmdline"
    if device or path:
        return _read_device(device, path), "cmdline"
    for directory in cache.system_dirs():
        user_ign = os.path.join(directory, distro.USER_CONFIG)
        try:
            with open(user_ign, "rb") as f:
                return f.read(), "system"
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise ConfigError(f"cannot read {user_ign}: {exc.strerror}") from None
    return provider.fetch(pctx), pctx.platform


def _fetch_url(url: str, settings: FetchSettings) -> bytes:
    return fetch_bytes(Resource(source=url), settings)


def _read_device(device: str | None, path: str | None) -> bytes | None:
    if not device or not path:
        raise ProviderError(
            "cmdline", 'both "ignition.config.device" and "ignition.config.path" must be provided together'
        )
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


def config_needs_network(config: Config) -> bool:
    """A Resource with a network scheme, a tang server without advertisement, or a custom
    clevis pin that says so (docs/spec/stages.md#neednet)."""
    from ignite.resource.schemes import needs_network

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


def _provider_files(provider: Provider, platform: str, ctx: StageContext, offline: bool) -> list[dict[str, Any]] | None:
    """Files a provider wants in the target (Hyper-V's KVP pools), for the files stage."""
    output_files = output_files_hook(provider)
    if output_files is None:
        return None
    return output_files(ProviderContext(platform, FetchSettings(offline=offline)))


def signal_neednet(ctx: StageContext) -> None:
    from ignite.stages.state import private_dir

    path = ctx.neednet_file
    private_dir(os.path.dirname(path) or ".")  # /run/ignition also holds the state, with its secrets
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o666))
