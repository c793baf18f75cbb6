"""Alibaba Cloud: user data from the metadata service; 404 or empty is no config."""
from __future__ import annotations

from ignite.providers import ProviderContext
from ignite.providers.common import endpoint, http_get

ENDPOINT = "http://100.100.100.200"


def fetch(pctx: ProviderContext) -> bytes | None:
    return http_get(pctx, endpoint("aliyun", ENDPOINT) + "/latest/user-data", empty_on_404=True)
