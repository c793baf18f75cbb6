"""The one fetch pipeline: scheme reader → decompress → verify → destination.

(The module is not `fetch`: that name would shadow the function `ignite.resource.fetch`.)"""
from __future__ import annotations

import os
import time

from ignite import import_module, record
from ignite.errors import FetchError, redact_url
from ignite.log import get_logger
from ignite.resource.decompress import decompress
from ignite.resource.limits import FREE_SPACE_RESERVE, FREE_SPACE_RESERVE_FRACTION, FREE_SPACE_UNCHECKED_BYTES
from ignite.resource.schemes import NETWORK_FREE, PREFETCHED, READERS, scheme_of
from ignite.resource.verify import Verifier

TYPE_CHECKING = False  # not typing's, nor logging below: every files stage fetches
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import BinaryIO

    from ignite.config.model import Resource
    from ignite.progress import Meter
    from ignite.resource import FetchSettings

log = get_logger("ignite.fetch")

def fetch(
    resource: Resource, dest: BinaryIO, settings: FetchSettings, *, exact_hash_case: bool = False,
    limit: int | None = None,
) -> None:
    """`limit`: the most bytes (after decompression) `dest` may receive. A `dest` with a
    file descriptor also stops the fetch before its filesystem is nearly full."""
    url = resource.source
    if url is None:
        raise FetchError("", "scheme", "source is required")
    scheme = scheme_of(url)
    if scheme == "":
        return  # "" (and a bare path on the command line) is zero bytes; no hash is checked
    if scheme not in READERS:
        raise FetchError(url, "scheme", f"unsupported source scheme {scheme!r}")
    if settings.offline and scheme not in NETWORK_FREE:
        raise FetchError(url, "neednet", "resource requires networking")
    if scheme in _AUTHORITY_SCHEMES:
        _check_authority(url)
    if resource.compression and scheme in ("s3", "arn"):
        raise FetchError(url, "scheme", "compression is not supported with that scheme")
    budget = _Budget(url, dest, limit)
    if not record.active() or scheme == "data":  # a data URL is its contents: never recorded
        _stream(url, scheme, resource, dest, settings, exact_hash_case, budget)
        return
    started = time.monotonic()
    try:
        _stream(url, scheme, resource, dest, settings, exact_hash_case, budget)
    except FetchError:
        record.fetched(url, budget.received, time.monotonic() - started, ok=False)
        raise
    record.fetched(url, budget.received, time.monotonic() - started)


def _stream(url: str, scheme: str, resource: Resource, dest: BinaryIO, settings: FetchSettings,
            exact_hash_case: bool, budget: _Budget) -> None:
    verifier = None
    if resource.verification.hash is not None:
        verifier = Verifier(resource.verification.hash, url, exact_case=exact_hash_case)
    chunks = _reader(scheme)(url, resource, settings)
    if scheme in PREFETCHED:
        from ignite.resource.prefetch import prefetched

        chunks = prefetched(chunks)
    meter = None
    if scheme not in NETWORK_FREE:
        from ignite.progress import Meter

        meter = Meter(redact_url(url))
        chunks = _metered(chunks, meter, url)
    for chunk in decompress(chunks, resource.compression, url):
        budget.take(len(chunk))
        if verifier is not None:
            verifier.update(chunk)
        dest.write(chunk)
    if verifier is not None:
        verifier.check()
    if meter is not None:
        meter.done()
    if scheme != "data":
        log.info("fetched %s", redact_url(url))


def _metered(chunks: Iterator[bytes], meter: Meter, url: str) -> Iterator[bytes]:
    """The raw (still compressed) bytes as they arrive; the total once the reader knows it."""
    from ignite.progress import expected

    for chunk in chunks:
        if meter.total is None:
            meter.total = expected(url)
        meter.update(len(chunk))
        yield chunk


_AUTHORITY_SCHEMES = frozenset({"http", "https", "tftp", "s3", "gs"})


def _check_authority(url: str) -> None:
    """A host or port no URL parser accepts (port > 65535, a stray `]`) can never be
    fetched: fail at once, naming it, rather than retry or crash in a reader."""
    from urllib.parse import urlsplit  # here: the data: URLs of every files stage never need it

    try:
        urlsplit(url).port  # noqa: B018 - raises ValueError when out of range
    except ValueError as exc:
        raise FetchError(url, "scheme", f"invalid URL: {exc}") from None


class _Budget:
    """What `dest` may still receive: a size limit, and the free space of its filesystem
    (past limits.FREE_SPACE_UNCHECKED_BYTES)."""

    def __init__(self, url: str, dest: BinaryIO, limit: int | None):
        self.url = url
        self.limit = limit
        self.received = 0
        try:
            self.fd: int | None = dest.fileno()
        except (AttributeError, OSError, ValueError):  # BytesIO and other in-memory sinks
            self.fd = None

    def take(self, size: int) -> None:
        self.received += size
        if self.limit is not None and self.received > self.limit:
            raise FetchError(
                self.url, "size",
                f"more than {self.limit >> 20} MiB, the limit for what is held in memory (configs, CAs, key files)",
            )
        if self.fd is not None and self.received > FREE_SPACE_UNCHECKED_BYTES:
            st = os.fstatvfs(self.fd)
            reserve = free_space_reserve(st.f_blocks * st.f_frsize)
            if st.f_bavail * st.f_frsize - size < reserve:
                raise FetchError(
                    self.url, "size",
                    f"stopped after {self.received >> 20} MiB: the target filesystem would have less than "
                    f"{reserve / (1 << 20):.1f} MiB free",
                )


def free_space_reserve(filesystem_size: int) -> int:
    """What a download must leave free on a filesystem of that size."""
    return min(FREE_SPACE_RESERVE, int(filesystem_size * FREE_SPACE_RESERVE_FRACTION))


def _reader(scheme: str) -> Callable[[str, Resource, FetchSettings], Iterator[bytes]]:
    stream: Callable[[str, Resource, FetchSettings], Iterator[bytes]] = import_module(READERS[scheme]).stream
    return stream
