"""Google Cloud: the user-data attribute of the instance (404 or empty is no config).

credentials(): the default service account's OAuth token for gs:// resources, fetched
when one first needs it; without a service account, gs:// fetches are anonymous."""
from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from ignite.errors import FetchError
from ignite.providers import ProviderContext
from ignite.providers.common import endpoint, http_get
from ignite.resource.credentials import GS, Loader, credential_error

if TYPE_CHECKING:
    from ignite.resource import FetchSettings

log = logging.getLogger("ignite.providers")
ENDPOINT = "http://169.254.169.254"
HEADERS = {"Metadata-Flavor": "Google"}


def fetch(pctx: ProviderContext) -> bytes | None:
    return http_get(pctx, endpoint("gcp", ENDPOINT) + "/computeMetadata/v1/instance/attributes/user-data", HEADERS)


def credentials() -> dict[str, Loader]:
    return {GS: gs_token}


def gs_token(settings: FetchSettings) -> str | None:
    """The default service account's token, as upstream: no service account (its scopes
    are 404) means anonymous; a failure to get the token is an error naming it."""
    pctx = ProviderContext("gcp", settings)
    base = endpoint("gcp", ENDPOINT) + "/computeMetadata/v1/instance/service-accounts/default"
    try:
        if http_get(pctx, base + "/scopes", HEADERS) is None:
            log.info("gcp: no service account: gs:// fetches are anonymous")
            return None
        body = http_get(pctx, base + "/token", HEADERS, empty_on_404=False) or b""
    except FetchError as exc:
        raise credential_error("the GCS token from the GCE metadata service", base + "/token", exc) from None
    try:
        token = json.loads(body)["access_token"]
    except (ValueError, KeyError, TypeError) as exc:
        raise FetchError(
            base + "/token",
            "credentials",
            f"cannot get the GCS token from the GCE metadata service: malformed answer ({exc})",
        ) from None
    return str(token)

