"""KubeVirt: the cidata (/user-data) and config-2 (/openstack/latest/user_data) drives,
raced (each waited for without end); a missing file is no config, and so is every drive
failing (a mount error is logged), as upstream."""
from __future__ import annotations

import logging

from ignite.errors import IgniteError
from ignite.providers import ProviderContext
from ignite.providers.configdrive import from_label, race

log = logging.getLogger("ignite.providers")


def fetch(pctx: ProviderContext) -> bytes | None:
    try:
        return race("kubevirt", [
            lambda stop: from_label("cidata", "/user-data", "kubevirt", None, stop),
            lambda stop: from_label("config-2", "/openstack/latest/user_data", "kubevirt", None, stop),
        ])
    except IgniteError as exc:
        log.error("kubevirt: no config drive could be read (%s); continuing without a config", exc)
        return None
