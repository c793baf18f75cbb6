"""Proxmox VE: the cidata drive's /user-data, else /vendor-data; cloud-config or empty
files are skipped; no drive within 30 s or nothing usable is no config."""
from __future__ import annotations

from ignite.providers import ProviderContext
from ignite.providers.configdrive import read_file, wait_for_label

LABEL = "cidata"
WAIT = 30.0


def fetch(pctx: ProviderContext) -> bytes | None:
    device = wait_for_label(LABEL, WAIT)
    if device is None:
        return None
    for path in ("/user-data", "/vendor-data"):
        data = read_file(device, path, "proxmoxve")
        if data and not data.startswith(b"#cloud-config\n"):
            return data
    return None
