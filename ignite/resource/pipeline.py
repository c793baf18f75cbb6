"""The one fetch pipeline (module name: `fetch` would shadow `ignite.resource.fetch`): scheme reader → decompress → verify → destination."""
from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, BinaryIO

from ignite.errors import FetchError, redact_url
from ignite.resource.decompress import decompress
from ignite.resource.verify import Verifier

if TYPE_CHECKING:
    from ignite.config.model import Resource
    from ignite.resource import FetchSettings

log = logging.getLogger("ignite.fetch")

# scheme → module with `stream(url, resource, settings) -> Iterator[bytes]`, imported on use.
_READERS = {
    "data": "ignite.resource.data",
    "http": "ignite.resource.http",
    "https": "ignite.resource.http",
    "tftp": "ignite.resource.tftp",
    "s3": "ignite.resource.s3",
    "arn": "ignite.resource.s3",
    "gs": "ignite.resource.gs",
    "oem": "ignite.resource.oem",
}
NETWORK_FREE = frozenset({"", "data", "oem"})
PREFETCHED = frozenset({"http", "https", "s3", "arn", "gs"})  # streamed from a socket


def scheme_of(url: str) -> str:
    """The URL's scheme, lowercase; "" for a bare path (which fetches zero bytes)."""
    head, colon, _ = url.partition(":")
    if not colon or not head or not (head[0].isalpha() and all(c.isalnum() or c in "+-." for c in head)):
        return ""
    return head.lower()


def needs_network(url: str | None) -> bool:
    return url is not None and scheme_of(url) not in NETWORK_FREE


def fetch(resource: Resource, dest: BinaryIO, settings: FetchSettings, *, exact_hash_case: bool = False) -> None:
    url = resource.source
    if url is None:
        raise FetchError("", "scheme", "source is required")
    scheme = scheme_of(url)
    if scheme == "":
        return  # "" (and a bare path on the command line) is zero bytes; no hash is checked
    if scheme not in _READERS:
        raise FetchError(url, "scheme", f"unsupported source scheme {scheme!r}")
    if settings.offline and scheme not in NETWORK_FREE:
        raise FetchError(url, "neednet", "resource requires networking")
    if resource.compression and scheme in ("s3", "arn"):
        raise FetchError(url, "scheme", "compression is not supported with that scheme")
    from ignite import record

    if not record.active() or scheme == "data":  # a data URL is its contents: never recorded
        _stream(url, scheme, resource, dest, settings, exact_hash_case)
        return
    counted = _Counting(dest)
    started = time.monotonic()
    try:
        _stream(url, scheme, resource, counted, settings, exact_hash_case)
    except FetchError:
        record.fetched(url, counted.size, time.monotonic() - started, ok=False)
        raise
    record.fetched(url, counted.size, time.monotonic() - started)


class _Counting:
    """The destination, counting what reaches it (for the report's fetch entries)."""

    def __init__(self, dest: BinaryIO) -> None:
        self.dest = dest
        self.size = 0

    def write(self, chunk: bytes) -> int:
        self.size += len(chunk)
        return self.dest.write(chunk)


def _stream(url: str, scheme: str, resource: Resource, dest: BinaryIO | _Counting, settings: FetchSettings,
            exact_hash_case: bool) -> None:
    shown = display_url(url)
    verifier = None
    if resource.verification.hash is not None:
        verifier = Verifier(resource.verification.hash, shown, exact_case=exact_hash_case)
    chunks = _reader(scheme)(url, resource, settings)
    if scheme in PREFETCHED:
        from ignite.resource.prefetch import prefetched

        chunks = prefetched(chunks)
    meter = None
    if scheme not in NETWORK_FREE:
        from ignite.progress import Meter

        meter = Meter(redact_url(shown))
        chunks = _metered(chunks, meter, url)
    for chunk in decompress(chunks, resource.compression, shown):
        if verifier is not None:
            verifier.update(chunk)
        dest.write(chunk)
    if verifier is not None:
        verifier.check()
    if meter is not None:
        meter.done()
    if scheme != "data":
        log.info("fetched %s", redact_url(url))


def _metered(chunks: Iterator[bytes], meter: object, url: str) -> Iterator[bytes]:
    """The raw (still compressed) bytes as they arrive; the total once the reader knows it."""
    from ignite.progress import expected

    for chunk in chunks:
        if meter.total is None:  # type: ignore[attr-defined]
            meter.total = expected(url)  # type: ignore[attr-defined]
        meter.update(len(chunk))  # type: ignore[attr-defined]
        yield chunk


def display_url(url: str) -> str:
    """A data URL can be megabytes long: errors and logs show its start only."""
    return url if len(url) <= 80 or not url[:5].lower() == "data:" else url[:72] + "..."


def _reader(scheme: str) -> Callable[[str, Resource, FetchSettings], Iterator[bytes]]:
    return importlib.import_module(_READERS[scheme]).stream
