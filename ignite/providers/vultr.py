"""Vultr: user data from the metadata service; 404 or empty is no config."""
from __future__ import annotations

from ignite.providers import ProviderContext
from ignite.providers.common import endpoint, http_get

ENDPOINT = "http://169.254.169.254"


def fetch(pctx: ProviderContext) -> bytes | None:
    return http_get(pctx, endpoint("vultr", ENDPOINT) + "/user-data/user-data", empty_on_404=True)
