"""DigitalOcean: user data from the metadata service; empty is no config, 404 an error (as upstream)."""
from __future__ import annotations

from ignite.providers import ProviderContext
from ignite.providers.common import endpoint, http_get

ENDPOINT = "http://169.254.169.254"


def fetch(pctx: ProviderContext) -> bytes | None:
    return http_get(pctx, endpoint("digitalocean", ENDPOINT) + "/metadata/v1/user-data", empty_on_404=False)
