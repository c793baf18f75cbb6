"""http/https against real servers on 127.0.0.1, with every fault the spec names."""
from __future__ import annotations

import gzip
import hashlib
import logging
import threading
import time

import pytest

from ignite.config.model import Resource, Verification
from ignite.errors import FetchError
from ignite.resource import FetchSettings, fetch_bytes

from .conftest import Reply, Server, free_port

FAST = FetchSettings(retry_initial=0.01, retry_max=0.05, http_total=5)


def res(url: str, **kw) -> Resource:
    return Resource(source=url, **kw)


def test_204_is_an_empty_success(http_server: Server) -> None:
    http_server.route("/e", Reply(204))
    assert fetch_bytes(res(http_server.url("/e")), FAST) == b""


def test_gzip_and_hash_over_http(http_server: Server) -> None:
    payload = b"0123456789" * 300_000
    http_server.route("/f.gz", Reply(200, gzip.compress(payload)))
    digest = "sha512-" + hashlib.sha512(payload).hexdigest()
    got = fetch_bytes(res(http_server.url("/f.gz"), compression="gzip", verification=Verification(digest)), FAST)
    assert got == payload


def test_404_is_not_found_without_retry(http_server: Server) -> None:
    with pytest.raises(FetchError) as err:
        fetch_bytes(res(http_server.url("/missing")), FAST)
    assert err.value.kind == "notfound"
    assert http_server.hits("/missing") == 1


def test_403_fails_without_retry(http_server: Server) -> None:
    http_server.route("/forbidden", Reply(403))
    with pytest.raises(FetchError, match="HTTP 403"):
        fetch_bytes(res(http_server.url("/forbidden")), FAST)
    assert http_server.hits("/forbidden") == 1


def test_500_then_success_is_retried(http_server: Server) -> None:
    http_server.route("/flaky", Reply(500), Reply(502), Reply(200, b"ok"))
    assert fetch_bytes(res(http_server.url("/flaky")), FAST) == b"ok"
    assert http_server.hits("/flaky") == 3


def test_503_retry_after_is_honoured(http_server: Server) -> None:
    http_server.route("/busy", Reply(503, headers={"Retry-After": "1"}), Reply(200, b"ok"))
    started = time.monotonic()
    assert fetch_bytes(res(http_server.url("/busy")), FAST) == b"ok"
    assert time.monotonic() - started >= 1.0


def test_retries_stop_at_the_deadline_with_the_last_cause(http_server: Server) -> None:
    http_server.route("/down", Reply(503))
    started = time.monotonic()
    with pytest.raises(FetchError) as err:
        fetch_bytes(res(http_server.url("/down")), FetchSettings(retry_initial=0.05, retry_max=0.2, http_total=2))
    # Bounded, generously (the machine is shared); 2 s leaves room for several quick 503s
    # even under load, so that the deadline does not fall inside the only attempt.
    assert time.monotonic() - started < 6.0
    assert err.value.kind == "timeout"
    assert "unable to fetch resource in time" in str(err.value) and "503" in str(err.value)
    assert http_server.hits("/down") >= 3


def test_connection_refused_then_recovering() -> None:
    port = free_port()
    servers: list[Server] = []

    def start_later() -> None:
        time.sleep(0.6)
        server = Server(port=port)
        server.route("/late", Reply(200, b"finally"))
        servers.append(server)

    starter = threading.Thread(target=start_later)
    starter.start()
    try:
        got = fetch_bytes(
            res(f"http://127.0.0.1:{port}/late"), FetchSettings(retry_initial=0.1, retry_max=0.2, http_total=10)
        )
        assert got == b"finally"
    finally:
        starter.join()
        for server in servers:
            server.close()


def test_each_failed_attempt_logs_one_classified_line(caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()
    caplog.set_level(logging.WARNING, "ignite.fetch")
    with pytest.raises(FetchError) as err:
        fetch_bytes(
            res(f"http://user:pw@127.0.0.1:{port}/x"), FetchSettings(retry_initial=0.05, retry_max=0.1, http_total=1.5)
        )
    assert "pw" not in str(err.value)
    lines = [r.getMessage() for r in caplog.records]
    assert lines and all(": connect: " in line and "retrying in" in line for line in lines)
    assert all("pw" not in line for line in lines)


def test_slow_headers_time_out(http_server: Server) -> None:
    http_server.route("/slow", Reply(200, b"late", delay=6))
    settings = FetchSettings(http_response_headers=0.3, http_total=1.0, retry_initial=0.05, retry_max=0.1)
    started = time.monotonic()
    with pytest.raises(FetchError) as err:
        fetch_bytes(res(http_server.url("/slow")), settings)
    assert time.monotonic() - started < 4.0
    assert "timed out waiting for the response headers" in str(err.value)


def test_truncated_body_is_an_error(http_server: Server) -> None:
    http_server.route("/cut", Reply(200, b"a" * 100_000, truncate_to=40_000))
    with pytest.raises(FetchError) as err:
        fetch_bytes(res(http_server.url("/cut")), FAST)
    assert err.value.kind == "io"
    assert "truncated body" in str(err.value)


def test_wrong_hash_over_http(http_server: Server) -> None:
    http_server.route("/f", Reply(200, b"content"))
    with pytest.raises(FetchError) as err:
        fetch_bytes(res(http_server.url("/f"), verification=Verification("sha256-" + "ab" * 32)), FAST)
    assert err.value.kind == "hash"


def test_corrupt_gzip_over_http(http_server: Server) -> None:
    http_server.route("/f.gz", Reply(200, b"\x1f\x8b\x08\x00garbage-garbage"))
    with pytest.raises(FetchError) as err:
        fetch_bytes(res(http_server.url("/f.gz"), compression="gzip"), FAST)
    assert err.value.kind == "decompress"


def test_redirect_loop_is_a_clear_error(http_server: Server) -> None:
    http_server.route("/loop", Reply(302, headers={"Location": "/loop"}))
    with pytest.raises(FetchError, match="stopped after 10 redirects"):
        fetch_bytes(res(http_server.url("/loop")), FAST)
    assert http_server.hits("/loop") == 11


def test_http_proxy_is_used_for_http(http_server: Server) -> None:
    """The proxy sees the absolute URL; the origin (a name that never resolves) is never contacted."""
    http_server.route("http://origin.invalid/c.ign", Reply(200, b"via proxy"))
    settings = FetchSettings(http_proxy=http_server.url(""), http_total=5)
    assert fetch_bytes(res("http://origin.invalid/c.ign"), settings) == b"via proxy"
    assert http_server.seen[0].path == "http://origin.invalid/c.ign"


def test_no_proxy_and_loopback_bypass_the_proxy(http_server: Server) -> None:
    http_server.route("/direct", Reply(200, b"direct"))
    dead_proxy = f"http://127.0.0.1:{free_port()}"
    settings = FetchSettings(http_proxy=dead_proxy, http_total=5)
    assert fetch_bytes(res(http_server.url("/direct")), settings) == b"direct"


def test_stalled_body_fails_instead_of_hanging(http_server: Server) -> None:
    http_server.route("/stall", Reply(200, b"s" * 200_000, stall_after=50_000, stall=6.0))
    started = time.monotonic()
    with pytest.raises(FetchError) as err:
        fetch_bytes(res(http_server.url("/stall")), FetchSettings(http_response_headers=0.5, http_total=10))
    assert time.monotonic() - started < 4.0
    assert err.value.kind == "timeout" and "stalled" in str(err.value)


def test_dns_failure_is_classified_as_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """No real resolver may be asked from a test: getaddrinfo fails as it would for an unknown name."""
    import socket

    def no_such_name(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    with pytest.raises(FetchError) as err:
        fetch_bytes(res("http://config.example.invalid/c.ign"), FetchSettings(retry_initial=0.05, http_total=0.5))
    assert "last error: dns:" in str(err.value)


def test_a_refused_connection_says_so_first_in_every_line_and_in_the_final_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """At boot the console line must say what to fix: "connection refused" (the server),
    not only a generic "failed to establish a new connection"."""
    port = free_port()
    caplog.set_level(logging.WARNING, "ignite.fetch")
    with pytest.raises(FetchError) as err:
        fetch_bytes(res(f"http://127.0.0.1:{port}/x"), FetchSettings(retry_initial=0.05, retry_max=0.1, http_total=1.0))
    assert "last error: connect: connection refused" in str(err.value)
    lines = [r.getMessage() for r in caplog.records]
    assert lines and all(": connect: connection refused: " in line for line in lines)
