"""CloudStack: config drives config-2 / CONFIG-2 (/cloudstack/userdata/user_data.txt)
raced with the metadata service on the DHCP server (SERVER_ADDRESS of a systemd-networkd
lease). A missing file or 404 is no config; every source failing is no config too."""
from __future__ import annotations

import logging
import os
import socket
import threading
from pathlib import Path

from ignite import distro
from ignite.errors import IgniteError, ProviderError
from ignite.providers import ProviderContext
from ignite.providers.common import http_get, require_network
from ignite.providers.configdrive import from_label, race

log = logging.getLogger("ignite.providers")
LEASES_ENV = distro.NETIF_LEASES_ENV
LEASES = distro.NETIF_LEASES
DRIVE_PATH = "/cloudstack/userdata/user_data.txt"
ENDPOINT_ENV = distro.ENDPOINT_ENV_PREFIX + "CLOUDSTACK"  # replaces http://<DHCP server>


def interface_indexes() -> list[int]:
    return sorted(index for index, _ in socket.if_nameindex())


def dhcp_server(stop: threading.Event) -> str | None:
    """SERVER_ADDRESS of the first interface, in interface order, that has a lease, as
    upstream (a sorted glob would put lease 10 before lease 2)."""
    leases = Path(os.environ.get(LEASES_ENV, LEASES))
    while not stop.is_set():
        for index in interface_indexes():
            try:
                text = (leases / str(index)).read_text()
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise ProviderError("cloudstack", f"cannot read the DHCP lease {leases / str(index)}: {exc}") from None
            for line in text.splitlines():
                key, _, value = line.partition("=")
                if key == "SERVER_ADDRESS" and value.strip():
                    return value.strip()
            raise ProviderError("cloudstack", f"no DHCP server address in the lease {leases / str(index)}")
        stop.wait(0.5)
    return None


def _metadata(pctx: ProviderContext, stop: threading.Event) -> bytes | None:
    base = os.environ.get(ENDPOINT_ENV)
    if not base:
        server = dhcp_server(stop)
        if server is None:
            return None
        base = f"http://{server}"
    return http_get(pctx, base.rstrip("/") + "/latest/user-data")


def fetch(pctx: ProviderContext) -> bytes | None:
    require_network(pctx, "cloudstack metadata service")
    try:
        return race("cloudstack", [
            lambda stop: from_label("config-2", DRIVE_PATH, "cloudstack", None, stop),
            lambda stop: from_label("CONFIG-2", DRIVE_PATH, "cloudstack", None, stop),
        ], network=[lambda stop: _metadata(pctx, stop)])
    except IgniteError as exc:
        log.warning("cloudstack: every source failed (%s); continuing without a config", exc)
        return None
