"""OpenStack: the config-2 / CONFIG-2 drives raced with the metadata service over IPv4
and over IPv6 link-local (fe80::a9fe:a9fe on every interface that is up and has IPv6). The
metadata service needs the network, so fetch-offline asks for it up front, as upstream.
A missing file or a 404 is no config; so is every source failing."""
from __future__ import annotations

import fcntl
import http.client
import logging
import os
import socket
import struct
from collections.abc import Callable
from pathlib import Path

from ignite import distro
from ignite.errors import IgniteError
from ignite.providers import ProviderContext
from ignite.providers.common import direct_get, endpoint, http_get, require_network
from ignite.providers.configdrive import Source, from_label, race
from ignite.resource.retry import Deadline

log = logging.getLogger("ignite.providers")
ENDPOINT = "http://169.254.169.254"
LINK_LOCAL = "fe80::a9fe:a9fe"
PATH = "/openstack/latest/user_data"
IF_INET6 = "/proc/net/if_inet6"
LINK_LOCAL_PORT_ENV = "IGNITE_OPENSTACK_LINK_LOCAL_PORT"  # tests: the stand-in's port
SIOCGIFFLAGS, IFF_UP, IFF_LOOPBACK = 0x8913, 0x1, 0x8


def ipv6_interfaces(table: str | None = None, is_up: Callable[[str], bool] | None = None) -> list[str]:
    """Interfaces that are up, not loopback, and have an IPv6 address (/proc/net/if_inet6),
    as upstream: the link-local metadata service is asked on each."""
    try:
        text = table if table is not None else Path(IF_INET6).read_text()
    except OSError:
        return []
    up = is_up or interface_up
    names = []
    for line in text.splitlines():
        cols = line.split()
        if len(cols) >= 6 and cols[5] != "lo" and cols[5] not in names and up(cols[5]):
            names.append(cols[5])
    return names


def interface_up(name: str) -> bool:
    """IFF_UP and not IFF_LOOPBACK, from the kernel (SIOCGIFFLAGS) in this network namespace."""
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
        try:
            raw = fcntl.ioctl(sock.fileno(), SIOCGIFFLAGS, struct.pack("16sh", name.encode()[:15], 0))
        except OSError:
            return False
    flags = struct.unpack("16sh", raw[:18])[1]
    return bool(flags & IFF_UP) and not flags & IFF_LOOPBACK


def _link_local_source(pctx: ProviderContext, iface: str) -> Source:
    return lambda stop: link_local_get(pctx, iface)


def link_local_get(pctx: ProviderContext, iface: str) -> bytes | None:
    """The user data from fe80::a9fe:a9fe on `iface`. The zone goes to the socket, never
    through a URL: the transport would send "%25iface" to getaddrinfo, which fails."""
    port = int(os.environ.get(LINK_LOCAL_PORT_ENV, "80"))
    url = f"http://[{LINK_LOCAL}%25{iface}]{'' if port == 80 else f':{port}'}{PATH}"

    def connect(deadline: Deadline) -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection(f"{LINK_LOCAL}%{iface}", port, timeout=deadline.cap(10.0))
        conn.connect()
        return conn

    return direct_get(pctx, url, {}, connect)


def fetch(pctx: ProviderContext, platform: str = "openstack") -> bytes | None:
    url = endpoint(platform, ENDPOINT) + PATH
    require_network(pctx, url)
    drives: list[Source] = [
        lambda stop: from_label("config-2", PATH, platform, None, stop),
        lambda stop: from_label("CONFIG-2", PATH, platform, None, stop),
    ]
    services: list[Source] = [lambda stop: http_get(pctx, url)]
    # Tests that replace the service on 127.0.0.1 must not reach a link-local one, unless
    # they put a stand-in there (in a network namespace of their own).
    if f"{distro.ENDPOINT_ENV_PREFIX}{platform.upper()}" not in os.environ or LINK_LOCAL_PORT_ENV in os.environ:
        services += [_link_local_source(pctx, iface) for iface in ipv6_interfaces()]
    try:
        return race(platform, drives, network=services)
    except IgniteError as exc:
        log.info("%s: couldn't fetch config (%s): continuing without one", platform, exc)
        return None
