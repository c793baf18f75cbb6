"""Scaleway: user data from the metadata service, which answers only requests from a
privileged local port (1-1022), so the request is sent from one. 404 or empty is no config."""
from __future__ import annotations

import errno
import http.client
import time
from urllib.parse import urlsplit

from ignite.entropy import below
from ignite.errors import FetchError
from ignite.providers import ProviderContext
from ignite.providers.common import direct_get, endpoint
from ignite.resource.retry import Deadline, Retryable

ENDPOINT = "http://169.254.42.42"
PATH = "/user_data/cloud-init"


def fetch(pctx: ProviderContext) -> bytes | None:
    url = endpoint("scaleway", ENDPOINT) + PATH
    parts = urlsplit(url)
    # Ignition's default headers (User-Agent included), as upstream's fetcher sends them.
    return direct_get(
        pctx,
        url,
        {},
        lambda deadline: _connect_from_privileged_port(parts.hostname or "", parts.port or 80, deadline, url),
    )


def _connect_from_privileged_port(host: str, port: int, deadline: Deadline, url: str) -> http.client.HTTPConnection:
    timeout = deadline.cap(10.0)
    for _ in range(50):
        source = 1 + below(1022)
        conn = http.client.HTTPConnection(host, port, timeout=timeout, source_address=("", source))
        try:
            conn.connect()
            return conn
        except OSError as exc:
            conn.close()
            if exc.errno in (errno.EADDRINUSE, errno.EADDRNOTAVAIL):
                time.sleep(0.01)
                continue
            if exc.errno == errno.EACCES:
                raise FetchError(url, "connect", "binding a privileged source port needs root") from None
            raise Retryable(FetchError(url, "connect", str(exc))) from None
    raise Retryable(FetchError(url, "connect", "no free privileged source port"))
