"""Brightbox: as OpenStack."""
from __future__ import annotations

from ignite.providers import ProviderContext, openstack


def fetch(pctx: ProviderContext) -> bytes | None:
    return openstack.fetch(pctx, "brightbox")
