"""Apple Virtualization (applehv): GET http://d/ over vsock (host CID 2, port 1024).
Not Ignition's HTTP client upstream either: no retries, status not checked. Works offline."""
from __future__ import annotations

import http.client
import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

from ignite import distro
from ignite.errors import IgniteError, ProviderError
from ignite.providers import ProviderContext

HOST_CID, PORT = 2, 1024
ENDPOINT_ENV = distro.ENDPOINT_ENV_PREFIX + "APPLEHV"  # tests: http://127.0.0.1:PORT instead of vsock


class _VsockConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect((HOST_CID, PORT))


def fetch(pctx: ProviderContext) -> bytes | None:
    override = os.environ.get(ENDPOINT_ENV)
    if override:
        parts = urlsplit(override)
        conn: http.client.HTTPConnection = http.client.HTTPConnection(
            parts.hostname or "", parts.port or 80, timeout=30
        )
    else:
        if not hasattr(socket, "AF_VSOCK"):
            raise ProviderError("applehv", "this Python has no vsock support")
        if not Path("/sys/devices/virtual/misc/vsock").exists():
            from ignite.system.run import run

            try:
                run("modprobe", "vsock")
            except IgniteError as exc:
                raise ProviderError("applehv", f"cannot load vsock: {exc}") from None
        conn = _VsockConnection("d", timeout=30)
    try:
        conn.request("GET", "/", headers={"Accept": "application/json"})
        body = conn.getresponse().read()
    except OSError as exc:
        raise ProviderError("applehv", f"cannot get the config over vsock: {exc}") from None
    finally:
        conn.close()
    return body or None
