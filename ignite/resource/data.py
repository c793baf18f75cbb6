"""`data:` URLs (RFC 2397): decoded locally, never need the network.

Ignition's exact decoder (Go's dataurl lexer) lives in ignite.config.urls, which the
validator uses too. The plain base64 form that almost every real config uses is decoded
here directly, with the same result; every other form goes through the exact decoder.
Neither `re` nor `base64` is imported: the files stage decodes every file's data URL here
and their imports would cost it ~7 ms of start-up."""
from __future__ import annotations

import binascii

from ignite.config.dataurl import is_plain_base64
from ignite.errors import ConfigError, FetchError

TYPE_CHECKING = False  # not typing's, nor collections': this module is on a boot stage's start-up path
if TYPE_CHECKING:
    from collections.abc import Iterator

# The characters of a media type, subtype, parameter name or value in the simple form.
_SIMPLE_TOKEN = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&^_.+-"
_SIMPLE_TOKEN_BYTES = _SIMPLE_TOKEN.encode()


def _is_simple_token(text: str) -> bool:
    return bool(text) and not text.strip(_SIMPLE_TOKEN)


def simple_base64_start(url: str) -> int | None:
    """Where the data begins in `data:[type/subtype][;attr=value]*;base64,<data>` with only
    plain token characters in the header, else None."""
    head, comma, _ = url.partition(",")
    if not comma or not head.startswith("data:") or not head.endswith(";base64") or not head.isascii():
        return None
    media_type, semicolon, parameters = head[5:-7].partition(";")
    if media_type:
        kind, slash, subtype = media_type.partition("/")
        if not (slash and _is_simple_token(kind) and _is_simple_token(subtype)):
            return None
    if semicolon:
        # Checked in C, as there may be 100k of them: with the token characters gone, the
        # parameters must leave `;=` repeated, and no name or value may be empty.
        parameters = ";" + parameters
        shape = parameters.encode().translate(None, _SIMPLE_TOKEN_BYTES)
        if (shape != b";=" * (len(shape) // 2) or ";=" in parameters or "=;" in parameters
                or parameters.endswith("=")):
            return None
    return len(head) + 1


def decode_data_url(url: str) -> bytes:
    start = simple_base64_start(url)
    if start is not None:
        body = url[start:]
        if len(body) % 4 == 0 and is_plain_base64(body):
            try:
                return binascii.a2b_base64(body, strict_mode=True)  # as base64.b64decode(validate=True)
            except binascii.Error:
                pass  # let the exact decoder name the error
    from ignite.config.urls import decode_data_url as exact

    try:
        return exact(url)
    except ConfigError as exc:
        raise FetchError(url, "data", f"invalid data URL: {exc.message}") from None


def stream(url: str, resource: object, settings: object) -> Iterator[bytes]:
    yield decode_data_url(url)
