"""AWS Signature Version 4 for a bodiless S3 request.

A signer of ~40 lines rather than boto3: boto3/botocore are not runtime dependencies,
weigh tens of MB in an initramfs and take hundreds of ms to import, and ignite needs
exactly one operation (GET/HEAD an object). The tests check this signer against
botocore's for the same request and clock."""
from __future__ import annotations

import datetime
import hashlib
import hmac
from urllib.parse import parse_qsl, quote, unquote, urlsplit

EMPTY_PAYLOAD = hashlib.sha256(b"").hexdigest()  # a GET or HEAD has no body


def sign(
    method: str,
    url: str,
    region: str,
    access_key: str,
    secret_key: str,
    session_token: str | None = None,
    *,
    service: str = "s3",
    now: datetime.datetime | None = None,
) -> dict[str, str]:
    """The headers to add to the request (Authorization, x-amz-date, …)."""
    now = now or datetime.datetime.now(datetime.UTC)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    headers = {"host": host, "x-amz-content-sha256": EMPTY_PAYLOAD, "x-amz-date": amz_date}
    if session_token:
        headers["x-amz-security-token"] = session_token
    signed = ";".join(sorted(headers))
    canonical = "\n".join(
        [
            method,
            quote(unquote(parts.path or "/"), safe="/~"),
            _canonical_query(parts.query),
            "".join(f"{k}:{headers[k].strip()}\n" for k in sorted(headers)),
            signed,
            EMPTY_PAYLOAD,
        ]
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = f"AWS4{secret_key}".encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    del headers["host"]  # the transport sets it from the URL
    headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={signed}, Signature={signature}"
    )
    return headers


def _canonical_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in sorted(pairs))
