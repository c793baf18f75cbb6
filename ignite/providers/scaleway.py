"""Scaleway: user data from the metadata service, which answers only requests from a
privileged local port (1-1023), so the request is sent from one. 404 or empty is no config."""
from __future__ import annotations

import errno
import http.client
import random
import time
from urllib.parse import urlsplit

from ignite.errors import FetchError
from ignite.providers import ProviderContext
from ignite.providers.common import endpoint, require_network
from ignite.resource.retry import Deadline, Retryable, with_retries

ENDPOINT = "http://169.254.42.42"
PATH = "/user_data/cloud-init"


def fetch(pctx: ProviderContext) -> bytes | None:
    url = endpoint("scaleway", ENDPOINT) + PATH
    require_network(pctx, url)
    parts = urlsplit(url)
    settings = pctx.settings
    from ignite.resource.http import default_headers

    headers = default_headers()  # as upstream, whose fetcher sends its User-Agent here too

    def attempt(deadline: Deadline) -> bytes | None:
        conn = _connect_from_privileged_port(parts.hostname or "", parts.port or 80, deadline, url)
        try:
            conn.request("GET", parts.path, headers=headers)
            response = conn.getresponse()
            body = response.read()
        except OSError as exc:
            raise Retryable(FetchError(url, "connect", str(exc))) from None
        finally:
            conn.close()
        if response.status == 404:
            return None
        if response.status >= 500:
            raise Retryable(FetchError(url, "http", f"server answered {response.status}"))
        if response.status not in (200, 204):
            raise FetchError(url, "http", f"failed to fetch resource: HTTP {response.status}")
        return body or None

    return with_retries(attempt, url, Deadline(settings.http_total), initial=settings.retry_initial, cap=settings.retry_max)


def _connect_from_privileged_port(host: str, port: int, deadline: Deadline, url: str) -> http.client.HTTPConnection:
    timeout = deadline.cap(10.0)
    for _ in range(50):
        source = random.randint(1, 1022)
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
