"""s3://bucket/key[?versionId=v] and arn:PARTITION:s3:… objects: one signed (or
anonymous) GET, through the same HTTP client, retries and deadline as http(s)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from ignite import distro
from ignite.errors import FetchError
from ignite.resource.retry import Deadline

if TYPE_CHECKING:
    from ignite.config.model import Resource
    from ignite.resource import FetchSettings

# Where a bucket's region is asked, per partition, as upstream's hints.
PARTITION_REGIONS = {"aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}
ENDPOINT_ENV = distro.S3_ENDPOINT_ENV  # tests: an S3 API on 127.0.0.1, path-style


@dataclass(frozen=True)
class S3Object:
    bucket: str  # for an access point: "<name>-<account>"
    key: str
    version_id: str | None = None
    partition: str = "aws"
    region: str | None = None  # known from an access point ARN
    access_point: bool = False


def parse(url: str) -> S3Object:
    if url.lower().startswith("arn:"):
        return _parse_arn(url)
    parts = urlsplit(url)
    if not parts.netloc or not parts.path.lstrip("/"):
        raise FetchError(url, "scheme", "an s3 URL is s3://bucket/key")
    return S3Object(parts.netloc, parts.path.lstrip("/"), _version(url, parts.query))


def _parse_arn(url: str) -> S3Object:
    resource_part, _, query = url.partition("?")
    fields = resource_part.split(":", 5)
    if len(fields) != 6 or fields[2] != "s3":
        raise FetchError(url, "scheme", "invalid S3 ARN format")
    _, partition, _, region, account, resource = fields
    version = _version(url, query)
    if resource.startswith("accesspoint/"):
        name, sep, key = resource[len("accesspoint/"):].partition("/object/")
        if not (sep and name and key and region and account):
            raise FetchError(url, "scheme", "invalid S3 ARN format")
        return S3Object(f"{name}-{account}", key, version, partition, region, access_point=True)
    bucket, slash, key = resource.partition("/")
    if region or account or not slash or not bucket or not key:
        raise FetchError(url, "scheme", "invalid S3 ARN format")
    return S3Object(bucket, key, version, partition)


def _version(url: str, query: str) -> str | None:
    values = parse_qs(query, keep_blank_values=True).get("versionId")
    if values is None:
        return None
    if not values[0]:
        raise FetchError(url, "scheme", "invalid S3 object VersionId")
    return values[0]


def object_url(obj: S3Object, region: str, endpoint: str | None) -> str:
    key = quote(obj.key, safe="/~")
    query = f"?{urlencode({'versionId': obj.version_id})}" if obj.version_id else ""
    if endpoint:
        return f"{endpoint.rstrip('/')}/{obj.bucket}/{key}{query}"
    suffix = "amazonaws.com.cn" if obj.partition == "aws-cn" else "amazonaws.com"
    if obj.access_point:
        return f"https://{obj.bucket}.s3-accesspoint.{region}.{suffix}/{key}{query}"
    if "." in obj.bucket:  # virtual-host style would break the TLS name
        return f"https://s3.{region}.{suffix}/{obj.bucket}/{key}{query}"
    return f"https://{obj.bucket}.s3.{region}.{suffix}/{key}{query}"


def stream(url: str, resource: Resource, settings: FetchSettings) -> Iterator[bytes]:
    from ignite.resource.http import Client

    obj = parse(url)
    endpoint = settings.s3_endpoint or distro.env(ENDPOINT_ENV) or None
    deadline = Deadline(settings.http_total)
    from ignite.resource import credentials

    with Client(settings) as client:
        try:
            # The instance's region is only the hint that says which partition to ask.
            region = obj.region or _bucket_region(client, obj, endpoint, deadline, credentials.aws_region(settings))
            target = object_url(obj, region, endpoint)
            headers = _auth_headers("GET", target, region, credentials.aws_credentials(settings))
        except FetchError as exc:
            raise FetchError(url, exc.kind, exc.detail) from None
        try:
            response = client.get(target, headers, deadline)
        except FetchError as exc:
            raise FetchError(url, exc.kind, f"{exc.detail} (S3 {target.split('?')[0]})") from None
        yield from client.body(response, url, deadline)


def _bucket_region(client, obj: S3Object, endpoint: str | None, deadline: Deadline, instance_region: str | None) -> str:  # type: ignore[no-untyped-def]
    """GetBucketRegion: a HEAD on the bucket answers x-amz-bucket-region (even with 301/403).
    An ARN's partition gives the region to ask; else the instance's region, else us-east-1."""
    if obj.partition in PARTITION_REGIONS and obj.partition != "aws":
        hint = PARTITION_REGIONS[obj.partition]
    else:
        hint = instance_region or PARTITION_REGIONS["aws"]
    if endpoint:
        url = f"{endpoint.rstrip('/')}/{obj.bucket}"
    else:
        suffix = "amazonaws.com.cn" if obj.partition == "aws-cn" else "amazonaws.com"
        url = f"https://s3.{hint}.{suffix}/{obj.bucket}"
    try:
        response = client.get(
            url, {}, deadline, method="HEAD", ok_statuses=frozenset({200, 301, 307, 400, 403}), max_attempts=3
        )
    except FetchError:
        return hint
    response.close()
    return response.headers.get("x-amz-bucket-region") or hint


def _auth_headers(method: str, url: str, region: str, creds: tuple[str, str, str | None] | None) -> dict[str, str]:
    if creds is None:
        return {}  # anonymous, as upstream off AWS or without an instance role
    from ignite.resource.sigv4 import sign

    key_id, secret, token = creds
    return sign(method, url, region, key_id, secret, token)
