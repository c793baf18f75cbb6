"""The plain http:// reader (http.client) against the requests reader it spares a boot:
the same request on the wire, the same errors, no extra request on a redirect; what it
does not do itself goes to requests."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from ignite.config.model import HTTPHeader, Resource
from ignite.errors import FetchError
from ignite.resource import FetchSettings, fetch_bytes, http, plainhttp

from .conftest import Reply, Server

FAST = FetchSettings(retry_initial=0.01, retry_max=0.05, http_total=5)


def both_readers(url: str, resource: Resource, settings: FetchSettings = FAST) -> tuple[object, object]:
    """What each reader makes of `url`: the body, or the error's text."""
    outcomes = []
    for reader in (plainhttp.stream, http.stream):
        try:
            outcomes.append(b"".join(reader(url, resource, settings)))
        except FetchError as exc:
            outcomes.append(str(exc))
    return outcomes[0], outcomes[1]


def no_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("the requests reader was used")

    monkeypatch.setattr(http, "Client", refused)
    monkeypatch.setattr(http, "stream", refused)


@pytest.mark.parametrize("headers", [(), (HTTPHeader("X-Token", "a b"), HTTPHeader("accept", "text/plain"),
                                          HTTPHeader("User-Agent", "ünï"))])
def test_the_same_request_on_the_wire(http_server: Server, headers: tuple[HTTPHeader, ...]) -> None:
    http_server.route("/c", Reply(200, b"config"))
    resource = Resource(source=http_server.url("/c?x=1"), http_headers=headers)
    assert both_readers(http_server.url("/c?x=1"), resource) == (b"config", b"config")
    lean, full = http_server.seen
    assert (lean.method, lean.path, list(lean.headers.items())) == (full.method, full.path, list(full.headers.items()))


def test_a_plain_fetch_uses_no_requests(http_server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    http_server.route("/c", Reply(200, b"config"))
    no_requests(monkeypatch)
    assert fetch_bytes(Resource(source=http_server.url("/c")), FAST) == b"config"


@pytest.mark.parametrize("reply", [Reply(404), Reply(403), Reply(204)])
def test_the_same_answer_to_a_status(http_server: Server, reply: Reply) -> None:
    http_server.route("/s", reply)
    lean, full = both_readers(http_server.url("/s"), Resource(source=http_server.url("/s")))
    assert lean == full


def test_a_redirect_is_followed_by_requests_without_an_extra_request(http_server: Server) -> None:
    http_server.route("/old", Reply(302, headers={"Location": "/new"}))
    http_server.route("/new", Reply(200, b"moved"))
    resource = Resource(source=http_server.url("/old"), http_headers=(HTTPHeader("X-Secret", "s"),))
    assert both_readers(http_server.url("/old"), resource) == (b"moved", b"moved")
    assert http_server.hits("/old") == 2 and http_server.hits("/new") == 2  # once per reader
    lean, full = (s for s in http_server.seen if s.path == "/new")
    assert list(lean.headers.items()) == list(full.headers.items())


def test_a_truncated_body_and_a_dropped_connection_read_the_same(http_server: Server) -> None:
    http_server.route("/t", Reply(200, b"x" * 1000, truncate_to=10))
    http_server.route("/d", Reply(drop=True))
    short = FetchSettings(retry_initial=0.01, retry_max=0.05, http_total=0.5)
    for path in ("/t", "/d"):
        lean, full = both_readers(http_server.url(path), Resource(source=http_server.url(path)), short)
        assert isinstance(lean, str) and isinstance(full, str)
        assert lean.split("last error: ")[-1] == full.split("last error: ")[-1], (lean, full)


@pytest.mark.parametrize("url", ["http://user:pw@127.0.0.1:{port}/c", "http://127.0.0.1:{port}/%63",
                                 "http://[::1]:{port}/c", "http://LocalHost:{port}/c", "http://127.0.0.1:{port}/a/../c",
                                 'http://127.0.0.1:{port}/c?q="x"', "http://127.0.0.1:{port}/c#part"])
def test_urls_requests_would_rewrite_are_its_own(http_server: Server, monkeypatch: pytest.MonkeyPatch,
                                                  url: str) -> None:
    taken: list[str] = []

    def spy(url: str, resource: Resource, settings: FetchSettings) -> Iterator[bytes]:
        taken.append(url)
        yield b""

    monkeypatch.setattr(http, "stream", spy)
    url = url.format(port=http_server.port)
    assert b"".join(plainhttp.stream(url, Resource(source=url), FAST)) == b""
    assert taken == [url]


def test_a_slow_server_times_out_the_same(http_server: Server) -> None:
    """The header timeout (the watchdog's) and the deadline, as requests' reader words them."""
    http_server.route("/slow", Reply(200, b"late", delay=0.6))
    settings = FetchSettings(retry_initial=0.01, retry_max=0.05, http_total=1.0, http_response_headers=0.2)
    lean, full = both_readers(http_server.url("/slow"), Resource(source=http_server.url("/slow")), settings)
    assert isinstance(lean, str) and "timed out waiting for the response headers (0.2 s)" in lean, lean
    assert lean.split("last error: ")[-1] == full.split("last error: ")[-1], (lean, full)
