"""OpenStack's metadata service over IPv6 link-local, for real: a stand-in bound to
fe80::a9fe:a9fe on one end of a veth pair inside a network namespace this test makes
(and deletes), the provider run inside the same namespace. Nothing touches the host's
network: the namespace has no route out."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONFIG = b'{"ignition":{"version":"3.4.0"}}'
PORT = 8775

INSIDE = (
    textwrap.dedent("""
    import json, os, socket, sys, threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = CONFIG if self.path == "/openstack/latest/user_data" else b""
            self.send_response(200 if body else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *args):
            pass

    class Server(HTTPServer):
        address_family = socket.AF_INET6

    server = Server(("fe80::a9fe:a9fe", PORT, 0, socket.if_nametoindex("veth1")), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    from ignite import providers
    from ignite.providers import ProviderContext, openstack
    from ignite.resource import FetchSettings

    result = {"interfaces": openstack.ipv6_interfaces(), "listed": open("/proc/net/if_inet6").read()}
    try:
        settings = FetchSettings(http_total=20, retry_max=0.5)
        data = providers.get("openstack").fetch(ProviderContext("openstack", settings))
        result["config"] = data.decode() if data else None
    except Exception as exc:  # reported to the test, which shows it
        result["error"] = repr(exc)
    print(json.dumps(result), flush=True)
    os._exit(0)  # the IPv4 source still retries its refused port: do not wait for it
""")
    .replace("CONFIG", repr(CONFIG))
    .replace("PORT", str(PORT))
)


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


@pytest.fixture
def namespace() -> Iterator[str]:
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("needs root and iproute2 for a network namespace")
    name = f"ignite-test-{os.getpid()}"
    ip("netns", "add", name)
    try:
        ip("-n", name, "link", "set", "lo", "up")
        ip("-n", name, "link", "add", "veth0", "type", "veth", "peer", "name", "veth1")
        for dev in ("veth0", "veth1"):
            subprocess.run(
                ["ip", "netns", "exec", name, "sysctl", "-qw", f"net.ipv6.conf.{dev}.accept_dad=0"], check=True
            )
            ip("-n", name, "link", "set", dev, "up")
        ip("-n", name, "addr", "add", "fe80::a9fe:a9fe/64", "dev", "veth1", "nodad")
        # An interface that is down, with an IPv6 address: never asked.
        ip("-n", name, "link", "add", "down0", "type", "veth", "peer", "name", "down1")
        ip("-n", name, "addr", "add", "fd00::5/64", "dev", "down0", "nodad")
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def test_openstack_metadata_over_ipv6_link_local(namespace: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "IGNITE_DISK_BY_LABEL": str(tmp_path),  # no config drive
        "IGNITE_ENDPOINT_OPENSTACK": "http://127.0.0.1:1",  # IPv4: refused, inside the namespace
        "IGNITE_OPENSTACK_LINK_LOCAL_PORT": str(PORT),
    }
    proc = subprocess.run(
        ["ip", "netns", "exec", namespace, sys.executable, "-c", INSIDE],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "down0" in result["listed"]  # has an IPv6 address, but is down
    assert "down0" not in result["interfaces"]
    assert set(result["interfaces"]) == {"veth0", "veth1"}
    assert result.get("config") == CONFIG.decode(), result.get("error") or proc.stderr[-2000:]
