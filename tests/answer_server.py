"""A local HTTP server on 127.0.0.1 that answers every GET with the same body and notes when
each request came: for tests that need one config or file over http and nothing else
(the scripted servers of tests/fetch and tests/e2e do the rest)."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answering:
    url: str  # http://127.0.0.1:PORT/ (append a path)
    requests: list[float] = field(default_factory=list)  # time.monotonic() of each GET


@contextmanager
def answering(body: bytes) -> Iterator[Answering]:
    state = Answering("")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            state.requests.append(time.monotonic())
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
