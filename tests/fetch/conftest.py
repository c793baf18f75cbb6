"""Real servers on 127.0.0.1 for the fetch tests: HTTP(S) with scripted faults, TFTP, S3."""
from __future__ import annotations

import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/, for blockdev
from blockdev import loopdevs  # noqa: F401  (fixture: the tests on small filesystems)
from ignite.config.model import Resource
from ignite.errors import FetchError
from ignite.resource import FetchSettings, fetch_bytes

# Nothing in these tests may leave the machine: every connect/sendto to an address that is
# not loopback (a cloud metadata address above all) fails before any packet is sent.
_LOOPBACK = ("127.", "::1", "localhost")
_guard = {"on": False, "blocked": []}


def _audit(event: str, args: tuple) -> None:
    if not _guard["on"] or event not in ("socket.connect", "socket.sendto"):
        return
    address = args[1] if event == "socket.connect" else args[-1]
    if isinstance(address, tuple) and address and isinstance(address[0], str):
        host = address[0]
        if not host.startswith(_LOOPBACK):
            _guard["blocked"].append(host)
            raise PermissionError(f"test guard: connection to {host} blocked (tests stay on 127.0.0.1)")


sys.addaudithook(_audit)


@pytest.fixture(autouse=True)
def network_guard() -> Iterator[list[str]]:
    """Yields the hosts a test tried to reach outside loopback (the attempt itself failed)."""
    _guard["on"], _guard["blocked"] = True, []
    try:
        yield _guard["blocked"]
    finally:
        _guard["on"] = False


@dataclass
class Reply:
    """One scripted answer. `truncate_to`: send only that many body bytes, then close."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # before the status line: a slow server
    truncate_to: int | None = None
    drop: bool = False  # close the connection without answering
    stall_after: int | None = None  # send that many body bytes, then pause `stall` seconds
    stall: float = 0.0


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    client_port: int = 0


class Server:
    """Routes map a path to a list of replies, used in order; the last one repeats.
    A route may also be a callable(Seen) -> Reply."""

    def __init__(self, tls: ssl.SSLContext | None = None, port: int = 0):
        self.routes: dict[str, list[Reply] | Callable[[Seen], Reply]] = {}
        self.seen: list[Seen] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.scheme = "https" if tls else "http"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def route(self, path: str, *replies: Reply) -> None:
        self.routes[path] = list(replies)

    def hits(self, path: str) -> int:
        return sum(1 for s in self.seen if s.path == path)

    def next_reply(self, seen: Seen) -> Reply:
        route = self.routes.get(seen.path.split("?")[0]) or self.routes.get(seen.path)
        if route is None:
            return Reply(404, b"no such route")
        if callable(route):
            return route(seen)
        return route.pop(0) if len(route) > 1 else route[0]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _handler(server: Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            seen = Seen(self.command, self.path, dict(self.headers.items()), body, self.client_address[1])
            server.seen.append(seen)
            reply = server.next_reply(seen)
            if reply.delay:
                time.sleep(reply.delay)
            if reply.drop:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            if reply.truncate_to is not None:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command == "HEAD":
                return
            if reply.truncate_to is not None:
                self.wfile.write(reply.body[: reply.truncate_to])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if reply.stall_after is not None:
                self.wfile.write(reply.body[: reply.stall_after])
                self.wfile.flush()
                time.sleep(reply.stall)
                try:
                    self.wfile.write(reply.body[reply.stall_after:])
                except OSError:
                    pass  # the client gave up, as it should
                return
            self.wfile.write(reply.body)

        do_GET = do_PUT = do_POST = do_HEAD = _any

    return Handler


@pytest.fixture
def http_server() -> Iterator[Server]:
    server = Server()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def ca():
    trustme = pytest.importorskip("trustme")
    return trustme.CA()


@pytest.fixture
def https_server(ca) -> Iterator[Server]:
    cert = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    server = Server(tls=context)
    try:
        yield server
    finally:
        server.close()


def free_port() -> int:
    """A port nothing listens on (connection refused), for a while at least."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TftpServer:
    """A tftpy server on 127.0.0.1 serving `root`, in a thread."""

    def __init__(self, root: str, port: int = 0):
        import tftpy

        self.server = tftpy.TftpServer(root)
        self.thread = threading.Thread(
            target=self.server.listen, kwargs={"listenip": "127.0.0.1", "listenport": port, "timeout": 0.2}, daemon=True
        )
        self.thread.start()
        if not self.server.is_running.wait(5):
            raise RuntimeError("tftp server did not start")
        self.port = self.server.listenport

    def close(self) -> None:
        self.server.stop(now=True)
        self.thread.join(5)


@pytest.fixture
def tftp_server(tmp_path) -> Iterator[TftpServer]:
    pytest.importorskip("tftpy")
    root = tmp_path / "tftproot"
    root.mkdir()
    server = TftpServer(str(root))
    server.root = root  # type: ignore[attr-defined]
    try:
        yield server
    finally:
        server.close()


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[str]:
    """moto's S3 API on 127.0.0.1; yields its endpoint URL."""
    pytest.importorskip("moto.server")
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


class RawServer:
    """A TCP server on 127.0.0.1 that hands each connection to `serve(conn, stopped)` in a thread:
    for what http.server cannot do (headers a byte at a time, an endless body). `serve`
    should stop when a send fails (the client gave up); `close()` ends every connection."""

    def __init__(self, serve: Callable[[socket.socket, threading.Event], None], read_first: bool = True):
        self.serve = serve
        self.read_first = read_first  # False: `serve` reads the request (after a TLS handshake)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(conn)
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        try:
            if self.read_first:
                read_request(conn)
            self.serve(conn, self.stopped)
        except OSError:
            pass  # the client went away: what these servers wait for
        finally:
            conn.close()

    def close(self) -> None:
        self.stopped.set()
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept(); close alone does not
        except OSError:
            pass
        self.listener.close()
        for conn in self.connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.thread.join(5)


def read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def trickle(conn: socket.socket, data: bytes, every: float, stopped: threading.Event) -> None:
    """One byte of `data` every `every` seconds, until it is sent or the server stops."""
    for i in range(len(data)):
        if stopped.wait(every):
            return
        conn.sendall(data[i:i + 1])


@pytest.fixture
def raw_server() -> Iterator[Callable[..., RawServer]]:
    """raw_server(serve, read_first=True) starts a RawServer; all are closed after the test."""
    servers: list[RawServer] = []

    def start(serve: Callable[[socket.socket, threading.Event], None], read_first: bool = True) -> RawServer:
        server = RawServer(serve, read_first)
        servers.append(server)
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.close()


@pytest.fixture
def system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """The three system config dirs, in tmp_path."""
    dirs = {}
    for env, name in (
        ("IGNITION_SYSTEM_RUNTIME_CONFIG_DIR", "run"),
        ("IGNITION_SYSTEM_LOCAL_CONFIG_DIR", "etc"),
        ("IGNITION_SYSTEM_CONFIG_DIR", "usr"),
    ):
        dirs[name] = tmp_path / "sys" / name
        monkeypatch.setenv(env, str(dirs[name]))
    return dirs


# A long deadline: a permanent error must not wait for it (the guard is far below it).
PATIENT = FetchSettings(retry_initial=0.05, retry_max=0.2, http_total=60)
GUARD = 20.0


def fails_at_once(resource: Resource) -> FetchError:
    started = time.monotonic()
    with pytest.raises(FetchError) as err:
        fetch_bytes(resource, PATIENT)
    assert time.monotonic() - started < GUARD
    assert err.value.kind != "timeout"
    return err.value
