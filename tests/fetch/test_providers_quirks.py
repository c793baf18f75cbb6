"""Protocol details real platforms insist on, against stand-ins on 127.0.0.1: Equinix's
Accept header and single phone-home POST, strict base64, CloudStack's lease order,
Scaleway's User-Agent."""
from __future__ import annotations

import base64
import json
import os
import threading

import pytest

from ignite import providers
from ignite.errors import ProviderError
from ignite.providers import ProviderContext
from ignite.resource import FetchSettings

from .conftest import Reply, Seen, Server

SETTINGS = FetchSettings(http_total=5, retry_initial=0.01, retry_max=0.05)
CONFIG = b'{"ignition":{"version":"3.4.0"}}'


def pctx(platform: str) -> ProviderContext:
    return ProviderContext(platform, SETTINGS)


@pytest.fixture
def metadata(http_server: Server, monkeypatch: pytest.MonkeyPatch):
    def point(platform: str) -> Server:
        monkeypatch.setenv(f"IGNITE_ENDPOINT_{platform.upper()}", http_server.url(""))
        return http_server

    return point


def test_packet_status_asks_with_an_acceptable_header_and_posts_once(metadata) -> None:
    server = metadata("packet")

    def equinix(seen: Seen) -> Reply:  # the real service refuses Ignition's default Accept
        if seen.headers.get("Accept") != "*/*":
            return Reply(406, b"Not Acceptable")
        return Reply(200, json.dumps({"phone_home_url": server.url("/ph/phone-home")}).encode())

    server.routes["/metadata"] = equinix
    server.route("/ph/events", Reply(503))
    providers.get("packet").status(pctx("packet"), "files", None)
    posts = [s for s in server.seen if s.path == "/ph/events"]
    assert len(posts) == 1  # a 503 is not retried: upstream sends the event once
    assert posts[0].headers.get("Accept") == "*/*"
    assert json.loads(posts[0].body)["state"] == "running"


@pytest.mark.parametrize("corrupt", [b"e30K!", b"e30", b"e3 0K", b"e30K\x00"])
@pytest.mark.parametrize("platform,path", [
    ("azure", "/metadata/instance/compute/userData"),
    ("oraclecloud", "/opc/v2/instance/metadata/user_data"),
])
def test_corrupt_base64_user_data_is_an_error(metadata, platform: str, path: str, corrupt: bytes) -> None:
    metadata(platform).route(path, Reply(200, corrupt))
    with pytest.raises(ProviderError, match="not valid base64"):
        providers.get(platform).fetch(pctx(platform))


def test_base64_with_line_breaks_is_accepted_as_go_does(metadata) -> None:
    wrapped = base64.b64encode(CONFIG)
    wrapped = wrapped[:20] + b"\r\n" + wrapped[20:] + b"\n"
    metadata("oraclecloud").route("/opc/v2/instance/metadata/user_data", Reply(200, wrapped))
    assert providers.get("oraclecloud").fetch(pctx("oraclecloud")) == CONFIG


@pytest.mark.parametrize("corrupt", [b"e30K!", b"e30"])
def test_akamai_corrupt_base64_is_an_error(metadata, corrupt: bytes) -> None:
    server = metadata("akamai")
    server.route("/v1/token", Reply(200, b"tok"))
    server.route("/v1/user-data", Reply(200, corrupt))
    with pytest.raises(ProviderError, match="not valid base64"):
        providers.get("akamai").fetch(pctx("akamai"))


@pytest.mark.parametrize("encoding", ["base64", "gz+b64"])
def test_vmware_corrupt_base64_is_an_error(encoding: str) -> None:
    from ignite.providers.vmware import decode

    with pytest.raises(ProviderError):
        decode("e30K!", encoding)
    assert decode("e30K", "base64") == b"{}\n"


def test_cloudstack_takes_the_lease_of_the_first_interface(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ignite.providers import cloudstack

    (tmp_path / "10").write_text("ADDRESS=10.0.10.5\nSERVER_ADDRESS=10.0.10.1\n")
    (tmp_path / "2").write_text("ADDRESS=10.0.2.5\nSERVER_ADDRESS=10.0.2.1\n")
    monkeypatch.setenv(cloudstack.LEASES_ENV, str(tmp_path))
    monkeypatch.setattr(cloudstack, "interface_indexes", lambda: [1, 2, 10])  # lo, then eth0 (2), then eth1 (10)
    assert cloudstack.dhcp_server(threading.Event()) == "10.0.2.1"


def test_scaleway_sends_a_user_agent(metadata) -> None:
    if os.geteuid() != 0:
        pytest.skip("binding a privileged source port needs root")
    server = metadata("scaleway")
    server.route("/user_data/cloud-init", Reply(200, CONFIG))
    assert providers.get("scaleway").fetch(pctx("scaleway")) == CONFIG
    assert server.seen[-1].headers.get("User-Agent", "").startswith("ignite/")
    assert server.seen[-1].client_port < 1024
