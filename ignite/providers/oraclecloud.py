"""Oracle Cloud: base64 user data from IMDS v2 (Authorization: Bearer Oracle; 429 retried)."""
from __future__ import annotations

from ignite.providers import ProviderContext
from ignite.providers.common import decode_base64, endpoint, http_get

ENDPOINT = "http://169.254.169.254"


def fetch(pctx: ProviderContext) -> bytes | None:
    url = endpoint("oraclecloud", ENDPOINT) + "/opc/v2/instance/metadata/user_data"
    body = http_get(pctx, url, {"Authorization": "Bearer Oracle"}, retry_statuses=frozenset({429}))
    return decode_base64(body, "oraclecloud") if body else None
