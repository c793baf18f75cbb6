"""IBM Cloud (VPC): the cidata config drive's /user-data. No drive within 30 s, no file,
or a drive that cannot be mounted is no config (the failure is logged), as upstream."""
from __future__ import annotations

import logging

from ignite.errors import IgniteError
from ignite.providers import ProviderContext
from ignite.providers.configdrive import from_label

log = logging.getLogger("ignite.providers")
LABEL = "cidata"
PATH = "/user-data"
WAIT = 30.0  # seconds for the label to appear


def fetch(pctx: ProviderContext) -> bytes | None:
    try:
        return from_label(LABEL, PATH, "ibmcloud", WAIT)
    except IgniteError as exc:
        log.error("ibmcloud: cannot read the cidata drive (%s); continuing without a config", exc)
        return None
