"""http/https with requests (imported only here): Ignition's headers, timeouts, retries,
proxy and CA semantics, streamed in constant memory. (A plain http:// URL is read by
ignite.resource.plainhttp, which hands here what it does not do itself.)"""
from __future__ import annotations

import errno
import functools
import logging
import ssl
import threading
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import connection, connectionpool

from ignite.errors import FetchError, redact_url
from ignite.resource.credentials import azure_blob_possible, azure_blob_token
from ignite.resource.limits import MAX_BUFFERED_BYTES
from ignite.resource.plainhttp import (
    ACCEPT,
    CHUNK,
    CONNECT_TIMEOUT,
    MAX_REDIRECTS,
    OK_STATUSES,
    body_error,
    check_request,
    default_headers,
    judge,
    request_headers,
    wire_headers,
)
from ignite.resource.proxy import proxy_for
from ignite.resource.retry import Deadline, Retryable, with_retries
from ignite.resource.watchdog import Watchdog

if TYPE_CHECKING:
    from ignite.config.model import Resource
    from ignite.resource import FetchSettings

log = logging.getLogger("ignite.fetch")
__all__ = ["ACCEPT", "CHUNK", "CONNECT_TIMEOUT", "MAX_REDIRECTS", "Client", "announced_size", "check_request",
           "classify", "default_headers", "stream"]


def stream(url: str, resource: Resource, settings: FetchSettings) -> Iterator[bytes]:
    headers = request_headers(url, resource)
    deadline = Deadline(settings.http_total)
    with Client(settings) as client:
        response = None
        blob_failure: FetchError | None = None
        if (
            _is_azure_blob(url)
            and azure_blob_possible(settings)
            and "authorization" not in {h.lower() for h in headers}
        ):
            # As upstream on Azure: the blob API with the VM's identity first, then plain HTTP.
            try:
                token = azure_blob_token(settings)
                blob_headers = {**headers, "Authorization": f"Bearer {token}", "x-ms-version": AZURE_BLOB_API}
                response = client.get(url, blob_headers, deadline, max_attempts=3)
            except FetchError as exc:
                blob_failure = exc
                log.info("%s: blob API failed (%s); trying plain HTTP", redact_url(url), exc.detail)
        if response is None:
            try:
                response = client.get(url, headers, deadline)
            except FetchError as exc:
                if blob_failure is not None and blob_failure.kind == "credentials":
                    raise FetchError(url, exc.kind, f"{exc.detail} (and {blob_failure.detail})") from None
                raise
        yield from client.body(response, url, deadline)


AZURE_BLOB_SUFFIX = ".blob.core.windows.net"
AZURE_BLOB_API = "2021-08-06"


def _is_azure_blob(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" and (parts.hostname or "").endswith(AZURE_BLOB_SUFFIX)


class Client:
    """One requests session configured from FetchSettings; `get` retries as Ignition does."""

    def __init__(self, settings: FetchSettings):
        self.settings = settings
        self.session = requests.Session()
        self.session.trust_env = False  # proxies come from the config only, as upstream
        adapter = _Adapter(settings.certificate_authorities)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.watchdog = Watchdog()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.watchdog.disarm()
        self.session.close()

    def get(
        self,
        url: str,
        headers: Mapping[str, str],
        deadline: Deadline,
        *,
        method: str = "GET",
        retry_statuses: frozenset[int] = frozenset(),
        ok_statuses: frozenset[int] = OK_STATUSES,
        max_attempts: int | None = None,
        data: bytes | None = None,
    ) -> requests.Response:
        """A response with an ok status, its body not read yet. 404 → FetchError kind "notfound".
        A request that can never succeed (bad URL, bad header) fails at once, not retried."""
        check_request(url, headers)
        return with_retries(
            lambda deadline: self.attempt(url, headers, deadline, method=method, retry_statuses=retry_statuses,
                                          ok_statuses=ok_statuses, data=data),
            url, deadline, initial=self.settings.retry_initial, cap=self.settings.retry_max, max_attempts=max_attempts,
        )

    def attempt(
        self,
        url: str,
        headers: Mapping[str, str],
        deadline: Deadline,
        *,
        method: str = "GET",
        retry_statuses: frozenset[int] = frozenset(),
        ok_statuses: frozenset[int] = OK_STATUSES,
        data: bytes | None = None,
        resume: tuple[str, Mapping[str, str], int] | None = None,
    ) -> requests.Response:
        """One attempt of `get` (Retryable when another may succeed). `resume`: where the
        plain http reader left a redirect chain (URL, headers, redirects followed)."""
        response = self._request_following_redirects(method, url, headers, deadline, data, resume)
        if response.status_code not in ok_statuses:
            response.close()
        judge(url, response.status_code, response.reason, response.headers.get("Retry-After"),
              retry_statuses=retry_statuses, ok_statuses=ok_statuses)
        return response

    def _request_following_redirects(
        self, method: str, url: str, headers: Mapping[str, str], deadline: Deadline, data: bytes | None,
        resume: tuple[str, Mapping[str, str], int] | None = None,
    ) -> requests.Response:
        current, sent, followed = resume or (url, dict(headers), 0)
        for _ in range(MAX_REDIRECTS + 1 - followed):
            response = self._send(method, current, sent, deadline, data)
            if not response.is_redirect:
                return response
            location = response.headers["Location"]
            response.close()
            current = urljoin(current, location)
            check_request(current, {}, redirected_from=url)
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
        # instead of hanging), and never outlasts the deadline. The watchdog makes the
        # header timeout hold for the whole header phase and the deadline for every wait.
        timeout = (deadline.cap(CONNECT_TIMEOUT), deadline.cap(settings.http_response_headers))
        watchdog = self.watchdog
        watchdog.arm(deadline.at, "total")
        _current.phase = (watchdog, settings.http_response_headers, deadline.at)
        try:
            response = self.session.request(
                method, url, headers=wire_headers(headers), data=data, stream=True, allow_redirects=False,
                timeout=timeout, proxies={scheme: proxy} if proxy else {},
            )
        except requests.RequestException as exc:
            if watchdog.fired is not None:
                # The deadline (retries then end, naming this) or the header timeout passed.
                limit = f" ({settings.http_response_headers:g} s)" if watchdog.fired == "headers" else ""
                error = FetchError(url, "timeout", f"timed out waiting for the response headers{limit}")
                raise Retryable(error, cut_short=watchdog.fired == "total") from None
            raise _permanent(url, exc) or Retryable(classify(url, exc)) from None
        finally:
            _current.phase = None
        watchdog.arm(deadline.at, "total")  # the body phase
        return response

    def read_all(self, response: requests.Response, url: str, deadline: Deadline) -> bytes:
        """The whole body, for a config: at most MAX_BUFFERED_BYTES."""
        chunks, size = [], 0
        for chunk in self.body(response, url, deadline):
            size += len(chunk)
            if size > MAX_BUFFERED_BYTES:
                raise FetchError(url, "size", f"more than {MAX_BUFFERED_BYTES >> 20} MiB, the limit for a config")
            chunks.append(chunk)
        return b"".join(chunks)

    def body(self, response: requests.Response, url: str, deadline: Deadline) -> Iterator[bytes]:
        """The body in chunks, failing clearly on a truncated body, a stall or the deadline."""
        expected = response.headers.get("Content-Length")
        received = 0
        if expected and expected.isdigit():
            from ignite.progress import expect

            expect(url, int(expected))  # the pipeline's progress meter shows "of TOTAL" and an ETA
        try:
            while True:
                if deadline.expired():
                    raise FetchError(url, "timeout", f"unable to fetch resource in time ({deadline.seconds:g} s)")
                try:
                    chunk = response.raw.read(CHUNK, decode_content=False)
                except Exception as exc:  # noqa: BLE001 - urllib3 raises several unrelated types for a broken body
                    if self.watchdog.fired is not None:
                        raise FetchError(
                            url, "timeout", f"unable to fetch resource in time ({deadline.seconds:g} s)"
                        ) from None
                    raise body_error(url, exc, received, expected) from None
                if not chunk and self.watchdog.fired is not None:
                    raise FetchError(url, "timeout", f"unable to fetch resource in time ({deadline.seconds:g} s)")
                if not chunk:
                    break
                received += len(chunk)
                yield chunk
        finally:
            response.close()
        if expected and expected.isdigit() and received < int(expected):
            raise FetchError(url, "io", f"truncated body: got {received} of {expected} bytes")


def _permanent(url: str, exc: requests.RequestException) -> FetchError | None:
    """The request itself is invalid: retrying cannot help. Header errors are named without
    requests' text, which quotes the value."""
    if isinstance(exc, requests.exceptions.InvalidHeader):
        return FetchError(url, "http", "invalid HTTP header (a name or value HTTP does not allow)")
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema,
                        requests.exceptions.MissingSchema)):
        # Not requests' text: it quotes the URL, credentials included.
        return FetchError(url, "scheme", f"invalid URL (requests: {type(exc).__name__})")
    return None


class _PhaseMixin:
    """A connection that hands its socket to the fetch's watchdog when it starts waiting
    for the response headers (getresponse), with that phase's deadline."""

    sock: object

    def getresponse(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        phase = getattr(_current, "phase", None)
        if phase is not None:
            watchdog, header_timeout, total_at = phase
            watchdog.watch(self.sock)
            at, reason = total_at, "total"
            if header_timeout is not None:
                header_at = time.monotonic() + header_timeout
                if total_at is None or header_at < total_at:
                    at, reason = header_at, "headers"
            watchdog.arm(at, reason)
        return super().getresponse(*args, **kwargs)


# urllib3's names: they appear in its error messages ("HTTPConnection(host=...): ...").
class HTTPConnection(_PhaseMixin, connection.HTTPConnection):
    pass


class HTTPSConnection(_PhaseMixin, connection.HTTPSConnection):
    pass


class _HTTPPool(connectionpool.HTTPConnectionPool):
    ConnectionCls = HTTPConnection


class _HTTPSPool(connectionpool.HTTPSConnectionPool):
    ConnectionCls = HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}
_current = threading.local()  # the phase of the request this thread is sending


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
    """The TLS context (the system trust store: ~40 ms to load here, over half a second of
    an emulated boot) is made only for a request that may need it: an https URL or a
    proxy. A config's own CAs are loaded at once, as always: a bundle ssl refuses fails the
    fetch whatever its scheme."""

    def __init__(self, extra_cas: tuple[bytes, ...]):
        self._extra_cas = extra_cas
        self._context = _ssl_context(extra_cas) if extra_cas else None
        super().__init__(max_retries=0)

    def _tls_context(self) -> ssl.SSLContext:
        if self._context is None:
            self._context = _ssl_context(self._extra_cas)
            self.poolmanager.connection_pool_kw["ssl_context"] = self._context
        return self._context

    def init_poolmanager(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self._context is not None:
            kwargs["ssl_context"] = self._context
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy, **kwargs):  # type: ignore[no-untyped-def]
        kwargs["ssl_context"] = self._tls_context()
        manager = super().proxy_manager_for(proxy, **kwargs)
        manager.pool_classes_by_scheme = _POOLS
        return manager

    def send(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not (request.url or "").lower().startswith("http://"):
            self._tls_context()
        return super().send(request, *args, **kwargs)

    def cert_verify(self, conn, url, verify, cert):  # type: ignore[no-untyped-def]
        # Our context already holds the trust store; requests must not swap in certifi's.
        conn.cert_reqs = "CERT_REQUIRED"
        conn.ca_certs = None
        conn.ca_cert_dir = None


def announced_size(url: str, settings: FetchSettings, seconds: float = 5.0) -> int | None:
    """The size the server announces for `url` (one HEAD, redirects followed, no retry,
    the config's CAs and proxies): for `ignite plan`. None when it says none or cannot be asked."""
    with Client(settings) as client:
        try:
            response = client.get(url, default_headers(), Deadline(seconds), method="HEAD", max_attempts=1)
        except FetchError:
            return None
        response.close()
    length = response.headers.get("Content-Length")
    return int(length) if length and length.isdigit() else None
