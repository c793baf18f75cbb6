"""KubeVirt: the cidata (/user-data) and config-2 (/openstack/latest/user_data) drives,
raced; a missing file is no config."""
from __future__ import annotations

from ignite.providers import ProviderContext
from ignite.providers.configdrive import from_label, race


def fetch(pctx: ProviderContext) -> bytes | None:
    return race("kubevirt", [
        lambda stop: from_label("cidata", "/user-data", "kubevirt", None, stop),
        lambda stop: from_label("config-2", "/openstack/latest/user_data", "kubevirt", None, stop),
    ])
