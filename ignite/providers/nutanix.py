"""Nutanix AHV: the config-2 config drive; a missing file is no config."""
from __future__ import annotations

from ignite.providers import ProviderContext
from ignite.providers.configdrive import from_label

LABEL = "config-2"
PATH = "/openstack/latest/user_data"
WAIT = None  # seconds for the label to appear; None waits as long as upstream does: forever


def fetch(pctx: ProviderContext) -> bytes | None:
    return from_label(LABEL, PATH, "nutanix", WAIT)
