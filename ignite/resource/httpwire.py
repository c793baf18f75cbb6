"""The wire under resource/http.py: where a URL's request goes (the host, or the config's
proxy: the absolute URL for http, a CONNECT tunnel for https), the socket to it, and one
HTTP/1.1 exchange on that fresh connection. TLS comes from the caller's context.

Not http.client: it imports ssl (6 ms) and the email package (7 ms) for any use, about
0.2 s of a network first boot under TCG; the little of HTTP/1.1 a fetch needs is here."""
from __future__ import annotations

import io
import socket
from urllib.parse import quote, unquote, urlsplit

TYPE_CHECKING = False  # not typing's: ~2 ms of every network fetch stage
if TYPE_CHECKING:
    import ssl
    from collections.abc import Callable, Mapping
    from typing import TypeVar

    T = TypeVar("T")

DEFAULT_PORTS = {"http": 80, "https": 443}
REDIRECTS = frozenset({301, 302, 303, 307, 308})
# What a request target keeps as it is; anything else (a space, non-ASCII) is percent-encoded.
_TARGET_SAFE = "!#$%&'()*+,/:;=?@[]~"


class Target:
    """What a request needs from a URL: host and port to reach, the Host header, the path
    with its query, and Basic credentials from its user part (never shown anywhere)."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.scheme = parts.scheme.lower()
        self.host = _host(parts.hostname or "")
        self.port = parts.port or DEFAULT_PORTS.get(self.scheme, 80)
        shown = f"[{self.host}]" if ":" in self.host else self.host
        self.host_header = shown if self.port == DEFAULT_PORTS.get(self.scheme) else f"{shown}:{self.port}"
        self.path = quote(parts.path or "/", safe=_TARGET_SAFE)
        if parts.query:
            self.path += "?" + quote(parts.query, safe=_TARGET_SAFE)
        self.absolute = f"{self.scheme}://{self.host_header}{self.path}"  # to an http proxy: no user part
        self.authorization = _basic(parts.username, parts.password)


def _host(name: str) -> str:
    """The host as the resolver and the Host header want it: IDNA, no escapes. ValueError
    for a name no resolver could take (as a space would be sent to it)."""
    if ":" in name:
        return name  # an IPv6 literal
    name = unquote(name).lower()
    if not name or name.startswith(("*", ".")) or any(c.isspace() or ord(c) < 0x20 or c == "\x7f" for c in name):
        raise ValueError("the host name is not valid")
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError("the host name is not valid IDNA") from None
    return name


def _basic(user: str | None, password: str | None) -> str | None:
    """Basic credentials from a URL's user part; both parts must be there, as requests did."""
    if user is None or password is None:
        return None
    import base64

    pair = f"{unquote(user)}:{unquote(password)}"
    try:
        raw = pair.encode("latin-1")
    except UnicodeEncodeError:
        raw = pair.encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


class ProxyFailure(Exception):
    """Reaching the proxy failed (connect, its TLS, its answer to CONNECT); wraps the cause."""

    def __init__(self, cause: BaseException):
        super().__init__(str(cause))
        self.cause = cause


def open_socket(
    target: Target, proxy: Target | None, tls: Callable[[], ssl.SSLContext], timeout: float | None
) -> socket.socket:
    """A socket ready for the request: TCP, through the proxy's tunnel for https, TLS for https."""
    hop = proxy or target
    try:
        # As bytes: a str host goes through the idna codec inside getaddrinfo (encodings.idna,
        # stringprep, unicodedata: ~2 ms); Target has made it ASCII already.
        host = hop.host.encode("ascii") if hop.host.isascii() else hop.host
        sock = socket.create_connection((host, hop.port), timeout)  # type: ignore[arg-type]
    except OSError as exc:
        raise ProxyFailure(exc) if proxy else exc from None
    try:
        # As urllib3 did: no Nagle delay for the small writes of a TLS handshake and a request.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if proxy is not None:
            if proxy.scheme == "https":
                sock = _wrap(sock, tls, proxy.host, proxied=True)
            if target.scheme == "https":
                _tunnel(sock, target, proxy)
                if proxy.scheme == "https":
                    return _TLSInTLS(sock, tls(), target.host)  # type: ignore[return-value]  # what the wire uses
        if target.scheme == "https":
            sock = _wrap(sock, tls, target.host, proxied=False)
    except BaseException:
        sock.close()
        raise
    return sock


def _wrap(sock: socket.socket, tls: Callable[[], ssl.SSLContext], host: str, *, proxied: bool) -> socket.socket:
    try:
        return tls().wrap_socket(sock, server_hostname=host)
    except OSError as exc:
        raise ProxyFailure(exc) if proxied else exc from None


def _tunnel(sock: socket.socket, target: Target, proxy: Target) -> None:
    """CONNECT host:port through the proxy, with its credentials, until it answers 200."""
    authority = f"[{target.host}]:{target.port}" if ":" in target.host else f"{target.host}:{target.port}"
    lines = [f"CONNECT {authority} HTTP/1.1", f"Host: {authority}"]
    if proxy.authorization:
        lines.append(f"Proxy-Authorization: {proxy.authorization}")
    try:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("ascii"))
        answer = Response(sock, "CONNECT")
    except OSError as exc:
        raise ProxyFailure(exc) from None
    if answer.status_code != 200:
        raise ProxyFailure(OSError(f"Tunnel connection failed: {answer.status_code} {answer.reason}"))


class _TLSInTLS:
    """TLS to the origin inside the TLS to an https proxy (ssl cannot wrap an SSLSocket):
    the inner session runs on memory buffers over the outer socket. Only what the wire
    and the watchdog use of a socket."""

    def __init__(self, outer: socket.socket, context: ssl.SSLContext, host: str):
        import ssl

        self._ssl = ssl
        self._outer = outer
        self._incoming, self._outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self._tls = context.wrap_bio(self._incoming, self._outgoing, server_hostname=host)
        self._run(self._tls.do_handshake)

    def _run(self, operation: Callable[..., T], *args: object) -> T:
        while True:
            try:
                result = operation(*args)
            except self._ssl.SSLWantReadError:
                self._flush()
                data = self._outer.recv(65536)
                if data:
                    self._incoming.write(data)
                else:
                    self._incoming.write_eof()
                continue
            self._flush()
            return result

    def _flush(self) -> None:
        pending = self._outgoing.read()
        if pending:
            self._outer.sendall(pending)

    def sendall(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[self._run(self._tls.write, view):]

    def readinto(self, buffer: bytearray | memoryview) -> int:
        try:
            data = self._run(self._tls.read, len(buffer))
        except self._ssl.SSLZeroReturnError:
            return 0  # the origin closed the session cleanly
        buffer[:len(data)] = data
        return len(data)

    def makefile(self, mode: str = "rb", buffering: int = -1) -> io.BufferedReader:
        return io.BufferedReader(_Reader(self))

    def settimeout(self, timeout: float | None) -> None:
        self._outer.settimeout(timeout)

    def fileno(self) -> int:
        return self._outer.fileno()

    def close(self) -> None:
        self._outer.close()


class _Reader(io.RawIOBase):
    def __init__(self, source: _TLSInTLS):
        self._source = source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        return self._source.readinto(buffer)


class ProtocolError(OSError):
    """The server's answer is not HTTP/1.x as a client can read it, or ends too early."""


MAX_LINE = 65536
MAX_HEADERS = 100


class Response:
    """The status and headers of an answer read from `sock`; the body is read with `read`
    (Content-Length, chunked, or up to the close). `close` closes the connection."""

    def __init__(self, sock: socket.socket, method: str):
        self._sock = sock
        # A CONNECT answer is read unbuffered: the TLS bytes behind it are not its own.
        self._file = sock.makefile("rb", buffering=0 if method == "CONNECT" else -1)
        while True:
            self.status_code, self.reason = self._status_line()
            self.headers = self._header_block()
            if not 100 <= self.status_code < 200 or self.status_code == 101:
                break  # an interim answer (100 Continue) is followed by the real one
        self._remaining, self._chunked = self._framing(method)
        self._last_chunk_read = False
        self.closed = False
        if method == "CONNECT":
            self._file.close()  # the reader only: the socket goes on

    def _line(self) -> bytes:
        line = self._file.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise ProtocolError("an HTTP header line longer than 64 KiB")
        return line

    def _status_line(self) -> tuple[int, str]:
        line = self._line()
        if not line:
            raise ProtocolError("Remote end closed connection without response")
        version, _, rest = line.decode("latin-1").rstrip("\r\n").partition(" ")
        code, _, reason = rest.partition(" ")
        if not version.startswith("HTTP/1.") or len(code) != 3 or not code.isdigit():
            raise ProtocolError(f"not an HTTP/1.x status line ({len(line)} bytes)")
        return int(code), reason.strip()

    def _header_block(self) -> Headers:
        headers = Headers()
        last = None
        for _ in range(MAX_HEADERS + 1):
            line = self._line()
            if line in (b"\r\n", b"\n", b""):
                if not line:
                    raise ProtocolError("connection closed in the response headers")
                return headers
            text = line.decode("latin-1").rstrip("\r\n")
            if text[:1] in (" ", "\t") and last is not None:  # an obsolete folded line
                headers.add(last, text.strip(), fold=True)
                continue
            name, colon, value = text.partition(":")
            if colon:
                last = name.strip()
                headers.add(last, value.strip())
        raise ProtocolError(f"more than {MAX_HEADERS} response headers")

    def _framing(self, method: str) -> tuple[int | None, bool]:
        """(bytes left, or None for "up to the close"; chunked)."""
        if method in ("HEAD", "CONNECT") or self.status_code in (204, 304):
            return 0, False
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return 0, True
        length = (self.headers.get("Content-Length") or "").split(",")[0].strip()
        return (int(length) if length.isdigit() else None), False

    @property
    def is_redirect(self) -> bool:
        return self.status_code in REDIRECTS and "Location" in self.headers

    def read(self, size: int) -> bytes:
        """Up to `size` bytes of the body (fewer only at its end); b"" at the end or when the
        server closed early (the caller compares with Content-Length); ProtocolError on a
        broken chunked body."""
        if not self._chunked:
            if self._remaining is not None:
                size = min(size, self._remaining)
                if size == 0:
                    return b""
            data: bytes = self._file.read(size)
            if self._remaining is not None:
                self._remaining -= len(data)
            return data
        parts: list[bytes] = []
        while size > 0:
            if self._remaining == 0:
                self._remaining = self._chunk_size()
                if self._remaining == 0:
                    break
            assert self._remaining is not None
            data = self._file.read(min(size, self._remaining))
            if not data:
                raise ProtocolError("the chunked body ended early")
            parts.append(data)
            size -= len(data)
            self._remaining -= len(data)
            if self._remaining == 0 and self._file.readline(MAX_LINE) not in (b"\r\n", b"\n"):
                raise ProtocolError("a chunk without its line end")
        return b"".join(parts)

    def _chunk_size(self) -> int:
        """The next chunk's size; 0 after the last chunk (its trailers read)."""
        if self._last_chunk_read:
            return 0
        line = self._file.readline(MAX_LINE)
        size = line.split(b";", 1)[0].strip()
        if not line or not size or any(c not in b"0123456789abcdefABCDEF" for c in size):
            raise ProtocolError("the chunked body ended early" if not line else "a bad chunk size line")
        if int(size, 16) == 0:
            while self._file.readline(MAX_LINE) not in (b"\r\n", b"\n", b""):
                pass  # trailers: not used
            self._last_chunk_read = True
            return 0
        return int(size, 16)

    def close(self) -> None:
        self.closed = True
        self._file.close()
        self._sock.close()


class Headers:
    """Response headers by name, case-insensitively; a repeated header's values joined by ", "."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[str, str]] = {}

    def add(self, name: str, value: str, *, fold: bool = False) -> None:
        key = name.lower()
        if key in self._values:
            joiner = " " if fold else ", "
            value = self._values[key][1] + joiner + value
        self._values[key] = (name, value)

    def get(self, name: str, default: str | None = None) -> str | None:
        found = self._values.get(name.lower())
        return default if found is None else found[1]

    def __getitem__(self, name: str) -> str:
        return self._values[name.lower()][1]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._values


def exchange(
    sock: socket.socket,
    target: Target,
    proxy: Target | None,
    method: str,
    headers: Mapping[str, str | bytes],
    data: bytes | None,
    on_sent: Callable[[], None],
) -> Response:
    """Sends the request on `sock` and reads the status line and headers (after `on_sent`,
    which arms the header timeout). The socket is closed on failure."""
    sent: dict[str, str | bytes] = {}
    if "host" not in {name.lower() for name in headers}:
        sent["Host"] = target.host_header
    for name, value in headers.items():
        if not (target.authorization and name.lower() == "authorization"):
            sent[name] = value
    if target.authorization:
        sent["Authorization"] = target.authorization  # the URL's credentials win, as with requests
    path = target.path
    if proxy is not None and target.scheme == "http":
        path = target.absolute
        if proxy.authorization:
            sent["Proxy-Authorization"] = proxy.authorization
    if data is not None or method in ("POST", "PUT", "PATCH"):
        sent["Content-Length"] = str(len(data or b""))
    head = [f"{method} {path} HTTP/1.1".encode("ascii")]
    for name, value in sent.items():
        head.append(name.encode("ascii") + b": " + (value if isinstance(value, bytes) else value.encode("latin-1")))
    try:
        sock.sendall(b"\r\n".join(head) + b"\r\n\r\n" + (data or b""))
        on_sent()
        return Response(sock, method)
    except BaseException:
        sock.close()
        raise
