"""OpenStack: the config-2 / CONFIG-2 drives raced with the metadata service over IPv4
and over IPv6 link-local (fe80::a9fe:a9fe on every interface that has IPv6). The
metadata service needs the network, so fetch-offline asks for it up front, as upstream.
A missing file or a 404 is no config; so is every source failing."""
from __future__ import annotations

import logging
import os
from pathlib import Path

from ignite import distro
from ignite.errors import IgniteError
from ignite.providers import ProviderContext
from ignite.providers.common import endpoint, http_get, require_network
from ignite.providers.configdrive import from_label, race

log = logging.getLogger("ignite.providers")
ENDPOINT = "http://169.254.169.254"
LINK_LOCAL = "fe80::a9fe:a9fe"
PATH = "/openstack/latest/user_data"
IF_INET6 = "/proc/net/if_inet6"


def ipv6_interfaces(table: str | None = None) -> list[str]:
    """Non-loopback interfaces with an IPv6 address (from /proc/net/if_inet6)."""
    try:
        text = table if table is not None else Path(IF_INET6).read_text()
    except OSError:
        return []
    names = []
    for line in text.splitlines():
        cols = line.split()
        if len(cols) >= 6 and cols[5] != "lo" and cols[5] not in names:
            names.append(cols[5])
    return names


def fetch(pctx: ProviderContext, platform: str = "openstack") -> bytes | None:
    url = endpoint(platform, ENDPOINT) + PATH
    require_network(pctx, url)
    sources = [
        lambda stop: from_label("config-2", PATH, platform, None, stop),
        lambda stop: from_label("CONFIG-2", PATH, platform, None, stop),
        lambda stop: http_get(pctx, url),
    ]
    if f"{distro.ENDPOINT_ENV_PREFIX}{platform.upper()}" not in os.environ:  # tests replace the whole service
        for iface in ipv6_interfaces():
            v6 = f"http://[{LINK_LOCAL}%25{iface}]{PATH}"
            sources.append(lambda stop, v6=v6: http_get(pctx, v6))
    try:
        return race(platform, sources)
    except IgniteError as exc:
        log.info("%s: couldn't fetch config (%s): continuing without one", platform, exc)
        return None
