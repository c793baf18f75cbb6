"""The HTTP/1.1 wire on real sockets: https through the config's proxy (a CONNECT tunnel,
with the proxy URL's credentials, never shown), an https proxy (for http, and for https
with TLS inside its TLS), Basic credentials from a URL, chunked bodies (whole and cut
short), 303 turning a POST into a GET, interim 100 answers, a Location in UTF-8, and a
server that does not speak HTTP, a path sent as written. The requests-based transport
passed them all but three: it sent a UTF-8 Location double-encoded, did not trust the
config's CAs for an https proxy's own TLS, and normalised paths."""
from __future__ import annotations

import base64
import select
import socket
import ssl
import threading
from collections.abc import Iterator

import pytest

from ignite.config.model import Resource
from ignite.errors import FetchError
from ignite.resource import FetchSettings, fetch_bytes
from ignite.resource.http import Client, default_headers
from ignite.resource.retry import Deadline

from .conftest import Reply, Server, read_request

FAST = FetchSettings(retry_initial=0.05, retry_max=0.1, http_total=5)
ORIGIN = "origin.invalid"  # never resolved: only the proxy knows where it is


class ConnectProxy:
    """An HTTP proxy that tunnels CONNECT to `origin_port` on 127.0.0.1, whatever host is
    asked for, or answers `refuse` (a status line) instead. Records each request head."""

    def __init__(self, origin_port: int, refuse: bytes | None = None, tls: ssl.SSLContext | None = None):
        self.origin_port, self.refuse, self.tls = origin_port, refuse, tls
        self.heads: list[str] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        if self.tls is not None:
            conn = self.tls.wrap_socket(conn, server_side=True)
        with conn:
            self.heads.append(read_request(conn).decode("latin-1"))
            if self.refuse is not None:
                conn.sendall(self.refuse + b"\r\nContent-Length: 0\r\n\r\n")
                return
            with socket.create_connection(("127.0.0.1", self.origin_port)) as origin:
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                _pipe(conn, origin)

    def close(self) -> None:
        self.listener.close()


def _pipe(a: socket.socket, b: socket.socket) -> None:
    while True:
        ready = [s for s in (a, b) if isinstance(s, ssl.SSLSocket) and s.pending()]  # select misses these
        if not ready:
            ready, _, _ = select.select([a, b], [], [], 10)
        if not ready:
            return
        for sock in ready:
            data = sock.recv(65536)
            if not data:
                return
            (b if sock is a else a).sendall(data)


@pytest.fixture
def origin(ca) -> Iterator[Server]:
    """An https server whose certificate names ORIGIN."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(ORIGIN).configure_cert(context)
    server = Server(tls=context)
    try:
        yield server
    finally:
        server.close()


def test_https_goes_through_the_proxy_in_a_connect_tunnel(origin: Server, ca) -> None:
    origin.route("/c.ign", Reply(200, b"tunnelled"))
    proxy = ConnectProxy(origin.port)
    try:
        settings = FetchSettings(https_proxy=f"http://puser:p%40ss@127.0.0.1:{proxy.port}", http_total=10,
                                 certificate_authorities=(ca.cert_pem.bytes(),))
        assert fetch_bytes(Resource(source=f"https://{ORIGIN}/c.ign"), settings) == b"tunnelled"
    finally:
        proxy.close()
    head = proxy.heads[0]
    assert head.startswith(f"CONNECT {ORIGIN}:443 HTTP/1.")
    assert f"Proxy-Authorization: Basic {base64.b64encode(b'puser:p@ss').decode()}" in head
    assert origin.seen[0].path == "/c.ign" and origin.seen[0].headers["Host"] == ORIGIN
    assert "Proxy-Authorization" not in origin.seen[0].headers  # the proxy's credentials stay with it


def test_a_proxy_refusing_the_tunnel_is_a_connect_error_without_its_credentials(origin: Server, ca) -> None:
    proxy = ConnectProxy(origin.port, refuse=b"HTTP/1.1 407 Proxy Authentication Required")
    try:
        settings = FetchSettings(https_proxy=f"http://puser:S3CR3T@127.0.0.1:{proxy.port}", retry_initial=0.05,
                                 retry_max=0.1, http_total=1.0, certificate_authorities=(ca.cert_pem.bytes(),))
        with pytest.raises(FetchError) as err:
            fetch_bytes(Resource(source=f"https://{ORIGIN}/c.ign"), settings)
    finally:
        proxy.close()
    assert "last error: connect: proxy:" in str(err.value) and "407" in str(err.value)
    assert "S3CR3T" not in str(err.value) and origin.seen == []


def test_an_https_proxy_tunnels_https_in_its_own_tls(origin: Server, ca) -> None:
    origin.route("/c.ign", Reply(200, b"x" * 300_000))  # several TLS records, inside TLS records
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    proxy = ConnectProxy(origin.port, tls=context)
    try:
        settings = FetchSettings(https_proxy=f"https://127.0.0.1:{proxy.port}", http_total=10,
                                 certificate_authorities=(ca.cert_pem.bytes(),))
        assert fetch_bytes(Resource(source=f"https://{ORIGIN}/c.ign"), settings) == b"x" * 300_000
    finally:
        proxy.close()
    assert proxy.heads[0].startswith(f"CONNECT {ORIGIN}:443 HTTP/1.")


def test_an_https_proxy_takes_http_urls_over_tls(https_server: Server, ca) -> None:
    https_server.route(f"http://{ORIGIN}/c.ign", Reply(200, b"via tls proxy"))
    settings = FetchSettings(http_proxy=https_server.url(""), http_total=10,
                             certificate_authorities=(ca.cert_pem.bytes(),))
    assert fetch_bytes(Resource(source=f"http://{ORIGIN}/c.ign"), settings) == b"via tls proxy"
    assert https_server.seen[0].path == f"http://{ORIGIN}/c.ign"


def test_url_credentials_go_as_basic_authorization(http_server: Server) -> None:
    http_server.route("/c", Reply(200, b"ok"))
    url = http_server.url("/c").replace("http://", "http://us%20er:pa%3Ass@")
    assert fetch_bytes(Resource(source=url), FAST) == b"ok"
    seen = http_server.seen[0]
    assert seen.headers["Authorization"] == "Basic " + base64.b64encode(b"us er:pa:ss").decode()
    assert seen.path == "/c"


def _raw_answer(answer: bytes):  # type: ignore[no-untyped-def]
    def serve(conn: socket.socket, stopped: threading.Event) -> None:
        conn.sendall(answer)
        conn.shutdown(socket.SHUT_WR)
        stopped.wait(2)

    return serve


def test_a_chunked_body_is_read_whole(raw_server) -> None:
    body = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n")
    server = raw_server(_raw_answer(body))
    assert fetch_bytes(Resource(source=server.url("/c")), FAST) == b"hello world"


def test_a_chunked_body_cut_short_is_a_truncated_body(raw_server) -> None:
    server = raw_server(_raw_answer(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nhello"))
    with pytest.raises(FetchError) as err:
        fetch_bytes(Resource(source=server.url("/c")), FAST)
    assert err.value.kind == "io" and "truncated body" in str(err.value)


def test_a_body_up_to_the_close_and_an_interim_answer(raw_server) -> None:
    server = raw_server(_raw_answer(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\nX-A: 1\r\n\r\nall of it"))
    assert fetch_bytes(Resource(source=server.url("/c")), FAST) == b"all of it"


def test_an_answer_that_is_not_http_is_retried_as_a_connect_error(raw_server) -> None:
    server = raw_server(_raw_answer(b"SSH-2.0-OpenSSH_9.2\r\n"))
    with pytest.raises(FetchError) as err:
        fetch_bytes(Resource(source=server.url("/c")), FetchSettings(retry_initial=0.05, http_total=0.5))
    assert "last error: connect:" in str(err.value)


def test_303_turns_a_post_into_a_get_and_307_keeps_it(http_server: Server) -> None:
    http_server.route("/see", Reply(303, headers={"Location": "/other"}))
    http_server.route("/keep", Reply(307, headers={"Location": "/other"}))
    http_server.route("/other", Reply(200, b"done"))
    with Client(FAST) as client:
        for path in ("/see", "/keep"):
            response = client.get(http_server.url(path), default_headers(), Deadline(5), method="POST", data=b"{}")
            assert client.read_all(response, http_server.url(path), Deadline(5)) == b"done"
    methods = [(s.method, s.path, s.body) for s in http_server.seen]
    assert methods == [("POST", "/see", b"{}"), ("GET", "/other", b""), ("POST", "/keep", b"{}"),
                       ("POST", "/other", b"{}")]


def test_a_utf8_location_and_a_path_with_spaces_are_sent_percent_encoded(http_server: Server) -> None:
    http_server.route("/r", Reply(302, headers={"Location": "/caf\u00e9 ign".encode().decode("latin-1")}))
    http_server.route("/caf%C3%A9%20ign", Reply(200, b"moved"))
    assert fetch_bytes(Resource(source=http_server.url("/r")), FAST) == b"moved"
    assert http_server.seen[1].path == "/caf%C3%A9%20ign"


def test_a_path_goes_as_written_with_its_dot_segments_and_escapes(http_server: Server) -> None:
    """As Go sends it (and S3 signs it); requests removed "/../" and unescaped "%41"."""
    http_server.route("/a/../b%41", Reply(200, b"as written"))
    assert fetch_bytes(Resource(source=http_server.url("/a/../b%41")), FAST) == b"as written"
    assert http_server.seen[0].path == "/a/../b%41"
