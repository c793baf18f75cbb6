"""Local stand-ins of cloud metadata services for the provider boots (test_cloud_boots.py).

Each one is a set of routes on an HttpServer (servers.py) on the host's 127.0.0.1; the
guest reaches it at the platform's real address (169.254.169.254, or a real host name
answered by the DNS stand-in) through a guestfwd relay only. Where the real service
insists on a header, the stand-in refuses a request without it, so a boot that works
here sends what the real service wants."""
from __future__ import annotations

import base64
import gzip
import json
import ssl
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from servers import HttpServer, Reply, Request

TEST_CA = Path(__file__).resolve().parents[2] / ".cache/e2e/test-ca"  # tools/e2e/build.sh; in the initramfs's bundle


def tls_for(names: tuple[str, ...], workdir: Path) -> ssl.SSLContext:
    """A server context whose certificate (for `names`) the e2e test CA signed: the guest
    trusts it as it would the platform's real one."""
    workdir.mkdir(parents=True, exist_ok=True)
    key, csr, cert, ext = (workdir / n for n in ("server.key", "server.csr", "server.pem", "ext"))
    ext.write_text("subjectAltName=" + ",".join(f"DNS:{n}" for n in names)
                   + "\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    run = {"check": True, "capture_output": True}
    subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={names[0]}",
                    "-keyout", str(key), "-out", str(csr)], **run)  # type: ignore[call-overload]
    subprocess.run(["openssl", "x509", "-req", "-in", str(csr), "-CA", str(TEST_CA / "ca.pem"),
                    "-CAkey", str(TEST_CA / "ca.key"), "-CAcreateserial", "-CAserial", str(workdir / "ca.srl"),
                    "-days", "2", "-extfile", str(ext), "-out", str(cert)], **run)  # type: ignore[call-overload]
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    return tls


@dataclass
class Akamai:
    """Linode's metadata service (169.254.169.254): PUT /v1/token with a TTL header gives
    a token; GET /v1/user-data with that token gives the user data, base64 of what the
    user uploaded, which the service may have gzipped."""

    user_data: bytes
    gzipped: bool = True
    token: str = "e2e-akamai-token"
    refused: list[str] = field(default_factory=list)  # why requests were refused

    def install(self, server: HttpServer) -> None:
        server.routes["/v1/token"] = self._token
        server.routes["/v1/user-data"] = self._user_data

    def body(self) -> bytes:
        data = gzip.compress(self.user_data) if self.gzipped else self.user_data
        return base64.b64encode(data)

    def _refuse(self, status: int, why: str) -> Reply:
        self.refused.append(why)
        return Reply(status, why.encode() + b"\n")

    def _token(self, request: Request) -> Reply:
        if request.method != "PUT":
            return self._refuse(405, f"token: {request.method}, not PUT")
        if not request.headers.get("Metadata-Token-Expiry-Seconds", "").isdigit():
            return self._refuse(400, "token: no Metadata-Token-Expiry-Seconds")
        return Reply(200, self.token.encode(), {"Content-Type": "text/plain"})

    def _user_data(self, request: Request) -> Reply:
        if request.headers.get("Metadata-Token") != self.token:
            return self._refuse(401, "user-data: no valid Metadata-Token")
        if request.headers.get("Accept") != "*/*":  # the service refuses Ignition's default Accept
            return self._refuse(406, f"user-data: Accept {request.headers.get('Accept')!r}")
        return Reply(200, self.body(), {"Content-Type": "text/plain"})


PACKET_METADATA = "metadata.packet.net"  # the provider's real endpoint (HTTPS)
PACKET_PHONE_HOME = "tinkerbell.e2e.packet.net"  # where the metadata's phone_home_url points (HTTP)


@dataclass
class Packet:
    """Equinix Metal: https://metadata.packet.net serves /userdata and /metadata (whose
    phone_home_url names the phone-home service), both only to `Accept: */*` (the
    service answers "Not Acceptable" to Ignition's default). The phone-home service takes
    POSTs to /events: the boot's status reports, kept in `events` in arrival order."""

    user_data: bytes
    phone_home_url: str = f"http://{PACKET_PHONE_HOME}/phone-home"
    events: list[dict] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def install(self, metadata: HttpServer, phone_home: HttpServer) -> None:
        metadata.routes["/userdata"] = self._userdata
        metadata.routes["/metadata"] = self._metadata
        phone_home.routes["/events"] = self._event

    def _acceptable(self, request: Request) -> Reply | None:
        if request.headers.get("Accept") != "*/*":
            self.refused.append(f"{request.path}: Accept {request.headers.get('Accept')!r}")
            return Reply(406, b"Not Acceptable\n")
        return None

    def _userdata(self, request: Request) -> Reply:
        return self._acceptable(request) or Reply(200, self.user_data)

    def _metadata(self, request: Request) -> Reply:
        body = {"id": "e2e-device", "hostname": "e2e-packet", "facility": "e2e", "phone_home_url": self.phone_home_url}
        return self._acceptable(request) or Reply(200, json.dumps(body).encode(), {"Content-Type": "application/json"})

    def _event(self, request: Request) -> Reply:
        if request.method != "POST" or request.headers.get("Content-Type") != "application/json":
            self.refused.append(f"events: {request.method} {request.headers.get('Content-Type')!r}")
            return Reply(400, b"bad event\n")
        self.events.append(json.loads(request.body))
        return Reply(204)
