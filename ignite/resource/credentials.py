"""Cloud credentials a platform lends to resource fetches (s3:// and arn:, gs://, Azure
blob URLs), as upstream's fetcher holds the AWS config, the GCS token source and the
Azure credential in every stage.

One `PlatformCredentials` is made per process from the platform and rides along in every
FetchSettings derived from it (`replace` keeps the same object), so the fetch
stages, the disks stage (LUKS key files) and the files stage all share it. Nothing is
fetched until a resource needs it; then the value (or the failure) is kept for the
process. A failure is a FetchError of kind "credentials" naming what could not be got.

Explicit values in FetchSettings (aws_credentials, gs_token, azure_blob_token) win: they
are what tests and `ignite apply` pass."""
from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ignite.config.record import replace
from ignite.errors import FetchError

if TYPE_CHECKING:
    from ignite.resource import FetchSettings

# A lookup gets the settings of the fetch that needs it (CAs, deadline); it returns the
# value, None for "none on this machine: go anonymous", or raises FetchError.
Loader = Callable[["FetchSettings"], Any]
# Bound on one credential lookup when the config sets no httpTotal (upstream's fetch timeout).
LOOKUP_TIMEOUT = 120.0

AWS = "aws"  # (key id, secret, session token) of the instance role
AWS_REGION = "aws_region"  # S3 region hint: the instance's region
GS = "gs"  # OAuth bearer token for Cloud Storage
AZURE = "azure"  # managed-identity bearer token for Azure Storage


class PlatformCredentials:
    """Named lazy lookups, each run at most once per process."""

    def __init__(self, platform: str, loaders: Mapping[str, Loader]):
        self.platform = platform
        self._loaders = dict(loaders)
        self._values: dict[str, Any] = {}
        self._errors: dict[str, FetchError] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"PlatformCredentials({self.platform!r}, {sorted(self._loaders)})"

    def provides(self, name: str) -> bool:
        return name in self._loaders

    def get(self, name: str, settings: FetchSettings) -> Any:
        if name not in self._loaders:
            return None
        with self._lock:
            if name in self._errors:
                raise self._errors[name]
            if name not in self._values:
                try:
                    self._values[name] = self._loaders[name](lookup_settings(settings))
                except FetchError as exc:
                    self._errors[name] = exc
                    raise
            return self._values[name]


def lookup_settings(settings: FetchSettings) -> FetchSettings:
    """A metadata service is link-local: no proxy, and a bounded deadline."""
    return replace(
        settings, http_proxy=None, https_proxy=None, credentials=None,
        http_total=settings.http_total or LOOKUP_TIMEOUT,
    )


def _get(settings: FetchSettings, name: str) -> Any:
    holder = settings.credentials
    return None if holder is None else holder.get(name, settings)


def aws_credentials(settings: FetchSettings) -> tuple[str, str, str | None] | None:
    return settings.aws_credentials or _get(settings, AWS)


def aws_region(settings: FetchSettings) -> str | None:
    return settings.aws_region or _get(settings, AWS_REGION)


def gs_token(settings: FetchSettings) -> str | None:
    return settings.gs_token or _get(settings, GS)


def azure_blob_token(settings: FetchSettings) -> str | None:
    return settings.azure_blob_token or _get(settings, AZURE)


def azure_blob_possible(settings: FetchSettings) -> bool:
    """Whether a blob URL should be tried through the blob API first (upstream: on Azure)."""
    holder = settings.credentials
    return bool(settings.azure_blob_token) or (holder is not None and holder.provides(AZURE))


def credential_error(what: str, url: str, cause: BaseException) -> FetchError:
    detail = cause.detail if isinstance(cause, FetchError) else str(cause)
    return FetchError(url, "credentials", f"cannot get {what}: {detail}")
