"""What many providers share: endpoints, metadata GETs with Ignition's "no config" rules,
base64/gzip bodies."""
from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ignite import distro
from ignite.errors import FetchError, ProviderError

if TYPE_CHECKING:
    import http.client

    from ignite.providers import ProviderContext
    from ignite.resource.retry import Deadline


def endpoint(platform: str, default: str) -> str:
    """The base URL of a platform's metadata service; IGNITE_ENDPOINT_<PLATFORM> overrides it."""
    return os.environ.get(f"{distro.ENDPOINT_ENV_PREFIX}{platform.upper()}", default).rstrip("/")


def require_network(pctx: ProviderContext, url: str) -> None:
    if pctx.offline:
        raise FetchError(url, "neednet", "resource requires networking")


def http_get(
    pctx: ProviderContext,
    url: str,
    headers: Mapping[str, str] | None = None,
    *,
    method: str = "GET",
    empty_on_404: bool = True,
    retry_statuses: frozenset[int] = frozenset(),
    data: bytes | None = None,
    ok_statuses: frozenset[int] = frozenset({200, 204}),
) -> bytes | None:
    """The body, or None for "no config" (404 where the platform tolerates it, or an empty body)."""
    require_network(pctx, url)
    from ignite.resource.http import Client, default_headers
    from ignite.resource.retry import Deadline

    sent = default_headers()
    for name, value in (headers or {}).items():
        for existing in [n for n in sent if n.lower() == name.lower()]:
            del sent[existing]
        sent[name] = value
    deadline = Deadline(pctx.settings.http_total)
    with Client(pctx.settings) as client:
        try:
            response = client.get(
                url, sent, deadline, method=method, retry_statuses=retry_statuses, data=data, ok_statuses=ok_statuses
            )
        except FetchError as exc:
            if exc.kind == "notfound" and empty_on_404:
                return None
            raise
        body = client.read_all(response, url, deadline)
    return body or None


def direct_get(
    pctx: ProviderContext,
    url: str,
    headers: Mapping[str, str],
    connect: Callable[[Deadline], http.client.HTTPConnection],
) -> bytes | None:
    """A GET on a connection `connect` opens, for what Client cannot do (a zoned IPv6
    link-local host, a privileged source port), with the metadata rules of http_get:
    404 or an empty body is None, connection errors and 5xx are retried to the deadline."""
    from ignite.resource.http import default_headers
    from ignite.resource.retry import Deadline, Retryable, with_retries

    require_network(pctx, url)
    path = urlsplit(url).path or "/"
    sent = {**default_headers(), **headers}
    settings = pctx.settings

    def attempt(deadline: Deadline) -> bytes | None:
        try:
            conn = connect(deadline)
        except OSError as exc:
            raise Retryable(FetchError(url, "connect", str(exc))) from None
        try:
            conn.request("GET", path, headers=sent)
            response = conn.getresponse()
            body = response.read()
        except OSError as exc:
            raise Retryable(FetchError(url, "connect", str(exc))) from None
        finally:
            conn.close()
        if response.status == 404:
            return None
        if response.status >= 500:
            raise Retryable(FetchError(url, "http", f"server answered {response.status}"))
        if response.status not in (200, 204):
            raise FetchError(url, "http", f"failed to fetch resource: HTTP {response.status}")
        return body or None

    return with_retries(
        attempt, url, Deadline(settings.http_total), initial=settings.retry_initial, cap=settings.retry_max
    )


def decode_base64(data: bytes, platform: str) -> bytes:
    """Strict, as Go's base64.StdEncoding upstream uses: padding required, nothing outside
    the alphabet but CR and LF (which Go skips); corrupt user data is an error."""
    try:
        return base64.b64decode(data.replace(b"\r", b"").replace(b"\n", b""), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ProviderError(platform, f"user data is not valid base64: {exc}") from None


def gunzip_if_gzip(data: bytes, platform: str) -> bytes:
    if data[:2] != b"\x1f\x8b":
        return data
    from ignite.resource.decompress import gunzip_bytes
    from ignite.resource.limits import MAX_BUFFERED_BYTES

    try:
        return gunzip_bytes(data, MAX_BUFFERED_BYTES, f"{platform} user data")
    except FetchError as exc:
        raise ProviderError(platform, f"user data looks gzipped but cannot be inflated: {exc.detail}") from None
