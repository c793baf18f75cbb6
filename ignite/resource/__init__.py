"""Fetching the resources a config names: one entry point for every URL scheme.

    fetch(resource, dest, settings)

streams the (decompressed) bytes of `resource` into the binary file object `dest`,
verifying `resource.verification.hash` while streaming, and raises FetchError
(kind "hash") at the end on a mismatch. The caller writes `dest` to a temporary
file and renames it into place only when fetch returned: so nothing unverified
ever appears at the destination.

`settings` carries what the config says about fetching (timeouts, CAs, proxy) and
whether the network may be used (the fetch-offline stage may not).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from ignite.config.model import Config, Resource


@dataclass(frozen=True)
class FetchSettings:
    offline: bool = False
    http_response_headers: float | None = 10.0
    http_total: float | None = None
    certificate_authorities: tuple[bytes, ...] = ()  # PEM bundles, already fetched
    http_proxy: str | None = None
    https_proxy: str | None = None
    no_proxy: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: Config, *, offline: bool = False) -> FetchSettings:
        from ignite.resource.settings import settings_from_config

        return settings_from_config(config, offline=offline)


def fetch(resource: Resource, dest: BinaryIO, settings: FetchSettings = FetchSettings()) -> None:
    from ignite.resource.fetch import fetch as _fetch

    _fetch(resource, dest, settings)
