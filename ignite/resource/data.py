"""`data:` URLs (RFC 2397): decoded locally, never need the network.

Ignition's exact decoder (Go's dataurl lexer) lives in ignite.config.urls, which the
validator uses too; it is exact but slow on megabytes. The plain base64 form that
almost every real config uses is decoded here directly, with the same result; every
other form goes through the exact decoder."""
from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator

from ignite.errors import ConfigError, FetchError

# data:[type/subtype][;attr=value]*;base64,<padded standard base64>
_SIMPLE_BASE64 = re.compile(
    r"data:(?:[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+)?"
    r"(?:;[A-Za-z0-9!#$&^_.+-]+=[A-Za-z0-9!#$&^_.+-]+)*;base64,"
)
_BASE64_BODY = re.compile(rb"[A-Za-z0-9+/]*={0,2}")


def decode_data_url(url: str) -> bytes:
    match = _SIMPLE_BASE64.match(url)
    if match:
        body = url[match.end():].encode("ascii", errors="replace")
        if len(body) % 4 == 0 and _BASE64_BODY.fullmatch(body):
            try:
                return base64.b64decode(body, validate=True)
            except binascii.Error:
                pass  # let the exact decoder name the error
    from ignite.config.urls import decode_data_url as exact

    try:
        return exact(url)
    except ConfigError as exc:
        raise FetchError(url, "data", f"invalid data URL: {exc.message}") from None


def stream(url: str, resource: object, settings: object) -> Iterator[bytes]:
    yield decode_data_url(url)
