"""Bare metal: no platform channel. The config comes from the kernel command line
(ignition.config.url, or device + path) or a system user.ign, else it is empty."""
from __future__ import annotations

from ignite.providers import ProviderContext


def fetch(pctx: ProviderContext) -> bytes | None:
    return None
