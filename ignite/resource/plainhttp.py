"""http:// without requests: the reader of the `http` scheme.

requests, urllib3, ssl and the rest cost a process ~75 ms of imports here, over a second
of an emulated boot's network fetch stage, whose config URL is most often a plain
http:// one. This reader makes such a request with http.client, as the requests reader
(ignite.resource.http) would: the same headers in the same order, timeouts, watchdog,
statuses, retries and messages. Whatever it does not do itself it hands to that reader:
a URL requests would rewrite (escapes, credentials, IDNA or IPv6 hosts), unusual headers,
a proxy, and within an attempt a redirect or a connection that fails before the response
(whose message is urllib3's): that attempt is then made again by requests (one more
connection to the server), and so is every later one.
"""
from __future__ import annotations

import encodings.idna  # noqa: F401 - socket encodes a host name with it: loaded with the reader, not at connect
import http.client
import re
import time
from urllib.parse import urljoin, urlsplit

from ignite import __version__
from ignite.config.versions import NEWEST
from ignite.errors import FetchError, redact_url
from ignite.resource.proxy import proxy_for
from ignite.resource.retry import Deadline, Retryable, parse_retry_after, with_retries
from ignite.resource.watchdog import Watchdog

TYPE_CHECKING = False  # not typing's: requests is what this module spares
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from ignite.config.model import Resource
    from ignite.resource import FetchSettings

CHUNK = 1 << 20
CONNECT_TIMEOUT = 30.0
MAX_REDIRECTS = 10
ACCEPT = f"application/vnd.coreos.ignition+json;version={NEWEST}, */*;q=0.1"
OK_STATUSES = frozenset({200, 204})
REDIRECTS = frozenset({301, 302, 303, 307, 308})  # requests' is_redirect, with a Location


def default_headers() -> dict[str, str]:
    return {"User-Agent": f"ignite/{__version__}", "Accept": ACCEPT, "Accept-Encoding": "identity"}


def request_headers(url: str, resource: Resource) -> dict[str, str]:
    """Ignition's headers with the config's: a config header replaces a default of the same
    name (case-insensitively, as Go's Header.Set)."""
    headers = default_headers()
    for header in resource.http_headers:
        if header.value is None:
            raise FetchError(url, "http", f"HTTP header {header.name!r} has no value")
        for name in [n for n in headers if n.lower() == header.name.lower()]:
            del headers[name]
        headers[header.name] = header.value
    return headers


def judge(url: str, status: int, reason: str, retry_after: str | None, *,
          retry_statuses: frozenset[int] = frozenset(), ok_statuses: frozenset[int] = OK_STATUSES) -> None:
    """Nothing for an ok status; else the error an attempt ends with: 5xx (and
    `retry_statuses`) are retried, 404 is FetchError kind "notfound", the rest fail."""
    if status in ok_statuses:
        return
    if status >= 500 or status in retry_statuses:
        raise Retryable(FetchError(url, "http", f"server answered {status} {reason}"), parse_retry_after(retry_after))
    if status == 404:
        raise FetchError(url, "notfound", f"resource not found (HTTP 404 {reason})")
    raise FetchError(url, "http", f"failed to fetch resource: HTTP {status} {reason}")


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


_BAD_HEADER_CHARS = "\r\n\0"


def wire_headers(headers: Mapping[str, str]) -> dict[str, str | bytes]:
    """Non-ASCII values go out as UTF-8, as Go sends them (http.client would use Latin-1)."""
    return {name: value if value.isascii() else value.encode() for name, value in headers.items()}


def body_error(url: str, exc: BaseException, received: int, expected: str | None) -> FetchError:
    if "timed out" in str(exc).lower():
        return FetchError(url, "timeout", f"body stalled after {received} bytes")
    of = f" of {expected}" if expected else ""
    return FetchError(url, "io", f"truncated body: connection broken after {received}{of} bytes")


# --- the reader ---------------------------------------------------------------------------

# What this reader sends as requests would: a lowercase ASCII name or IPv4 host (urllib3
# lowercases), no credentials, a path and query of characters neither quotes nor
# normalizes (no escapes, no dot segments, no fragment); header names that are tokens,
# values without leading space.
_PLAIN_URL = re.compile(r"http://[a-z0-9.-]+(:[0-9]{1,5})?([/?][A-Za-z0-9._~!$&'()*+,;=:@/?-]*)?")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_VALUE = re.compile(r"(\S[^\r\n]*)?")


def stream(url: str, resource: Resource, settings: FetchSettings) -> Iterator[bytes]:
    headers = request_headers(url, resource)
    if not _plain(url, headers, settings):
        from ignite.resource import http as requests_reader

        yield from requests_reader.stream(url, resource, settings)
        return
    check_request(url, headers)
    deadline = Deadline(settings.http_total)
    watchdog = Watchdog()
    fallback: list[object] = []  # the requests client, once an attempt was handed to it

    def attempt(deadline: Deadline) -> object:
        resume = None
        if not fallback:
            outcome = _attempt(url, headers, deadline, settings, watchdog)
            if isinstance(outcome, _Answer):
                return outcome
            resume = outcome
            from ignite.resource.http import Client

            fallback.append(Client(settings).__enter__())
        return fallback[0].attempt(url, headers, deadline, resume=resume)  # type: ignore[attr-defined]

    try:
        response = with_retries(attempt, url, deadline, initial=settings.retry_initial, cap=settings.retry_max)
        if isinstance(response, _Answer):
            yield from _body(response, url, deadline, watchdog)
        else:
            yield from fallback[0].body(response, url, deadline)  # type: ignore[attr-defined]
    finally:
        watchdog.disarm()
        if fallback:
            fallback[0].__exit__(None, None, None)  # type: ignore[attr-defined]


def _plain(url: str, headers: Mapping[str, str], settings: FetchSettings) -> bool:
    if not _PLAIN_URL.fullmatch(url) or "/." in url[len("http://"):]:
        return False
    if settings.certificate_authorities:
        return False  # requests loads them for any scheme: a bundle ssl refuses fails alike
    if proxy_for(url, settings.http_proxy, settings.https_proxy, settings.no_proxy) is not None:
        return False
    return all(_TOKEN.fullmatch(name) and _VALUE.fullmatch(value) for name, value in headers.items())


def _as_requests_sends(headers: Mapping[str, str]) -> dict[str, str]:
    """requests' session headers (in their order) updated with ours: the order and the
    name's spelling of the last one set, as its CaseInsensitiveDict keeps them."""
    store: dict[str, tuple[str, str | None]] = {
        "user-agent": ("User-Agent", None), "accept-encoding": ("Accept-Encoding", None),
        "accept": ("Accept", None), "connection": ("Connection", "keep-alive"),
    }
    for name, value in headers.items():
        store[name.lower()] = (name, value)
    return {name: value for name, value in store.values() if value is not None}


class _Answer:
    """An ok response, its body not read, and its connection (whose socket the watchdog
    watches until the body is read)."""

    __slots__ = ("conn", "response")

    def __init__(self, conn: http.client.HTTPConnection, response: http.client.HTTPResponse) -> None:
        self.conn, self.response = conn, response


def _attempt(url: str, headers: Mapping[str, str], deadline: Deadline, settings: FetchSettings,
             watchdog: Watchdog) -> _Answer | tuple[str, Mapping[str, str], int] | None:
    """One GET: the response with an ok status (its body not read), or what requests is to
    do with the attempt: all of it (None), or the rest of a redirect chain (where to go, with
    which headers, after how many redirects); the errors of Client.get and Client._send otherwise."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=deadline.cap(CONNECT_TIMEOUT))
    watchdog.arm(deadline.at, "total")
    phase = "connect"
    try:
        conn.connect()
        phase = "send"
        conn.request("GET", target, headers=wire_headers(_as_requests_sends(headers)))
        if conn.sock is not None:
            conn.sock.settimeout(deadline.cap(settings.http_response_headers))
        watchdog.watch(conn.sock)
        at, reason = deadline.at, "total"
        if settings.http_response_headers is not None:
            header_at = time.monotonic() + settings.http_response_headers
            if at is None or header_at < at:
                at, reason = header_at, "headers"
        watchdog.arm(at, reason)
        phase = "headers"
        response = conn.getresponse()
    except (OSError, http.client.HTTPException) as exc:
        conn.close()
        if watchdog.fired is not None:
            limit = f" ({settings.http_response_headers:g} s)" if watchdog.fired == "headers" else ""
            error = FetchError(url, "timeout", f"timed out waiting for the response headers{limit}")
            raise Retryable(error, cut_short=watchdog.fired == "total") from None
        if isinstance(exc, TimeoutError) and phase == "connect":
            raise Retryable(FetchError(url, "timeout", "timed out connecting")) from None
        if isinstance(exc, TimeoutError) and phase == "headers":
            raise Retryable(FetchError(url, "timeout", "timed out waiting for the response headers")) from None
        return None  # urllib3's words for it: requests makes this attempt
    watchdog.arm(deadline.at, "total")  # the body phase
    status = response.status
    location = response.getheader("Location")
    if status in REDIRECTS and location is not None:
        conn.close()
        target = urljoin(url, location)
        check_request(target, {}, redirected_from=url)
        return target, {"Accept-Encoding": "identity"}, 1  # upstream drops every header on a redirect
    if status in OK_STATUSES:
        return _Answer(conn, response)
    conn.close()
    judge(url, status, response.reason, response.getheader("Retry-After"))
    return None  # not reached: judge raised


def _body(answer: _Answer, url: str, deadline: Deadline, watchdog: Watchdog) -> Iterator[bytes]:
    """Client.body's: the body in chunks, failing clearly on a truncated body, a stall or the deadline."""
    response = answer.response
    expected = response.getheader("Content-Length")
    received = 0
    if expected and expected.isdigit():
        from ignite.progress import expect

        expect(url, int(expected))
    try:
        while True:
            if deadline.expired():
                raise FetchError(url, "timeout", f"unable to fetch resource in time ({deadline.seconds:g} s)")
            try:
                chunk = response.read(CHUNK)
                if not chunk and response.length:  # urllib3 enforces the Content-Length
                    raise http.client.IncompleteRead(b"", response.length)
            except (OSError, http.client.HTTPException, ValueError) as exc:
                if watchdog.fired is not None:
                    raise FetchError(url, "timeout", f"unable to fetch resource in time ({deadline.seconds:g} s)") \
                        from None
                raise body_error(url, exc, received, expected) from None
            if not chunk and watchdog.fired is not None:
                raise FetchError(url, "timeout", f"unable to fetch resource in time ({deadline.seconds:g} s)")
            if not chunk:
                break
            received += len(chunk)
            yield chunk
    finally:
        response.close()
        answer.conn.close()
    if expected and expected.isdigit() and received < int(expected):
        raise FetchError(url, "io", f"truncated body: got {received} of {expected} bytes")
