"""IBM Cloud (VPC): the cidata config drive's /user-data; no drive within 30 s or no file is no config."""
from __future__ import annotations

from ignite.providers import ProviderContext
from ignite.providers.configdrive import from_label

LABEL = "cidata"
PATH = "/user-data"
WAIT = 30.0  # seconds for the label to appear; None waits as long as upstream does: forever


def fetch(pctx: ProviderContext) -> bytes | None:
    return from_label(LABEL, PATH, "ibmcloud", WAIT)
