"""Servers on the host's 127.0.0.1 for the network boots, reached by the guest through
guestfwd relays only: HTTP(S) with scripted answers and a request log, and a DNS server
over TCP (the guest's glibc resolver asks over TCP: `RES_OPTIONS=use-vc`, since guestfwd
forwards TCP only)."""
from __future__ import annotations

import socket
import socketserver
import ssl
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    at: float
    body: bytes = b""


Route = list[Reply] | Callable[[Request], Reply]


class HttpServer:
    """`routes[path]`: replies used in order (the last one repeats), or a callable. Every
    request is logged in `requests` (and printed to `log_file` if given)."""

    def __init__(self, tls: ssl.SSLContext | None = None, log_file: Path | None = None):
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        self.log_file = log_file
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.1,), daemon=True)
        self.thread.start()

    def route(self, path: str, *replies: Reply) -> None:
        self.routes[path] = list(replies)

    def serve(self, path: str, body: bytes, **headers: str) -> None:
        self.routes[path] = [Reply(200, body, dict(headers))]

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path.split("?")[0] == path]

    def reply_for(self, request: Request) -> Reply:
        route = self.routes.get(request.path) or self.routes.get(request.path.split("?")[0])
        if route is None:
            return Reply(404, b"no such route\n")
        if callable(route):
            return route(request)
        return route.pop(0) if len(route) > 1 else route[0]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _handler(server: HttpServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            request = Request(self.command, self.path, dict(self.headers.items()), time.time(), body)
            server.requests.append(request)
            reply = server.reply_for(request)
            if server.log_file is not None:
                with open(server.log_file, "a") as log:
                    log.write(f"{time.strftime('%H:%M:%S')} {self.command} {self.path} -> {reply.status}\n")
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if self.command != "HEAD":
                try:
                    self.wfile.write(reply.body)
                except OSError:
                    pass

        do_GET = do_PUT = do_POST = do_HEAD = _any

    return Handler


@contextmanager
def http_server(tls: ssl.SSLContext | None = None, log_file: Path | None = None) -> Iterator[HttpServer]:
    server = HttpServer(tls, log_file)
    try:
        yield server
    finally:
        server.close()


class DnsServer:
    """Answers A queries over TCP for `names` (lowercase, no trailing dot) and NXDOMAIN for
    everything else; `queries` logs the names asked."""

    def __init__(self, names: dict[str, str]):
        self.names = names
        self.queries: list[str] = []
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                while True:
                    head = _recv_exact(self.request, 2)
                    if not head:
                        return
                    query = _recv_exact(self.request, struct.unpack("!H", head)[0])
                    if not query:
                        return
                    answer = outer.answer(query)
                    self.request.sendall(struct.pack("!H", len(answer)) + answer)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, args=(0.1,), daemon=True).start()

    def answer(self, query: bytes) -> bytes:
        ident, flags = struct.unpack("!HH", query[:4])
        pos, labels = 12, []
        while query[pos]:
            labels.append(query[pos + 1:pos + 1 + query[pos]].decode(errors="replace"))
            pos += 1 + query[pos]
        qtype = struct.unpack("!H", query[pos + 1:pos + 3])[0]
        question = query[12:pos + 5]
        name = ".".join(labels).lower()
        self.queries.append(name)
        address = self.names.get(name)
        rd = flags & 0x0100
        if address is None:
            return struct.pack("!HHHHHH", ident, 0x8183 | rd, 1, 0, 0, 0) + question  # NXDOMAIN
        if qtype != 1:  # AAAA and others: no data, not an error
            return struct.pack("!HHHHHH", ident, 0x8180 | rd, 1, 0, 0, 0) + question
        record = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton(address)
        return struct.pack("!HHHHHH", ident, 0x8180 | rd, 1, 1, 0, 0) + question + record

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return b""
        data += chunk
    return data
