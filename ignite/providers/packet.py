"""Equinix Metal (packet): user data over HTTPS; after each stage, the phone-home event.
Empty is no config; 404 is an error (as upstream)."""
from __future__ import annotations

import json
import logging

from ignite.errors import IgniteError
from ignite.providers import ProviderContext
from ignite.providers.common import endpoint, http_get, require_network

log = logging.getLogger("ignite.providers")
ENDPOINT = "https://metadata.packet.net"


# The service answers "Not Acceptable" to Ignition's default Accept header.
ACCEPT = {"Accept": "*/*"}


def fetch(pctx: ProviderContext) -> bytes | None:
    return http_get(pctx, endpoint("packet", ENDPOINT) + "/userdata", ACCEPT, empty_on_404=False)


def status(pctx: ProviderContext, stage: str, error: BaseException | None) -> None:
    """POST the stage's outcome to the phone-home URL; failures are only logged, as upstream."""
    try:
        meta = json.loads(
            http_get(pctx, endpoint("packet", ENDPOINT) + "/metadata", ACCEPT, empty_on_404=False) or b"{}"
        )
        url = str(meta.get("phone_home_url") or "")
        if not url:
            raise IgniteError("no phone_home_url in the metadata")
        if url.endswith("/phone-home"):
            url = url[: -len("/phone-home")]
        if error is None:
            event = {"state": "running", "message": f"[{stage}] Ignition status: finished successfully"}
        else:
            event = {"state": "failed", "message": f"[{stage}] Ignition error: {error}"}
        _post_once(pctx, url.rstrip("/") + "/events", event)
    except (IgniteError, ValueError) as exc:
        log.warning("packet: could not report the %s status: %s", stage, exc)


def _post_once(pctx: ProviderContext, url: str, body: dict[str, str]) -> None:
    """One POST, never retried (a retried event would show twice on the timeline), with
    an Accept the service takes; its answer is not an error, as upstream."""
    from ignite.resource.http import Client, default_headers
    from ignite.resource.retry import Deadline

    require_network(pctx, url)
    headers = {**default_headers(), **ACCEPT, "Content-Type": "application/json"}
    with Client(pctx.settings) as client:
        response = client.get(
            url, headers, Deadline(pctx.settings.http_total), method="POST", data=json.dumps(body).encode(),
            ok_statuses=frozenset(range(100, 600)), max_attempts=1,
        )
        response.close()
    if response.status_code >= 300:
        log.warning("packet: the phone-home service answered %s to the event", response.status_code)
