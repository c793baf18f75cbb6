"""What many providers share: endpoints, metadata GETs with Ignition's "no config" rules,
base64/gzip bodies."""
from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ignite.errors import FetchError, ProviderError

if TYPE_CHECKING:
    from ignite.providers import ProviderContext


def endpoint(platform: str, default: str) -> str:
    """The base URL of a platform's metadata service; IGNITE_ENDPOINT_<PLATFORM> overrides it."""
    return os.environ.get(f"IGNITE_ENDPOINT_{platform.upper()}", default).rstrip("/")


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


def decode_base64(data: bytes, platform: str) -> bytes:
    try:
        return base64.b64decode(data.strip(), validate=False)
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
