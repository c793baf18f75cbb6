"""URL schemes: which module reads each, which need the network. Light on purpose: the
fetch stages ask these questions before they know whether they will fetch anything, and
the pipeline itself (with decompression and verification) is 2.5 million instructions of
imports, about 0.04 s of CPU under TCG, that a config with nothing to fetch never pays."""
from __future__ import annotations

from ignite import import_module

# scheme → module with `stream(url, resource, settings) -> Iterator[bytes]`, imported on use.
READERS = {
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


def load_reader(url: str, offline: bool) -> None:
    """Imports the reader of `url`'s scheme ahead of the fetch (a fetch stage, before its
    flag), unless offline forbids the scheme or there is none."""
    scheme = scheme_of(url)
    if scheme in READERS and not (offline and scheme not in NETWORK_FREE):
        import_module(READERS[scheme])
