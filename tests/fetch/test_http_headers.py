"""HTTP headers: the default ones (Accept, Accept-Encoding, User-Agent), `httpHeaders` of a
resource replacing them, a header without a value refused, headers dropped on a redirect,
a value with a line break or a non-ASCII name refused at once (not retried), a non-ASCII
value sent as UTF-8. How headers merge: tests/config/test_merge.py."""
from __future__ import annotations

import pytest

from ignite.config.model import HTTPHeader, Resource
from ignite.errors import FetchError
from ignite.resource import FetchSettings, fetch_bytes

from .conftest import PATIENT, Reply, Server, fails_at_once

FAST = FetchSettings(retry_initial=0.01, retry_max=0.05, http_total=5)


def res(url: str, **kw) -> Resource:
    return Resource(source=url, **kw)



def test_get_with_default_headers(http_server: Server) -> None:
    http_server.route("/c.ign", Reply(200, b"{}"))
    assert fetch_bytes(res(http_server.url("/c.ign")), FAST) == b"{}"
    headers = http_server.seen[0].headers
    assert headers["Accept"] == "application/vnd.coreos.ignition+json;version=3.6.0, */*;q=0.1"
    assert headers["Accept-Encoding"] == "identity"
    assert headers["User-Agent"].startswith("ignite/")


def test_config_headers_replace_defaults(http_server: Server) -> None:
    http_server.route("/c", Reply(200, b"x"))
    headers = (HTTPHeader("accept", "text/plain"), HTTPHeader("X-Token", "s3cret"))
    fetch_bytes(res(http_server.url("/c"), http_headers=headers), FAST)
    seen = {k.lower(): v for k, v in http_server.seen[0].headers.items()}
    assert seen["accept"] == "text/plain"
    assert seen["x-token"] == "s3cret"


def test_header_without_value_is_an_error(http_server: Server) -> None:
    with pytest.raises(FetchError, match="has no value"):
        fetch_bytes(res(http_server.url("/c"), http_headers=(HTTPHeader("X", None),)), FAST)


def test_redirect_is_followed_and_drops_headers(http_server: Server) -> None:
    http_server.route("/old", Reply(302, headers={"Location": "/new"}))
    http_server.route("/new", Reply(200, b"moved"))
    got = fetch_bytes(res(http_server.url("/old"), http_headers=(HTTPHeader("X-Secret", "t"),)), FAST)
    assert got == b"moved"
    assert "X-Secret" in http_server.seen[0].headers
    assert "X-Secret" not in http_server.seen[1].headers


@pytest.mark.parametrize("value", ["a\r\nX-Injected: 1", "a\nb", "a\rb", "a\0b"])
def test_a_header_value_with_a_line_break_fails_at_once_without_showing_it(http_server: Server, value: str) -> None:
    http_server.route("/c", Reply(200, b"{}"))
    error = fails_at_once(Resource(source=http_server.url("/c"), http_headers=(HTTPHeader("X-Token", value),)))
    assert "X-Token" in str(error) and "line break or NUL" in str(error)
    assert "Injected" not in str(error) and value not in str(error)
    assert http_server.hits("/c") == 0


def test_a_non_ascii_header_value_is_sent_as_utf8(http_server: Server) -> None:
    """As Go sends it; http.client alone would crash on it (a bug, exit 70) or send Latin-1."""
    http_server.route("/c", Reply(200, b"ok"))
    assert (
        fetch_bytes(Resource(source=http_server.url("/c"), http_headers=(HTTPHeader("X-Name", "Zoë ☃"),)), PATIENT)
        == b"ok"
    )
    raw = http_server.seen[0].headers["X-Name"]
    assert raw.encode("latin-1").decode("utf-8") == "Zoë ☃"


def test_a_non_ascii_header_name_fails_at_once(http_server: Server) -> None:
    error = fails_at_once(Resource(source=http_server.url("/c"), http_headers=(HTTPHeader("Zoë", "v"),)))
    assert "invalid HTTP header name" in str(error) and http_server.hits("/c") == 0
