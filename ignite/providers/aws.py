"""AWS EC2: user data from IMDS (IMDSv2 token, IMDSv1 when the token PUT is 404).

credentials(): the instance's region (the S3 region hint) and the instance role's
credentials for s3:// and arn: resources, looked up when a resource first needs them."""
from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from ignite.config.record import replace
from ignite.errors import FetchError
from ignite.providers import ProviderContext
from ignite.providers.common import endpoint, http_get
from ignite.resource.credentials import AWS, AWS_REGION, Loader, credential_error

if TYPE_CHECKING:
    from ignite.resource import FetchSettings

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


def credentials() -> dict[str, Loader]:
    """Looked up when an s3:// or arn: resource first needs them, in whichever stage."""
    return {AWS: _role_credentials, AWS_REGION: _region}


def _region(settings: FetchSettings) -> str:
    """The instance's region (the S3 partition hint); us-east-1 if IMDS will not say, as upstream."""
    pctx = ProviderContext("aws", replace(settings, http_total=REGION_TIMEOUT))
    try:
        token = _token(pctx)
        region = (
            http_get(pctx, endpoint("aws", ENDPOINT) + "/latest/meta-data/placement/region", _headers(token)) or b""
        )
    except FetchError as exc:
        log.warning("aws: cannot get the region (%s); using %s", exc, DEFAULT_REGION)
        return DEFAULT_REGION
    return region.decode(errors="replace").strip() or DEFAULT_REGION


def _role_credentials(settings: FetchSettings) -> tuple[str, str, str | None] | None:
    """The instance role's temporary credentials; None (anonymous S3, as upstream) when
    the instance has no role. Any other failure is an error naming them."""
    pctx = ProviderContext("aws", settings)
    roles_url = endpoint("aws", ENDPOINT) + "/latest/meta-data/iam/security-credentials/"
    try:
        token = _token(pctx)
        roles = (http_get(pctx, roles_url, _headers(token)) or b"").decode(errors="replace").split()
        if not roles:
            log.info("aws: the instance has no role: S3 fetches are anonymous")
            return None
        raw = http_get(pctx, roles_url + roles[0], _headers(token), empty_on_404=False) or b""
        data = json.loads(raw)
        return str(data["AccessKeyId"]), str(data["SecretAccessKey"]), data.get("Token")
    except FetchError as exc:
        raise credential_error("the AWS instance-role credentials from IMDS", roles_url, exc) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise FetchError(
            roles_url,
            "credentials",
            f"cannot get the AWS instance-role credentials from IMDS: malformed answer ({exc})",
        ) from None
