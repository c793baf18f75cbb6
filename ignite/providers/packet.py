"""Equinix Metal (packet): user data over HTTPS; after each stage, the phone-home event.
Empty is no config; 404 is an error (as upstream)."""
from __future__ import annotations

import json
import logging

from ignite.errors import IgniteError
from ignite.providers import ProviderContext
from ignite.providers.common import endpoint, http_get

log = logging.getLogger("ignite.providers")
ENDPOINT = "https://metadata.packet.net"


def fetch(pctx: ProviderContext) -> bytes | None:
    return http_get(pctx, endpoint("packet", ENDPOINT) + "/userdata", {"Accept": "*/*"}, empty_on_404=False)


def status(pctx: ProviderContext, stage: str, error: BaseException | None) -> None:
    """POST the stage's outcome to the phone-home URL; failures are only logged, as upstream."""
    try:
        meta = json.loads(http_get(pctx, endpoint("packet", ENDPOINT) + "/metadata", empty_on_404=False) or b"{}")
        url = str(meta.get("phone_home_url") or "")
        if not url:
            raise IgniteError("no phone_home_url in the metadata")
        if url.endswith("/phone-home"):
            url = url[: -len("/phone-home")]
        if error is None:
            event = {"state": "running", "message": f"[{stage}] Ignition status: finished successfully"}
        else:
            event = {"state": "failed", "message": f"[{stage}] Ignition error: {error}"}
        _post_json(pctx, url.rstrip("/") + "/events", event)
    except (IgniteError, ValueError) as exc:
        log.warning("packet: could not report the %s status: %s", stage, exc)


def _post_json(pctx: ProviderContext, url: str, body: dict[str, str]) -> None:
    http_get(
        pctx, url, {"Content-Type": "application/json"}, method="POST", data=json.dumps(body).encode(),
        empty_on_404=False, ok_statuses=frozenset(range(200, 300)),
    )
