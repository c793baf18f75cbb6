"""Every HTTP platform against a local stand-in for its metadata service, with the
real paths, headers and tokens; the endpoint comes from IGNITE_ENDPOINT_<PLATFORM>."""
from __future__ import annotations

import base64
import gzip
import json

import pytest

from ignite import providers
from ignite.config.record import replace
from ignite.errors import FetchError, ProviderError
from ignite.providers import ProviderContext
from ignite.resource import FetchSettings, credentials

from .conftest import Reply, Seen, Server

SETTINGS = FetchSettings(http_total=5, retry_initial=0.01, retry_max=0.05)
CONFIG = b'{"ignition":{"version":"3.4.0"}}'

# platform, path, headers the service requires, 404 means "no config", body encoding
PLAIN = [
    ("aliyun", "/latest/user-data", {}, True, None),
    ("digitalocean", "/metadata/v1/user-data", {}, False, None),
    ("exoscale", "/1.0/user-data", {}, True, None),
    ("gcp", "/computeMetadata/v1/instance/attributes/user-data", {"Metadata-Flavor": "Google"}, True, None),
    ("hetzner", "/hetzner/v1/userdata", {}, True, None),
    ("upcloud", "/metadata/v1/user_data", {}, True, None),
    ("vultr", "/user-data/user-data", {}, True, None),
    ("oraclecloud", "/opc/v2/instance/metadata/user_data", {"Authorization": "Bearer Oracle"}, True, "base64"),
    ("packet", "/userdata", {"Accept": "*/*"}, False, None),
]


def pctx(platform: str, settings: FetchSettings = SETTINGS) -> ProviderContext:
    return ProviderContext(platform, settings)


def guarded(path: str, headers: dict[str, str], body: bytes) -> callable:
    """A route answering only requests that carry the service's required headers."""

    def answer(seen: Seen) -> Reply:
        for name, value in headers.items():
            if seen.headers.get(name) != value:
                return Reply(400, b"missing header " + name.encode())
        return Reply(200, body)

    return answer


@pytest.fixture
def metadata(http_server: Server, monkeypatch: pytest.MonkeyPatch):
    def point(platform: str) -> Server:
        monkeypatch.setenv(f"IGNITE_ENDPOINT_{platform.upper()}", http_server.url(""))
        return http_server

    return point


@pytest.mark.parametrize("platform, path, headers, empty_on_404, encoding", PLAIN)
def test_config_from_the_metadata_service(metadata, platform, path, headers, empty_on_404, encoding) -> None:
    server = metadata(platform)
    body = base64.b64encode(CONFIG) if encoding == "base64" else CONFIG
    server.routes[path] = guarded(path, headers, body)
    assert providers.get(platform).fetch(pctx(platform)) == CONFIG


@pytest.mark.parametrize("platform, path, headers, empty_on_404, encoding", PLAIN)
def test_404_is_no_config_or_an_error_as_upstream(metadata, platform, path, headers, empty_on_404, encoding) -> None:
    metadata(platform)
    if empty_on_404:
        assert providers.get(platform).fetch(pctx(platform)) is None
    else:
        with pytest.raises(FetchError) as err:
            providers.get(platform).fetch(pctx(platform))
        assert err.value.kind == "notfound"


@pytest.mark.parametrize("platform, path, headers, empty_on_404, encoding", PLAIN)
def test_empty_body_is_no_config(metadata, platform, path, headers, empty_on_404, encoding) -> None:
    metadata(platform).route(path, Reply(200, b""))
    assert providers.get(platform).fetch(pctx(platform)) is None


@pytest.mark.parametrize(
    "platform", ["aliyun", "aws", "akamai", "azure", "gcp", "openstack", "packet", "scaleway", "cloudstack"]
)
def test_offline_asks_for_the_network_before_any_io(metadata, platform) -> None:
    server = metadata(platform)
    module = providers.get(platform)
    offline = pctx(platform, FetchSettings(offline=True))
    with pytest.raises(FetchError) as err:
        module.fetch(offline)
    assert err.value.kind == "neednet"
    assert server.seen == []


def test_5xx_from_a_metadata_service_is_retried(metadata) -> None:
    metadata("gcp").route("/computeMetadata/v1/instance/attributes/user-data", Reply(503), Reply(200, CONFIG))
    assert providers.get("gcp").fetch(pctx("gcp")) == CONFIG


def test_aws_imdsv2_token_then_user_data(metadata) -> None:
    server = metadata("aws")

    def token(seen: Seen) -> Reply:
        ok = seen.method == "PUT" and seen.headers.get("x-aws-ec2-metadata-token-ttl-seconds") == "21600"
        return Reply(200, b"TOKEN123") if ok else Reply(400)

    server.routes["/latest/api/token"] = token
    server.routes["/2019-10-01/user-data"] = guarded("", {"X-aws-ec2-metadata-token": "TOKEN123"}, CONFIG)
    assert providers.get("aws").fetch(pctx("aws")) == CONFIG


def test_aws_falls_back_to_imdsv1_when_the_token_put_is_404(metadata) -> None:
    server = metadata("aws")
    server.route("/2019-10-01/user-data", Reply(200, CONFIG))
    assert providers.get("aws").fetch(pctx("aws")) == CONFIG
    assert "X-aws-ec2-metadata-token" not in server.seen[-1].headers


def test_aws_credentials_are_looked_up_lazily_region_and_role(metadata) -> None:
    server = metadata("aws")
    server.route("/latest/api/token", Reply(200, b"T"))
    server.route("/latest/meta-data/placement/region", Reply(200, b"eu-central-1"))
    server.route("/latest/meta-data/iam/security-credentials/", Reply(200, b"node-role\n"))
    creds = {"AccessKeyId": "AK", "SecretAccessKey": "SK", "Token": "ST"}
    server.route("/latest/meta-data/iam/security-credentials/node-role", Reply(200, json.dumps(creds).encode()))
    settings = replace(SETTINGS, credentials=providers.credentials_for("aws"))
    assert server.seen == []  # nothing is asked before a resource needs it
    assert credentials.aws_region(settings) == "eu-central-1"
    assert credentials.aws_credentials(settings) == ("AK", "SK", "ST")
    asked = len(server.seen)
    assert credentials.aws_credentials(settings) == ("AK", "SK", "ST")
    assert len(server.seen) == asked  # kept for the process
    assert all(s.headers.get("X-aws-ec2-metadata-token") == "T" for s in server.seen if s.method == "GET")


def test_aws_without_role_is_anonymous(metadata) -> None:
    metadata("aws")
    settings = replace(SETTINGS, credentials=providers.credentials_for("aws"))
    assert credentials.aws_credentials(settings) is None and credentials.aws_region(settings) == "us-east-1"


def test_aws_role_credentials_failing_is_an_error_naming_them(metadata) -> None:
    server = metadata("aws")
    server.route("/latest/meta-data/iam/security-credentials/", Reply(200, b"node-role"))
    server.route("/latest/meta-data/iam/security-credentials/node-role", Reply(500))
    settings = replace(SETTINGS, http_total=0.5, credentials=providers.credentials_for("aws"))
    with pytest.raises(FetchError, match="instance-role credentials") as info:
        credentials.aws_credentials(settings)
    assert info.value.kind == "credentials"


def test_akamai_token_base64_and_gzip(metadata) -> None:
    server = metadata("akamai")

    def token(seen: Seen) -> Reply:
        ok = seen.method == "PUT" and seen.headers.get("Metadata-Token-Expiry-Seconds") == "300"
        return Reply(200, b" tok \n") if ok else Reply(400)

    server.routes["/v1/token"] = token
    body = base64.b64encode(gzip.compress(CONFIG))
    server.routes["/v1/user-data"] = guarded("", {"Metadata-Token": "tok", "Accept": "*/*"}, body)
    assert providers.get("akamai").fetch(pctx("akamai")) == CONFIG


def test_akamai_empty_token_is_an_error(metadata) -> None:
    metadata("akamai").route("/v1/token", Reply(200, b"  "))
    with pytest.raises(ProviderError, match="empty token"):
        providers.get("akamai").fetch(pctx("akamai"))


def test_azure_imds_user_data_retries_404_then_decodes(metadata) -> None:
    path = "/metadata/instance/compute/userData"
    server = metadata("azure")
    server.route(path, Reply(404), Reply(410), Reply(200, base64.b64encode(CONFIG)))
    assert providers.get("azure").fetch(pctx("azure")) == CONFIG
    assert all(s.headers.get("Metadata") == "true" for s in server.seen)
    assert server.seen[-1].path == path + "?api-version=2021-01-01&format=text"


def test_packet_phones_home_after_a_stage(metadata) -> None:
    server = metadata("packet")
    server.route("/metadata", Reply(200, json.dumps({"phone_home_url": server.url("/ph/phone-home")}).encode()))
    server.route("/ph/events", Reply(201))
    providers.get("packet").status(pctx("packet"), "files", None)
    providers.get("packet").status(pctx("packet"), "disks", RuntimeError("boom"))
    events = [json.loads(s.body) for s in server.seen if s.path == "/ph/events"]
    assert events == [
        {"state": "running", "message": "[files] Ignition status: finished successfully"},
        {"state": "failed", "message": "[disks] Ignition error: boom"},
    ]


def test_scaleway_comes_from_a_privileged_port(metadata) -> None:
    if __import__("os").geteuid() != 0:
        pytest.skip("binding a privileged source port needs root")
    metadata("scaleway").route("/user_data/cloud-init", Reply(200, CONFIG))
    assert providers.get("scaleway").fetch(pctx("scaleway")) == CONFIG


def test_scaleway_404_is_no_config(metadata) -> None:
    if __import__("os").geteuid() != 0:
        pytest.skip("binding a privileged source port needs root")
    server = metadata("scaleway")
    assert providers.get("scaleway").fetch(pctx("scaleway")) is None
    assert all(1 <= s.client_port <= 1023 for s in server.seen) and server.seen


def test_openstack_metadata_wins_when_no_config_drive(metadata, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("IGNITE_DISK_BY_LABEL", str(tmp_path))  # no labels: the drives never appear
    metadata("openstack").route("/openstack/latest/user_data", Reply(200, CONFIG))
    assert providers.get("openstack").fetch(pctx("openstack")) == CONFIG


def test_cloudstack_metadata_on_the_dhcp_server(http_server: Server, tmp_path, monkeypatch) -> None:
    leases = tmp_path / "leases"
    leases.mkdir()
    (leases / "2").write_text(f"ADDRESS=10.0.0.5\nSERVER_ADDRESS=127.0.0.1:{http_server.port}\n")
    monkeypatch.setenv("IGNITE_NETIF_LEASES", str(leases))
    monkeypatch.setenv("IGNITE_DISK_BY_LABEL", str(tmp_path / "none"))
    http_server.route("/latest/user-data", Reply(200, CONFIG))
    assert providers.get("cloudstack").fetch(pctx("cloudstack")) == CONFIG


def test_applehv_over_a_local_stand_in(http_server: Server, monkeypatch) -> None:
    monkeypatch.setenv("IGNITE_ENDPOINT_APPLEHV", http_server.url(""))
    http_server.route("/", Reply(200, CONFIG))
    assert providers.get("applehv").fetch(pctx("applehv")) == CONFIG
    assert http_server.seen[0].headers["Accept"] == "application/json"


def test_unknown_platform_is_a_usage_error() -> None:
    from ignite.errors import UsageError

    with pytest.raises(UsageError, match="unknown platform 'nimbus'"):
        providers.get("nimbus")


@pytest.mark.parametrize("legacy, modern", [("ec2", "aws"), ("gce", "gcp"), ("pxe", "metal"), ("vagrant", "metal")])
def test_legacy_platform_ids(legacy: str, modern: str) -> None:
    assert providers.get(legacy) is providers.get(modern)


def test_gcp_token_is_looked_up_when_first_needed(metadata) -> None:
    server = metadata("gcp")
    base = "/computeMetadata/v1/instance/service-accounts/default"
    server.routes[base + "/scopes"] = guarded("", {"Metadata-Flavor": "Google"}, b"https://www.googleapis.com/auth/devstorage.read_only\n")
    server.routes[base + "/token"] = guarded(
        "", {"Metadata-Flavor": "Google"}, b'{"access_token":"ya29.x","expires_in":3599,"token_type":"Bearer"}'
    )
    settings = replace(SETTINGS, credentials=providers.credentials_for("gcp"))
    assert server.seen == []
    assert credentials.gs_token(settings) == "ya29.x"


def test_gcp_without_service_account_is_anonymous_and_a_token_failure_an_error(metadata) -> None:
    server = metadata("gcp")
    settings = replace(SETTINGS, credentials=providers.credentials_for("gcp"))
    assert credentials.gs_token(settings) is None  # scopes 404: no service account
    server.route("/computeMetadata/v1/instance/service-accounts/default/scopes", Reply(200, b"scope"))
    server.route("/computeMetadata/v1/instance/service-accounts/default/token", Reply(403))
    settings = replace(SETTINGS, credentials=providers.credentials_for("gcp"))
    with pytest.raises(FetchError, match="GCS token"):
        credentials.gs_token(settings)


def test_openstack_every_source_failing_is_no_config(metadata, tmp_path, monkeypatch) -> None:
    from ignite.providers import openstack

    monkeypatch.setenv("IGNITE_DISK_BY_LABEL", str(tmp_path))
    monkeypatch.setattr(
        openstack, "from_label", lambda *a: (_ for _ in ()).throw(ProviderError("openstack", "mount failed"))
    )
    metadata("openstack").route("/openstack/latest/user_data", Reply(403))
    assert providers.get("openstack").fetch(pctx("openstack")) is None


def test_openstack_ipv6_interfaces() -> None:
    from ignite.providers.openstack import ipv6_interfaces

    table = (
        "00000000000000000000000000000001 01 80 10 80       lo\n"
        "fe800000000000005054fffe123456 02 40 20 80     eth0\n"
        "20010db8000000000000000000000001 02 40 00 80     eth0\n"
        "fe800000000000005054fffe654321 03 40 20 80     ens4\n"
    )
    assert ipv6_interfaces(table, is_up=lambda name: True) == ["eth0", "ens4"]
    assert ipv6_interfaces(table, is_up=lambda name: name != "eth0") == ["ens4"]


def test_settings_for_a_later_stage_carry_the_platform_credentials(metadata) -> None:
    from ignite.config.model import Config, Ignition, Timeouts

    server = metadata("aws")
    server.route("/latest/meta-data/placement/region", Reply(200, b"ap-south-1"))
    config = Config(ignition=Ignition(version="3.6.0", timeouts=Timeouts(http_total=30)))
    settings = providers.settings_for("aws", config)
    assert server.seen == [] and settings.http_total == 30
    assert credentials.aws_region(settings) == "ap-south-1"
    assert providers.settings_for("metal", config).credentials is None
    assert providers.settings_for(None, config).http_total == 30


def test_azure_blob_api_with_managed_identity_then_plain_https(metadata, https_server, ca, monkeypatch) -> None:
    from ignite.config.model import Resource
    from ignite.resource import fetch_bytes

    server = metadata("azure")
    server.route("/metadata/identity/oauth2/token", Reply(200, b'{"access_token":"mi-token"}'))
    settings = replace(SETTINGS, credentials=providers.credentials_for("azure"))
    assert credentials.azure_blob_token(settings) == "mi-token"
    monkeypatch.setattr("ignite.resource.http.AZURE_BLOB_SUFFIX", "127.0.0.1")  # a local stand-in for the blob host
    settings = replace(settings, certificate_authorities=(ca.cert_pem.bytes(),))
    https_server.routes["/c/config.ign"] = guarded(
        "", {"Authorization": "Bearer mi-token", "x-ms-version": "2021-08-06"}, CONFIG
    )
    assert fetch_bytes(Resource(source=https_server.url("/c/config.ign")), settings) == CONFIG
    https_server.route("/c/public.ign", Reply(403), Reply(200, CONFIG))  # blob API refuses, plain HTTPS works
    assert fetch_bytes(Resource(source=https_server.url("/c/public.ign")), settings) == CONFIG
    assert "Authorization" not in https_server.seen[-1].headers
