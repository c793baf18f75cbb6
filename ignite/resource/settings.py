"""FetchSettings from what a config says: timeouts, proxy, and its CAs (fetched here)."""
from __future__ import annotations

from ignite.config.record import replace
from ignite.errors import FetchError

TYPE_CHECKING = False  # not typing's: every files stage with contents reads its settings
if TYPE_CHECKING:
    from ignite.config.model import Config, Resource
    from ignite.resource import FetchSettings

# A regex compiled on first use (re's own cache): only configs with CAs need it, and `re`
# costs every files stage ~7 ms of start-up.
_PEM_CERT = rb"-----BEGIN CERTIFICATE-----\r?\n.+?-----END CERTIFICATE-----"
DEFAULT_RESPONSE_HEADERS = 10.0


def settings_from_config(config: Config, *, offline: bool = False, base: FetchSettings | None = None) -> FetchSettings:
    """`base` keeps what the platform set (endpoints, credentials); the config sets the rest.

    CAs are fetched with the settings in force before them, as upstream does."""
    from ignite.resource import FetchSettings

    ign = config.ignition
    current = replace(base or FetchSettings(), offline=offline)
    headers = ign.timeouts.http_response_headers
    total = ign.timeouts.http_total
    proxy = ign.proxy
    current = replace(
        current,
        # As Go: zero or negative (not validated upstream) means no limit.
        http_response_headers=DEFAULT_RESPONSE_HEADERS
        if headers is None
        else (float(headers) if headers > 0 else None),
        http_total=float(total) if total is not None and total > 0 else None,
        http_proxy=proxy.http_proxy or None,
        https_proxy=proxy.https_proxy or None,
        no_proxy=tuple(proxy.no_proxy),
    )
    cas = tuple(fetch_ca(ca, current) for ca in ign.security.tls.certificate_authorities)
    return replace(current, certificate_authorities=cas)


def file_settings(config: Config, base: FetchSettings | None = None) -> FetchSettings:
    """The settings for files' contents: the config's, with a finite deadline per file
    (limits.FILE_FETCH_TIMEOUT) when the config sets no httpTotal, so that no server can
    hold the files stage forever. An httpTotal in the config, 0 (no limit) included, wins."""
    from ignite.resource.limits import FILE_FETCH_TIMEOUT

    settings = settings_from_config(config, base=base)
    if config.ignition.timeouts.http_total is None:
        settings = replace(settings, http_total=FILE_FETCH_TIMEOUT)
    return settings


def fetch_ca(resource: Resource, settings: FetchSettings) -> bytes:
    """A CA bundle: one or more PEM CERTIFICATE blocks, verified like any resource."""
    from ignite.resource import fetch_bytes

    data = fetch_bytes(resource, settings)
    check_pem(data, resource.source or "")
    return data


def check_pem(data: bytes, url: str) -> None:
    import re

    if not re.search(_PEM_CERT, data, re.S):
        raise FetchError(url, "tls", "unable to decode PEM block: no CERTIFICATE found")
