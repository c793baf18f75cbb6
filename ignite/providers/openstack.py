"""OpenStack: the config-2 / CONFIG-2 drives raced with the metadata service (which
needs the network, so fetch-offline asks for it up front, as upstream). A missing
file or a 404 is no config."""
from __future__ import annotations

from ignite.providers import ProviderContext
from ignite.providers.common import endpoint, http_get, require_network
from ignite.providers.configdrive import from_label, race

ENDPOINT = "http://169.254.169.254"
DRIVE_PATH = "/openstack/latest/user_data"


def fetch(pctx: ProviderContext, platform: str = "openstack") -> bytes | None:
    url = endpoint(platform, ENDPOINT) + "/openstack/latest/user_data"
    require_network(pctx, url)
    return race(platform, [
        lambda stop: from_label("config-2", DRIVE_PATH, platform, None, stop),
        lambda stop: from_label("CONFIG-2", DRIVE_PATH, platform, None, stop),
        lambda stop: http_get(pctx, url),
    ])
