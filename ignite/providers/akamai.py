"""Akamai (Linode): a metadata token first, then base64 (maybe gzipped) user data.
Empty is no config; 404 is an error (as upstream)."""
from __future__ import annotations

from ignite.errors import ProviderError
from ignite.providers import ProviderContext
from ignite.providers.common import decode_base64, endpoint, gunzip_if_gzip, http_get

ENDPOINT = "http://169.254.169.254"


def fetch(pctx: ProviderContext) -> bytes | None:
    base = endpoint("akamai", ENDPOINT)
    token = http_get(
        pctx, base + "/v1/token", {"Accept": "text/plain", "Metadata-Token-Expiry-Seconds": "300"},
        method="PUT", empty_on_404=False,
    )
    token_text = (token or b"").decode(errors="replace").strip()
    if not token_text:
        raise ProviderError("akamai", "the metadata service returned an empty token")
    body = http_get(pctx, base + "/v1/user-data", {"Metadata-Token": token_text, "Accept": "*/*"}, empty_on_404=False)
    if not body:
        return None
    return gunzip_if_gzip(decode_base64(body, "akamai"), "akamai")
