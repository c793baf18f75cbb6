"""A local HTTP server on 127.0.0.1 for tests that need a few files over http and nothing
else: each added path is answered with its bytes (404 otherwise), and the time of each
GET is noted (the scripted servers of tests/fetch and tests/e2e do the rest)."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Served:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.url = ""  # http://127.0.0.1:PORT
        self.requests: list[float] = []  # time.monotonic() of each GET
        self.unavailable: dict[str, int] = {}  # path -> how many GETs get 503 first

    def add(self, path: str, data: bytes) -> str:
        """Serves `data` at `path` ("/name"); returns its URL."""
        self.files[path] = data
        return self.url + path


@contextmanager
def serving() -> Iterator[Served]:
    served = Served()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            served.requests.append(time.monotonic())
            data = served.files.get(self.path)
            if served.unavailable.get(self.path):
                served.unavailable[self.path] -= 1
                data = b""
                self.send_response(503)
            else:
                self.send_response(404 if data is None else 200)
            self.send_header("Content-Length", str(len(data or b"")))
            self.end_headers()
            self.wfile.write(data or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    served.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
