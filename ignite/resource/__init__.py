"""Fetching the resources a config names: one entry point for every URL scheme.

    fetch(resource, dest, settings)

streams the (decompressed) bytes of `resource` into the binary file object `dest`,
verifying `resource.verification.hash` while streaming, and raises FetchError
(kind "hash") at the end on a mismatch. The caller writes `dest` to a temporary
file and renames it into place only when fetch returned: so nothing unverified
ever appears at the destination.

`settings` carries what the config says about fetching (timeouts, CAs, proxy), what the
platform provides (S3/GCS credentials, endpoints) and whether the network may be used
(the fetch-offline stage may not: such fetches raise FetchError kind "neednet").
`ignite.providers.settings_for(platform, config)` builds them for a stage as upstream does.

Modules: pipeline (scheme → decompress → verify → dest), one reader per scheme (data,
http, tftp, s3, gs, oem), retry (policy and deadline), proxy, settings, verify, decompress.
"""
from __future__ import annotations

from ignite.config.record import Record

TYPE_CHECKING = False  # not typing's, nor dataclasses: every files stage with contents fetches
if TYPE_CHECKING:
    from typing import BinaryIO

    from ignite.config.model import Config, Resource
    from ignite.resource.credentials import PlatformCredentials


class FetchSettings(Record):
    """Frozen; a copy with changes: `ignite.config.record.replace(settings, ...)`."""

    offline: bool = False
    http_response_headers: float | None = 10.0
    http_total: float | None = None
    certificate_authorities: tuple[bytes, ...] = ()  # PEM bundles, already fetched
    http_proxy: str | None = None
    https_proxy: str | None = None
    no_proxy: tuple[str, ...] = ()
    # Retry backoff (Ignition: 200 ms doubling to 5 s), with full jitter.
    retry_initial: float = 0.2
    retry_max: float = 5.0
    # Endpoints and credentials the platform provides (tests point them at 127.0.0.1).
    s3_endpoint: str | None = None  # e.g. http://127.0.0.1:5000; default: AWS, by region
    gs_endpoint: str = "https://storage.googleapis.com"
    aws_region: str | None = None
    aws_credentials: tuple[str, str, str | None] | None = None  # key id, secret, session token
    gs_token: str | None = None  # OAuth bearer token of a GCE service account
    azure_blob_token: str | None = None  # managed-identity token for *.blob.core.windows.net
    oem_dir: str = "/usr/share/oem"
    # The platform's lazily fetched credentials (ignite.resource.credentials), shared by
    # every settings derived from these; None off the clouds that lend any.
    credentials: PlatformCredentials | None = None

    @classmethod
    def from_config(cls, config: Config, *, offline: bool = False) -> FetchSettings:
        from ignite.resource.settings import settings_from_config

        return settings_from_config(config, offline=offline)


DEFAULT_SETTINGS = FetchSettings()


def fetch(
    resource: Resource, dest: BinaryIO, settings: FetchSettings = DEFAULT_SETTINGS, *, exact_hash_case: bool = False
) -> None:
    """`exact_hash_case`: compare the hash as referenced configs do (lowercase hex string).
    A `dest` with a file descriptor (a file's temp file) stops the fetch before its
    filesystem is nearly full (limits.FREE_SPACE_RESERVE)."""
    # Not "resource.fetch": a submodule of that name would shadow this function.
    from ignite.resource.pipeline import fetch as _fetch

    _fetch(resource, dest, settings, exact_hash_case=exact_hash_case)


def fetch_bytes(
    resource: Resource, settings: FetchSettings = DEFAULT_SETTINGS, *, exact_hash_case: bool = False
) -> bytes:
    """The whole resource in memory, for configs, CAs and key files: at most
    limits.MAX_BUFFERED_BYTES (after decompression), else FetchError kind "size"."""
    import io

    from ignite.resource.limits import MAX_BUFFERED_BYTES
    from ignite.resource.pipeline import fetch as _fetch

    buf = io.BytesIO()
    _fetch(resource, buf, settings, exact_hash_case=exact_hash_case, limit=MAX_BUFFERED_BYTES)
    return buf.getvalue()
