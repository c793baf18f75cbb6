"""Azure Stack Hub: the provisioning media only (UDF, then ISO 9660); works offline."""
from __future__ import annotations

from ignite.providers import ProviderContext
from ignite.providers.azure import from_media


def fetch(pctx: ProviderContext) -> bytes | None:
    return from_media("azurestack", ("udf", "iso9660"))
