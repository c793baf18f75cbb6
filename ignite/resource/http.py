"""http/https with requests (imported only here): Ignition's headers, timeouts, retries,
proxy and CA semantics, streamed in constant memory."""
from __future__ import annotations

import errno
import functools
import logging
import ssl
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING
from urllib.parse import urljoin

import requests
from requests.adapters import HTTPAdapter

from ignite import __version__
from ignite.errors import FetchError, redact_url
from ignite.resource.proxy import proxy_for
from ignite.resource.retry import Deadline, Retryable, parse_retry_after, with_retries

if TYPE_CHECKING:
    from ignite.config.model import Resource
    from ignite.resource import FetchSettings

log = logging.getLogger("ignite.fetch")

CHUNK = 1 << 20
CONNECT_TIMEOUT = 30.0
MAX_REDIRECTS = 10
PROGRESS_EVERY = 10.0  # seconds between progress lines of a long download
ACCEPT = "application/vnd.coreos.ignition+json;version=3.6.0, */*;q=0.1"


def default_headers() -> dict[str, str]:
    return {"User-Agent": f"ignite/{__version__}", "Accept": ACCEPT, "Accept-Encoding": "identity"}


def stream(url: str, resource: Resource, settings: FetchSettings) -> Iterator[bytes]:
    headers = default_headers()
    for header in resource.http_headers:
        if header.value is None:
            raise FetchError(url, "http", f"HTTP header {header.name!r} has no value")
        # Config headers replace Ignition's defaults of the same name (case-insensitively, as Go's Header.Set).
        for name in [n for n in headers if n.lower() == header.name.lower()]:
            del headers[name]
        headers[header.name] = header.value
    deadline = Deadline(settings.http_total)
    with Client(settings) as client:
        response = None
        if settings.azure_blob_token and _is_azure_blob(url) and "authorization" not in {h.lower() for h in headers}:
            # As upstream on Azure: the blob API with the VM's identity first, then plain HTTP.
            blob_headers = {**headers, "Authorization": f"Bearer {settings.azure_blob_token}", "x-ms-version": AZURE_BLOB_API}
            try:
                response = client.get(url, blob_headers, deadline, max_attempts=3)
            except FetchError as exc:
                log.info("%s: blob API failed (%s); trying plain HTTP", redact_url(url), exc.detail)
        if response is None:
            response = client.get(url, headers, deadline)
        yield from client.body(response, url, deadline)


AZURE_BLOB_SUFFIX = ".blob.core.windows.net"
AZURE_BLOB_API = "2021-08-06"


def _is_azure_blob(url: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.scheme == "https" and (parts.hostname or "").endswith(AZURE_BLOB_SUFFIX)


class Client:
    """One requests session configured from FetchSettings; `get` retries as Ignition does."""

    def __init__(self, settings: FetchSettings):
        self.settings = settings
        self.session = requests.Session()
        self.session.trust_env = False  # proxies come from the config only, as upstream
        adapter = _Adapter(_ssl_context(settings.certificate_authorities))
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.session.close()

    def get(
        self,
        url: str,
        headers: Mapping[str, str],
        deadline: Deadline,
        *,
        method: str = "GET",
        retry_statuses: frozenset[int] = frozenset(),
        ok_statuses: frozenset[int] = frozenset({200, 204}),
        max_attempts: int | None = None,
        data: bytes | None = None,
    ) -> requests.Response:
        """A response with an ok status, its body not read yet. 404 → FetchError kind "notfound"."""

        def attempt(deadline: Deadline) -> requests.Response:
            response = self._request_following_redirects(method, url, headers, deadline, data)
            status = response.status_code
            if status in ok_statuses:
                return response
            response.close()
            if status >= 500 or status in retry_statuses:
                error = FetchError(url, "http", f"server answered {status} {response.reason}")
                raise Retryable(error, parse_retry_after(response.headers.get("Retry-After")))
            if status == 404:
                raise FetchError(url, "notfound", f"resource not found (HTTP 404 {response.reason})")
            raise FetchError(url, "http", f"failed to fetch resource: HTTP {status} {response.reason}")

        return with_retries(
            attempt, url, deadline,
            initial=self.settings.retry_initial, cap=self.settings.retry_max, max_attempts=max_attempts,
        )

    def _request_following_redirects(
        self, method: str, url: str, headers: Mapping[str, str], deadline: Deadline, data: bytes | None
    ) -> requests.Response:
        current, sent = url, dict(headers)
        for _ in range(MAX_REDIRECTS + 1):
            response = self._send(method, current, sent, deadline, data)
            if not response.is_redirect:
                return response
            location = response.headers["Location"]
            response.close()
            current = urljoin(current, location)
            # Upstream drops every header, its defaults included, on a redirect.
            sent = {"Accept-Encoding": "identity"}
            if response.status_code == 303:
                method, data = "GET", None
        raise FetchError(url, "http", f"stopped after {MAX_REDIRECTS} redirects (last: {redact_url(current)})")

    def _send(
        self, method: str, url: str, headers: Mapping[str, str], deadline: Deadline, data: bytes | None = None
    ) -> requests.Response:
        settings = self.settings
        proxy = proxy_for(url, settings.http_proxy, settings.https_proxy, settings.no_proxy)
        scheme = url.split(":", 1)[0].lower()
        # The read timeout also bounds each wait for body bytes (a stalled server fails
        # instead of hanging), and never outlasts the deadline.
        timeout = (deadline.cap(CONNECT_TIMEOUT), deadline.cap(settings.http_response_headers))
        try:
            return self.session.request(
                method, url, headers=headers, data=data, stream=True, allow_redirects=False, timeout=timeout,
                proxies={scheme: proxy} if proxy else {},
            )
        except requests.RequestException as exc:
            raise Retryable(classify(url, exc)) from None

    def body(self, response: requests.Response, url: str, deadline: Deadline) -> Iterator[bytes]:
        """The body in chunks, failing clearly on a truncated body, a stall or the deadline."""
        expected = response.headers.get("Content-Length")
        received = 0
        started = last_log = time.monotonic()
        try:
            while True:
                if deadline.expired():
                    raise FetchError(url, "timeout", f"unable to fetch resource in time ({deadline.seconds:g} s)")
                try:
                    chunk = response.raw.read(CHUNK, decode_content=False)
                except Exception as exc:  # urllib3 raises several unrelated types for a broken body
                    raise _body_error(url, exc, received, expected) from None
                if not chunk:
                    break
                received += len(chunk)
                yield chunk
                now = time.monotonic()
                if now - last_log >= PROGRESS_EVERY:
                    last_log = now
                    total = f" of {int(expected) >> 20} MiB" if expected and expected.isdigit() else ""
                    rate = received / (now - started) / (1 << 20)
                    log.info("fetching %s: %d MiB%s (%.0f MiB/s)", redact_url(url), received >> 20, total, rate)
        finally:
            response.close()
        if expected and expected.isdigit() and received < int(expected):
            raise FetchError(url, "io", f"truncated body: got {received} of {expected} bytes")


def classify(url: str, exc: BaseException) -> FetchError:
    """One word for what failed: dns, connect, tls, timeout or http."""
    text = str(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        return FetchError(url, "tls", _reason(exc))
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return FetchError(url, "timeout", "timed out connecting")
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return FetchError(url, "timeout", "timed out waiting for the response headers")
    if isinstance(exc, requests.exceptions.ProxyError):
        return FetchError(url, "connect", f"proxy: {_reason(exc)}")
    if isinstance(exc, requests.exceptions.ConnectionError):
        if "NameResolutionError" in text or "Name or service not known" in text or "getaddrinfo" in text:
            return FetchError(url, "dns", _reason(exc))
        # At boot the first words say what to fix: the server, the route or the cable.
        what = _CONNECT_ERRNOS.get(_errno(exc) or 0)
        return FetchError(url, "connect", f"{what}: {_reason(exc)}" if what else _reason(exc))
    return FetchError(url, "http", _reason(exc))


_CONNECT_ERRNOS = {
    errno.ECONNREFUSED: "connection refused",
    errno.ENETUNREACH: "network unreachable",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ECONNRESET: "connection reset",
}


def _errno(exc: BaseException) -> int | None:
    """The errno of the OSError somewhere in a requests/urllib3 exception chain."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        inner = stack.pop()
        if id(inner) in seen:
            continue
        seen.add(id(inner))
        if isinstance(inner, OSError) and inner.errno:
            return inner.errno
        stack += [a for a in inner.args if isinstance(a, BaseException)]
        stack += [e for e in (inner.__cause__, inner.__context__, getattr(inner, "reason", None))
                  if isinstance(e, BaseException)]
    return None


def _body_error(url: str, exc: BaseException, received: int, expected: str | None) -> FetchError:
    if "timed out" in str(exc).lower():
        return FetchError(url, "timeout", f"body stalled after {received} bytes")
    of = f" of {expected}" if expected else ""
    return FetchError(url, "io", f"truncated body: connection broken after {received}{of} bytes")


def _reason(exc: BaseException) -> str:
    """The innermost useful message of a requests/urllib3 exception chain."""
    inner: BaseException = exc
    while inner.args and isinstance(inner.args[0], BaseException):
        inner = inner.args[0]
    reason = getattr(inner, "reason", None)
    text = str(reason if reason is not None else inner)
    return text.split(": ", 1)[-1] if text.startswith("<") else text


@functools.lru_cache(maxsize=8)
def _ssl_context(extra_cas: tuple[bytes, ...]) -> ssl.SSLContext:
    """The system trust store plus the config's CAs; loaded once per set of CAs, not per fetch."""
    context = ssl.create_default_context()
    for bundle in extra_cas:
        context.load_verify_locations(cadata=bundle.decode("ascii", errors="replace"))
    return context


class _Adapter(HTTPAdapter):
    def __init__(self, context: ssl.SSLContext):
        self._context = context
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs["ssl_context"] = self._context
        return super().init_poolmanager(*args, **kwargs)

    def proxy_manager_for(self, proxy, **kwargs):  # type: ignore[no-untyped-def]
        kwargs["ssl_context"] = self._context
        return super().proxy_manager_for(proxy, **kwargs)

    def cert_verify(self, conn, url, verify, cert):  # type: ignore[no-untyped-def]
        # Our context already holds the trust store; requests must not swap in certifi's.
        conn.cert_reqs = "CERT_REQUIRED"
        conn.ca_certs = None
        conn.ca_cert_dir = None
