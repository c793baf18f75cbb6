"""AWS EC2: user data from IMDS (IMDSv2 token, IMDSv1 when the token PUT is 404).

init() runs in every fetch stage: it gets the token, the instance's region (the S3
region hint) and the instance role's credentials for s3:// and arn: resources."""
from __future__ import annotations

import dataclasses
import json
import logging

from ignite.errors import FetchError
from ignite.providers import ProviderContext
from ignite.providers.common import endpoint, http_get, require_network

log = logging.getLogger("ignite.providers")
ENDPOINT = "http://169.254.169.254"
TOKEN_TTL = "21600"
REGION_TIMEOUT = 15.0
DEFAULT_REGION = "us-east-1"


def _token(pctx: ProviderContext) -> str | None:
    """The IMDSv2 session token, or None where only IMDSv1 answers (404 on the PUT)."""
    body = http_get(
        pctx, endpoint("aws", ENDPOINT) + "/latest/api/token",
        {"x-aws-ec2-metadata-token-ttl-seconds": TOKEN_TTL}, method="PUT",
    )
    return body.decode().strip() if body else None


def _headers(token: str | None) -> dict[str, str]:
    return {"X-aws-ec2-metadata-token": token} if token else {}


def fetch(pctx: ProviderContext) -> bytes | None:
    token = _token(pctx)
    return http_get(pctx, endpoint("aws", ENDPOINT) + "/2019-10-01/user-data", _headers(token))


def init(pctx: ProviderContext):  # type: ignore[no-untyped-def]
    """FetchSettings with the S3 region hint and the instance role's credentials."""
    base = endpoint("aws", ENDPOINT)
    require_network(pctx, base)
    token = _token(pctx)
    settings = pctx.settings
    region_ctx = dataclasses.replace(pctx, settings=dataclasses.replace(settings, http_total=REGION_TIMEOUT))
    try:
        region = (http_get(region_ctx, base + "/latest/meta-data/placement/region", _headers(token)) or b"").decode()
    except FetchError as exc:
        log.warning("aws: cannot get the region (%s); using %s", exc, DEFAULT_REGION)
        region = ""
    credentials = _role_credentials(pctx, base, token)
    return dataclasses.replace(settings, aws_region=region.strip() or DEFAULT_REGION, aws_credentials=credentials)


def _role_credentials(pctx: ProviderContext, base: str, token: str | None) -> tuple[str, str, str | None] | None:
    """The instance profile's temporary credentials; None (anonymous S3) without a role."""
    roles_url = base + "/latest/meta-data/iam/security-credentials/"
    try:
        roles = (http_get(pctx, roles_url, _headers(token)) or b"").decode().split()
        if not roles:
            return None
        raw = http_get(pctx, roles_url + roles[0], _headers(token)) or b"{}"
        data = json.loads(raw)
        return data["AccessKeyId"], data["SecretAccessKey"], data.get("Token")
    except (FetchError, ValueError, KeyError) as exc:
        log.warning("aws: no instance role credentials (%s); S3 fetches are anonymous", exc)
        return None
