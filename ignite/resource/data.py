"""`data:` URLs (RFC 2397): decoded locally, never need the network."""
from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from urllib.parse import unquote_to_bytes

from ignite.errors import FetchError


def decode_data_url(url: str) -> bytes:
    """The bytes of a `data:[<mediatype>][;base64],<data>` URL.

    The payload is percent-decoded in both forms, as Go's dataurl package does, so
    `data:;base64,SGk%3D` and `data:,a%20b` both work."""
    if not url[:5].lower() == "data:":
        raise FetchError(url, "scheme", "not a data URL")
    header, comma, payload = url[5:].partition(",")
    if not comma:
        raise FetchError(_short(url), "data", "missing comma in data URL")
    params = [p.strip() for p in header.split(";")]
    is_base64 = len(params) > 1 and params[-1].lower() == "base64"
    raw = unquote_to_bytes(payload)
    if not is_base64:
        return raw
    try:
        return base64.b64decode(_pad(raw.translate(None, b" \t\r\n")), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise FetchError(_short(url), "data", f"invalid base64 payload: {exc}") from None


def _pad(data: bytes) -> bytes:
    # Go's dataurl accepts unpadded base64 too.
    return data + b"=" * (-len(data) % 4)


def _short(url: str) -> str:
    """Data URLs can be megabytes long: keep error messages readable."""
    return url if len(url) <= 64 else url[:60] + "..."


def stream(url: str, resource: object, settings: object) -> Iterator[bytes]:
    yield decode_data_url(url)
