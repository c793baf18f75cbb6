"""Rules of the `ignition` section: version, merge/replace, proxy, TLS CAs."""
from __future__ import annotations

from ignite.config import urls
from ignite.config.rules.common import Ctx, check_required_source, validate_resource
from ignite.config.versions import semver

TYPE_CHECKING = False  # not typing's: every fetch stage validates its config
if TYPE_CHECKING:
    from typing import Any

ERR_INVALID_VERSION = "invalid config version (couldn't parse)"
ERR_UNKNOWN_VERSION = "unsupported config version"
ERR_INVALID_PROXY = "proxies must be http(s)"
ERR_INSECURE_PROXY = "insecure plaintext HTTP proxy specified for HTTPS resources"


def _check_version(version: str, expected: str) -> str | None:
    parsed = semver(version)
    if parsed is None:
        return ERR_INVALID_VERSION
    if parsed != semver(expected):
        return ERR_UNKNOWN_VERSION
    return None


def _check_proxy(ctx: Ctx, value: str | None, path: tuple, http_ok: bool) -> None:
    if value is None:
        return
    url = urls.parse_url(value)
    if url is None:
        ctx.error(urls.ERR_INVALID_URL, path)
    elif url.scheme not in ("http", "https"):
        ctx.error(ERR_INVALID_PROXY, path)
    elif url.scheme == "http" and not http_ok:
        ctx.warning(ERR_INSECURE_PROXY, path)


def validate_ignition(ctx: Ctx, ign: dict[str, Any], version: str) -> None:
    base = ("ignition",)
    ctx.error(_check_version(ign.get("version", ""), version), base + ("version",))

    config = ign.get("config") or {}
    kind = "resource" if ctx.minor >= 1 else "config"
    merge = config.get("merge") or ()
    if ctx.minor >= 1:
        for i, res in enumerate(merge):
            ctx.error(check_required_source(ctx, res), base + ("config", "merge", i))
    for i, res in enumerate(merge):
        validate_resource(ctx, res, base + ("config", "merge", i), kind)
    validate_resource(ctx, config.get("replace") or {}, base + ("config", "replace"), kind)

    if ctx.minor >= 1:
        proxy = ign.get("proxy") or {}
        _check_proxy(ctx, proxy.get("httpProxy"), base + ("proxy", "httpProxy"), True)
        _check_proxy(ctx, proxy.get("httpsProxy"), base + ("proxy", "httpsProxy"), False)

    cas = ((ign.get("security") or {}).get("tls") or {}).get("certificateAuthorities") or ()
    ca_base = base + ("security", "tls", "certificateAuthorities")
    if ctx.minor >= 1:
        for i, res in enumerate(cas):
            ctx.error(check_required_source(ctx, res), ca_base + (i,))
    for i, res in enumerate(cas):
        validate_resource(ctx, res, ca_base + (i,), "resource" if ctx.minor >= 1 else "ca")
