"""s3:// and arn: against moto's S3 server on 127.0.0.1, gs:// against a local stand-in
for the Cloud Storage JSON API, oem:// against a local OEM tree."""
from __future__ import annotations

import datetime
import hashlib

import pytest

from ignite.config.model import Resource, Verification
from ignite.errors import FetchError
from ignite.resource import FetchSettings, fetch_bytes
from ignite.resource import s3 as s3mod
from ignite.resource.sigv4 import sign

from .conftest import Reply, Server

CREDS = ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None)


@pytest.fixture(scope="module")
def bucket(moto_s3: str) -> str:
    boto3 = pytest.importorskip("boto3")
    client = boto3.client(
        "s3", endpoint_url=moto_s3, region_name="eu-west-1",
        aws_access_key_id=CREDS[0], aws_secret_access_key=CREDS[1],
    )
    client.create_bucket(Bucket="configs", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    client.put_object(
        Bucket="configs", Key="nodes/a b.ign", Body=b'{"ignition":{"version":"3.4.0"}}', ACL="public-read"
    )
    client.put_bucket_versioning(Bucket="configs", VersioningConfiguration={"Status": "Enabled"})
    first = client.put_object(Bucket="configs", Key="v.ign", Body=b"one")["VersionId"]
    client.put_object(Bucket="configs", Key="v.ign", Body=b"two")
    return first


def settings(endpoint: str, **kw) -> FetchSettings:
    return FetchSettings(s3_endpoint=endpoint, http_total=10, retry_initial=0.02, **kw)


def test_s3_signed_get_with_region_discovery(moto_s3: str, bucket: str) -> None:
    data = fetch_bytes(Resource(source="s3://configs/nodes/a b.ign"), settings(moto_s3, aws_credentials=CREDS))
    assert data == b'{"ignition":{"version":"3.4.0"}}'


def test_s3_anonymous_get(moto_s3: str, bucket: str) -> None:
    assert fetch_bytes(Resource(source="s3://configs/nodes/a b.ign"), settings(moto_s3)).startswith(b'{"ignition"')
    with pytest.raises(FetchError, match="HTTP 403"):
        fetch_bytes(Resource(source="s3://configs/v.ign"), settings(moto_s3))


def test_s3_version_id(moto_s3: str, bucket: str) -> None:
    got = fetch_bytes(
        Resource(source=f"s3://configs/v.ign?versionId={bucket}"), settings(moto_s3, aws_credentials=CREDS)
    )
    assert got == b"one"
    assert fetch_bytes(Resource(source="s3://configs/v.ign"), settings(moto_s3, aws_credentials=CREDS)) == b"two"


def test_s3_bucket_arn(moto_s3: str, bucket: str) -> None:
    digest = "sha256-" + hashlib.sha256(b"two").hexdigest()
    res = Resource(source="arn:aws:s3:::configs/v.ign", verification=Verification(digest))
    assert fetch_bytes(res, settings(moto_s3, aws_credentials=CREDS)) == b"two"


def test_s3_missing_key_is_not_found(moto_s3: str, bucket: str) -> None:
    with pytest.raises(FetchError) as err:
        fetch_bytes(Resource(source="s3://configs/none.ign"), settings(moto_s3, aws_credentials=CREDS))
    assert err.value.kind == "notfound"


@pytest.mark.parametrize(
    "url, message",
    [
        ("arn:aws:s3:::bucketonly", "invalid S3 ARN format"),
        ("arn:aws:iam::123:user/x", "invalid S3 ARN format"),
        ("s3://b/k?versionId=", "invalid S3 object VersionId"),
    ],
)
def test_bad_s3_urls(url: str, message: str) -> None:
    with pytest.raises(FetchError, match=message):
        s3mod.parse(url)


def test_access_point_arn_url() -> None:
    obj = s3mod.parse("arn:aws:s3:us-west-2:123456789012:accesspoint/ap1/object/dir/c.ign")
    assert s3mod.object_url(obj, obj.region or "", None) == (
        "https://ap1-123456789012.s3-accesspoint.us-west-2.amazonaws.com/dir/c.ign"
    )
    cn = s3mod.parse("arn:aws-cn:s3:::b/k")
    assert s3mod.object_url(cn, "cn-north-1", None) == "https://b.s3.cn-north-1.amazonaws.com.cn/k"


def test_sigv4_matches_botocore(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("botocore")
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = "https://examplebucket.s3.eu-west-1.amazonaws.com/dir/a%20b~c.ign?versionId=x%2By"
    when = datetime.datetime(2026, 11, 22, 7, 30, 0, tzinfo=datetime.UTC)
    ours = sign("GET", url, "eu-west-1", "AKID", "SECRET", "TOKEN", now=when)
    request = AWSRequest(method="GET", url=url, )
    auth = S3SigV4Auth(Credentials("AKID", "SECRET", "TOKEN"), "s3", "eu-west-1")
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: when.replace(tzinfo=None))
    auth.add_auth(request)
    assert ours["Authorization"] == request.headers["Authorization"]


def test_gs_object_through_the_json_api(http_server: Server) -> None:
    http_server.route("/storage/v1/b/bkt/o/dir%2Fc.ign", Reply(200, b"gs-config"))
    s = FetchSettings(gs_endpoint=http_server.url(""), gs_token="tok", http_total=5)
    assert fetch_bytes(Resource(source="gs://bkt/dir/c.ign"), s) == b"gs-config"
    seen = http_server.seen[0]
    assert seen.path == "/storage/v1/b/bkt/o/dir%2Fc.ign?alt=media"
    assert seen.headers["Authorization"] == "Bearer tok"


def test_oem_reads_the_oem_tree_and_never_leaves_it(tmp_path) -> None:
    (tmp_path / "oem").mkdir()
    (tmp_path / "oem" / "base.ign").write_bytes(b"oem")
    (tmp_path / "secret").write_bytes(b"outside")
    s = FetchSettings(oem_dir=str(tmp_path / "oem"))
    assert fetch_bytes(Resource(source="oem:///base.ign"), s) == b"oem"
    assert fetch_bytes(Resource(source="oem:///../../base.ign"), s) == b"oem"
    assert fetch_bytes(Resource(source="oem:///base.ign"), FetchSettings(offline=True, oem_dir=s.oem_dir)) == b"oem"
