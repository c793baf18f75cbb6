"""Google Cloud: the user-data attribute of the instance (404 or empty is no config).

init() gets the default service account's OAuth token for gs:// resources, as upstream
does on GCE; without one (or offline), gs:// fetches are anonymous."""
from __future__ import annotations

import dataclasses
import json
import logging

from ignite.errors import FetchError
from ignite.providers import ProviderContext
from ignite.providers.common import endpoint, http_get

log = logging.getLogger("ignite.providers")
ENDPOINT = "http://169.254.169.254"
HEADERS = {"Metadata-Flavor": "Google"}
TOKEN_TIMEOUT = 10.0


def fetch(pctx: ProviderContext) -> bytes | None:
    return http_get(pctx, endpoint("gcp", ENDPOINT) + "/computeMetadata/v1/instance/attributes/user-data", HEADERS)


def init(pctx: ProviderContext):  # type: ignore[no-untyped-def]
    settings = pctx.settings
    if pctx.offline:
        return settings  # the token only matters for gs://, which needs the network anyway
    url = endpoint("gcp", ENDPOINT) + "/computeMetadata/v1/instance/service-accounts/default/token"
    short = dataclasses.replace(pctx, settings=dataclasses.replace(settings, http_total=TOKEN_TIMEOUT))
    try:
        token = json.loads(http_get(short, url, HEADERS) or b"{}").get("access_token")
    except (FetchError, ValueError, AttributeError) as exc:
        log.info("gcp: no service account token (%s): gs:// fetches are anonymous", exc)
        return settings
    return dataclasses.replace(settings, gs_token=token or None)
