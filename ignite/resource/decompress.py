"""Streaming decompression of fetched bytes, in constant memory."""
from __future__ import annotations

import zlib

from ignite.errors import FetchError

TYPE_CHECKING = False  # not typing's, nor collections': this module is on a boot stage's start-up path
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

# Output per inflate call: bounds memory even for a gzip bomb.
_OUT_CHUNK = 1 << 20


def decompress(chunks: Iterable[bytes], compression: str | None, url: str) -> Iterator[bytes]:
    if not compression:
        yield from chunks
        return
    if compression != "gzip":
        raise FetchError(url, "decompress", f"unsupported compression {compression!r}")
    yield from _gunzip(chunks, url)


def _gunzip(chunks: Iterable[bytes], url: str) -> Iterator[bytes]:
    """gzip, several members allowed (as Go's gzip reader allows)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    seen_any = False
    try:
        for chunk in chunks:
            data = chunk
            while data:
                seen_any = True
                if inflater.eof:
                    # The next member starts right after the previous one's trailer.
                    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
                out = inflater.decompress(data, _OUT_CHUNK)
                if out:
                    yield out
                if inflater.unconsumed_tail:
                    data = inflater.unconsumed_tail
                else:
                    data = inflater.unused_data if inflater.eof else b""
        if not seen_any:
            raise FetchError(url, "decompress", "gzip: empty input")
        tail = inflater.flush()
        if tail:
            yield tail
        if not inflater.eof:
            raise FetchError(url, "decompress", "gzip: unexpected end of data (truncated)")
    except zlib.error as exc:
        raise FetchError(url, "decompress", f"gzip: corrupt data: {exc}") from None


def gunzip_bytes(data: bytes, limit: int, url: str) -> bytes:
    """gzip data inflated in memory, refused (FetchError kind "size") as soon as it
    inflates past `limit`: a gzip bomb never gets buffered."""
    out, size = [], 0
    for chunk in _gunzip([data], url):
        size += len(chunk)
        if size > limit:
            raise FetchError(
                url, "size", f"inflates to more than {limit >> 20} MiB, the limit for what is held in memory"
            )
        out.append(chunk)
    return b"".join(out)
