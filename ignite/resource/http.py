"""http/https on the standard library (the wire: resource/httpwire.py): Ignition's headers,
timeouts, retries, redirects, proxy and CA semantics, streamed in constant memory. ssl is
imported only when an https URL or proxy is used."""
from __future__ import annotations

import errno
import socket
import sys
import time
from urllib.parse import urljoin, urlsplit

from ignite import __version__
from ignite.config.versions import NEWEST
from ignite.errors import FetchError, redact_url
from ignite.log import get_logger
from ignite.resource import httpwire
from ignite.resource.limits import MAX_BUFFERED_BYTES
from ignite.resource.proxy import proxy_for
from ignite.resource.retry import Deadline, Retryable, parse_retry_after, with_retries
from ignite.resource.watchdog import Watchdog

TYPE_CHECKING = False  # not typing's: ~2 ms of every network fetch stage
if TYPE_CHECKING:
    import ssl
    from collections.abc import Iterator, Mapping

    from ignite.config.model import Resource
    from ignite.resource import FetchSettings
    from ignite.resource.httpwire import Response

log = get_logger("ignite.fetch")  # not logging: ~7 ms of every network fetch stage

CHUNK = 1 << 20
CONNECT_TIMEOUT = 30.0
MAX_REDIRECTS = 10
ACCEPT = f"application/vnd.coreos.ignition+json;version={NEWEST}, */*;q=0.1"


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
        blob_failure: FetchError | None = None
        if _is_azure_blob(url) and "authorization" not in {h.lower() for h in headers}:
            from ignite.resource.credentials import azure_blob_possible, azure_blob_token

            if azure_blob_possible(settings):
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
    """Fetches with FetchSettings (proxy, CAs, timeouts); `get` retries as Ignition does.
    Each request has its own connection, closed with its response."""

    def __init__(self, settings: FetchSettings):
        self.settings = settings
        self.watchdog = Watchdog()
        self._open: list[Response] = []
        if settings.certificate_authorities:
            # The config's CAs are loaded now, whatever the scheme: a bundle ssl refuses fails
            # every fetch alike. Without them the trust store waits for an https request.
            _ssl_context(settings.certificate_authorities)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.watchdog.disarm()
        for response in self._open:
            response.close()
        self._open.clear()

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
    ) -> Response:
        """A response with an ok status, its body not read yet. 404 → FetchError kind "notfound".
        A request that can never succeed (bad URL, bad header) fails at once, not retried."""
        check_request(url, headers)

        def attempt(deadline: Deadline) -> Response:
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
    ) -> Response:
        current, sent = url, dict(headers)
        for _ in range(MAX_REDIRECTS + 1):
            response = self._send(method, current, sent, deadline, data)
            if not response.is_redirect:
                return response
            # Header values are read as Latin-1; a Location is taken as UTF-8, as Go takes it.
            location = response.headers["Location"].encode("latin-1").decode("utf-8", "replace")
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
    ) -> Response:
        settings = self.settings
        proxy_url = proxy_for(url, settings.http_proxy, settings.https_proxy, settings.no_proxy)
        try:
            target = httpwire.Target(url)
            proxy = httpwire.Target(proxy_url) if proxy_url else None
        except ValueError as exc:  # the text names no part of the URL: it may hold credentials
            raise FetchError(url, "scheme", f"invalid URL: {exc}") from None
        if proxy is not None and proxy.scheme not in ("http", "https"):
            raise FetchError(url, "scheme", f"proxy scheme {proxy.scheme!r} is not supported (only http and https)")
        # The read timeout also bounds each wait for body bytes (a stalled server fails
        # instead of hanging), and never outlasts the deadline. The watchdog makes the
        # header timeout hold for the whole header phase and the deadline for every wait.
        read_timeout = deadline.cap(settings.http_response_headers)
        watchdog = self.watchdog
        watchdog.arm(deadline.at, "total")
        connected = False
        try:
            sock = httpwire.open_socket(
                target, proxy, lambda: _ssl_context(settings.certificate_authorities), deadline.cap(CONNECT_TIMEOUT)
            )
            connected = True
            sock.settimeout(read_timeout)

            def headers_phase() -> None:
                watchdog.watch(sock)
                at, reason = deadline.at, "total"
                if settings.http_response_headers is not None:
                    header_at = time.monotonic() + settings.http_response_headers
                    if at is None or header_at < at:
                        at, reason = header_at, "headers"
                watchdog.arm(at, reason)

            response = httpwire.exchange(sock, target, proxy, method, _wire_headers(headers), data, headers_phase)
        except Exception as exc:  # noqa: BLE001 - socket, ssl and the wire raise unrelated types
            if watchdog.fired is not None:
                # The deadline (retries then end, naming this) or the header timeout passed.
                limit = f" ({settings.http_response_headers:g} s)" if watchdog.fired == "headers" else ""
                error = FetchError(url, "timeout", f"timed out waiting for the response headers{limit}")
                raise Retryable(error, cut_short=watchdog.fired == "total") from None
            raise _permanent(url, exc) or Retryable(classify(url, exc, connecting=not connected)) from None
        watchdog.arm(deadline.at, "total")  # the body phase
        self._open = [r for r in self._open if not r.closed] + [response]
        return response

    def read_all(self, response: Response, url: str, deadline: Deadline) -> bytes:
        """The whole body, for a config: at most MAX_BUFFERED_BYTES."""
        chunks, size = [], 0
        for chunk in self.body(response, url, deadline):
            size += len(chunk)
            if size > MAX_BUFFERED_BYTES:
                raise FetchError(url, "size", f"more than {MAX_BUFFERED_BYTES >> 20} MiB, the limit for a config")
            chunks.append(chunk)
        return b"".join(chunks)

    def body(self, response: Response, url: str, deadline: Deadline) -> Iterator[bytes]:
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
                    chunk = response.read(CHUNK)
                except Exception as exc:  # noqa: BLE001 - socket, ssl and the wire raise unrelated types
                    if self.watchdog.fired is not None:
                        raise FetchError(
                            url, "timeout", f"unable to fetch resource in time ({deadline.seconds:g} s)"
                        ) from None
                    raise _body_error(url, exc, received, expected) from None
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


def check_request(url: str, headers: Mapping[str, str], *, redirected_from: str | None = None) -> None:
    """Fails at once (FetchError, never retried) on a request that cannot succeed: a scheme
    other than http(s) (a redirect to file: or data: included), no host, a bad port, or a
    header with a line break or NUL (whose value is never shown: it may be a credential)."""
    where = f"redirected to {redact_url(url)}: " if redirected_from else ""
    origin = redirected_from or url
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError when out of range
    except ValueError as exc:
        raise FetchError(origin, "scheme", f"{where}invalid URL: {exc}") from None
    if parts.scheme.lower() not in ("http", "https"):
        shown = parts.scheme.lower() or "relative"
        raise FetchError(origin, "scheme", f"{where}{shown}: URLs cannot be fetched over HTTP (only http and https)")
    if not parts.hostname:
        raise FetchError(origin, "scheme", f"{where}the URL has no host")
    for name, value in headers.items():
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        if any(c in name for c in _BAD_HEADER_CHARS) or not name.strip() or ":" in name or not name.isascii():
            raise FetchError(origin, "http", f"invalid HTTP header name {name!r}")
        if any(c in text for c in _BAD_HEADER_CHARS):
            raise FetchError(origin, "http", f"HTTP header {name!r}: its value holds a line break or NUL (not allowed)")
        if name[0].isspace() or text[:1].isspace():
            # Refused as the requests-based transport did: it reads as a folded line.
            raise FetchError(origin, "http", _INVALID_HEADER)


_BAD_HEADER_CHARS = "\r\n\0"
_INVALID_HEADER = "invalid HTTP header (a name or value HTTP does not allow)"


def _wire_headers(headers: Mapping[str, str]) -> dict[str, str | bytes]:
    """Non-ASCII values go out as UTF-8, as Go sends them (not Latin-1)."""
    return {name: value if value.isascii() else value.encode() for name, value in headers.items()}


def _permanent(url: str, exc: BaseException) -> FetchError | None:
    """The request itself cannot be sent: retrying cannot help. Named without the codec's
    text, which quotes the value (it may be a credential)."""
    if isinstance(exc, UnicodeError):
        return FetchError(url, "http", _INVALID_HEADER)
    return None


def classify(url: str, exc: BaseException, *, connecting: bool = False) -> FetchError:
    """One word for what failed: dns, connect, tls, timeout or http."""
    if isinstance(exc, httpwire.ProxyFailure):
        return FetchError(url, "connect", f"proxy: {_reason(exc.cause)}")
    ssl = sys.modules.get("ssl")
    if ssl is not None and isinstance(exc, (ssl.SSLError, ssl.CertificateError)):
        return FetchError(url, "tls", _reason(exc))
    if isinstance(exc, TimeoutError):
        return FetchError(url, "timeout", "timed out connecting" if connecting else
                          "timed out waiting for the response headers")
    if isinstance(exc, socket.gaierror):
        return FetchError(url, "dns", f"Failed to resolve {httpwire.Target(url).host!r} ({exc})")
    if isinstance(exc, OSError):
        # At boot the first words say what to fix: the server, the route or the cable.
        what = _CONNECT_ERRNOS.get(getattr(exc, "errno", None) or 0)
        if what is None and not connecting:
            what = "connection aborted"
        return FetchError(url, "connect", f"{what}: {_reason(exc)}" if what else _reason(exc))
    return FetchError(url, "http", _reason(exc))


_CONNECT_ERRNOS = {
    errno.ECONNREFUSED: "connection refused",
    errno.ENETUNREACH: "network unreachable",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ECONNRESET: "connection reset",
}


def _body_error(url: str, exc: BaseException, received: int, expected: str | None) -> FetchError:
    if isinstance(exc, TimeoutError) or "timed out" in str(exc).lower():
        return FetchError(url, "timeout", f"body stalled after {received} bytes")
    of = f" of {expected}" if expected else ""
    return FetchError(url, "io", f"truncated body: connection broken after {received}{of} bytes")


def _reason(exc: BaseException) -> str:
    """The message of a socket, ssl or wire error, or its type when it has none."""
    return str(exc) or type(exc).__name__


_SSL_CONTEXTS: dict[tuple[bytes, ...], ssl.SSLContext] = {}


def _ssl_context(extra_cas: tuple[bytes, ...]) -> ssl.SSLContext:
    """The system trust store plus the config's CAs; loaded once per set of CAs, not per fetch."""
    context = _SSL_CONTEXTS.get(extra_cas)
    if context is None:
        import ssl

        context = ssl.create_default_context()
        context.set_alpn_protocols(["http/1.1"])  # the one protocol spoken (urllib3 offered the same)
        for bundle in extra_cas:
            context.load_verify_locations(cadata=bundle.decode("ascii", errors="replace"))
        _SSL_CONTEXTS[extra_cas] = context
    return context


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
