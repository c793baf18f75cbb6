"""Proxmox VE: the cidata drive's /user-data, else /vendor-data; cloud-config, empty or
unreadable files are skipped. No drive within 30 s, a drive that cannot be mounted, or
nothing usable is no config (failures are logged), as upstream."""
from __future__ import annotations

import logging

from ignite.errors import IgniteError
from ignite.providers import ProviderContext
from ignite.providers.configdrive import read_files, wait_for_label

log = logging.getLogger("ignite.providers")
LABEL = "cidata"
WAIT = 30.0
CLOUD_CONFIG = b"#cloud-config\n"


def fetch(pctx: ProviderContext) -> bytes | None:
    device = wait_for_label(LABEL, WAIT)
    if device is None:
        log.info("proxmoxve: no cidata drive within %g s; continuing without a config", WAIT)
        return None
    try:
        found = read_files(device, ("/user-data", "/vendor-data"), "proxmoxve")
    except IgniteError as exc:
        log.error("proxmoxve: cannot read the cidata drive (%s); continuing without a config", exc)
        return None
    for path, data in found:
        if isinstance(data, OSError):
            log.info("proxmoxve: cannot read %s (%s); skipped", path, data)
        elif data and not data.startswith(CLOUD_CONFIG):
            return data
    return None
