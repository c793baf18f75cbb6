"""Cloud credentials in the stages after fetch, as upstream: a private object in S3
(moto), Cloud Storage and Azure Blob (stand-ins on 127.0.0.1), fetched by the files
stage with credentials the platform's metadata stand-in lends, looked up only when a
resource needs them; LUKS key files get the same settings."""
from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from ignite.config.parse import parse
from ignite.errors import NodeError
from ignite.stages import StageContext, run_stage

from .conftest import Reply, Seen, Server

SECRET = b"top secret\n"
ROLE = {"AccessKeyId": "ASIAROLE", "SecretAccessKey": "role-secret", "Token": "role-session"}


def files_stage(tmp_path: Path, platform: str, files: list[dict], **ignition: object) -> Path:
    root = tmp_path / "root"
    root.mkdir(exist_ok=True)
    cfg = {"ignition": {"version": "3.4.0", **ignition}, "storage": {"files": files}}
    ctx = StageContext(
        stage="files", root=root, platform=platform, config_cache=tmp_path / "cache.json",
        state_file=tmp_path / "state", cmdline_file=tmp_path / "cmdline",
    )
    ctx.set_config(parse(json.dumps(cfg).encode()))
    run_stage(ctx)
    return root


@pytest.fixture
def imds(http_server: Server, monkeypatch: pytest.MonkeyPatch) -> Server:
    """The EC2 metadata service: IMDSv2 token, region, one instance role."""
    monkeypatch.setenv("IGNITE_ENDPOINT_AWS", http_server.url(""))

    def token_only(body: bytes) -> object:
        def answer(seen: Seen) -> Reply:
            ok = seen.headers.get("X-aws-ec2-metadata-token") == "imds-token"
            return Reply(200, body) if ok else Reply(401)
        return answer

    http_server.route("/latest/api/token", Reply(200, b"imds-token"))
    http_server.routes["/latest/meta-data/placement/region"] = token_only(b"eu-west-1")
    http_server.routes["/latest/meta-data/iam/security-credentials/"] = token_only(b"node-role")
    http_server.routes["/latest/meta-data/iam/security-credentials/node-role"] = token_only(json.dumps(ROLE).encode())
    return http_server


@pytest.fixture(scope="module")
def private_bucket(moto_s3: str) -> str:
    boto3 = pytest.importorskip("boto3")
    client = boto3.client(
        "s3", endpoint_url=moto_s3, region_name="eu-west-1", aws_access_key_id="owner", aws_secret_access_key="owner",
    )
    client.create_bucket(Bucket="private", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    client.put_object(Bucket="private", Key="secret", Body=SECRET)  # no ACL: anonymous gets 403
    return moto_s3


def test_files_stage_fetches_a_private_s3_object_with_the_instance_role(
    tmp_path: Path, imds: Server, private_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IGNITE_S3_ENDPOINT", private_bucket)
    root = files_stage(tmp_path, "aws", [{"path": "/etc/secret", "contents": {"source": "s3://private/secret"}}])
    assert (root / "etc/secret").read_bytes() == SECRET
    assert imds.hits("/latest/meta-data/iam/security-credentials/node-role") == 1


def test_no_remote_resource_asks_the_metadata_service_nothing(tmp_path: Path, imds: Server) -> None:
    root = files_stage(tmp_path, "aws", [{"path": "/etc/x", "contents": {"source": "data:,x"}}])
    assert (root / "etc/x").read_bytes() == b"x"
    assert imds.seen == []


def test_role_credentials_that_cannot_be_had_fail_the_stage_naming_them(
    tmp_path: Path, imds: Server, private_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IGNITE_S3_ENDPOINT", private_bucket)
    imds.route("/latest/meta-data/iam/security-credentials/node-role", Reply(403, b"denied"))
    with pytest.raises(
        NodeError, match="s3://private/secret: credentials: cannot get the AWS instance-role credentials"
    ):
        files_stage(tmp_path, "aws", [{"path": "/etc/secret", "contents": {"source": "s3://private/secret"}}],
                    timeouts={"httpTotal": 2})


def test_files_stage_fetches_a_private_gs_object_with_the_service_account_token(
    tmp_path: Path, http_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IGNITE_ENDPOINT_GCP", http_server.url("/gce"))
    monkeypatch.setenv("IGNITE_GS_ENDPOINT", http_server.url("/gcs"))
    account = "/gce/computeMetadata/v1/instance/service-accounts/default"
    http_server.route(account + "/scopes", Reply(200, b"https://www.googleapis.com/auth/devstorage.read_only\n"))
    http_server.route(
        account + "/token", Reply(200, b'{"access_token":"ya29.sa","expires_in":3599,"token_type":"Bearer"}')
    )

    def storage(seen: Seen) -> Reply:
        ok = seen.headers.get("Authorization") == "Bearer ya29.sa"
        return Reply(200, SECRET) if ok else Reply(401, b"anonymous caller")

    http_server.routes["/gcs/storage/v1/b/bucket/o/dir%2Fsecret"] = storage
    root = files_stage(tmp_path, "gcp", [{"path": "/etc/secret", "contents": {"source": "gs://bucket/dir/secret"}}])
    assert (root / "etc/secret").read_bytes() == SECRET


def test_files_stage_fetches_a_private_azure_blob_with_the_managed_identity(
    tmp_path: Path, http_server: Server, https_server: Server, ca, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IGNITE_ENDPOINT_AZURE", http_server.url(""))
    monkeypatch.setattr("ignite.resource.http.AZURE_BLOB_SUFFIX", "127.0.0.1")  # the blob host's stand-in
    http_server.route("/metadata/identity/oauth2/token", Reply(200, b'{"access_token":"mi-token"}'))

    def blob(seen: Seen) -> Reply:
        ok = seen.headers.get("Authorization") == "Bearer mi-token" and seen.headers.get("x-ms-version")
        return Reply(200, SECRET) if ok else Reply(403, b"public access is not permitted")

    https_server.routes["/container/secret"] = blob
    # The stand-in's CA comes from the config, as a real one would for a private endpoint.
    ca_url = "data:;base64," + base64.b64encode(ca.cert_pem.bytes()).decode()
    root = files_stage(
        tmp_path, "azure", [{"path": "/etc/secret", "contents": {"source": https_server.url("/container/secret")}}],
        security={"tls": {"certificateAuthorities": [{"source": ca_url}]}},
    )
    assert (root / "etc/secret").read_bytes() == SECRET


def test_luks_key_files_use_the_platform_credentials_and_config_settings(
    tmp_path: Path, imds: Server, private_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ignite.config.model import Resource
    from ignite.stages.disks import _key_fetcher

    monkeypatch.setenv("IGNITE_S3_ENDPOINT", private_bucket)
    ctx = StageContext(stage="disks", platform="aws", cmdline_file=tmp_path / "cmdline")
    ctx.set_config(parse(b'{"ignition":{"version":"3.4.0","timeouts":{"httpTotal":7}}}'))
    assert _key_fetcher(ctx)(Resource(source="s3://private/secret")) == SECRET
