"""Requests that can never succeed fail at once, naming the cause, and are not retried;
Retry-After never sleeps past the deadline (nor forever without one)."""
from __future__ import annotations

import time

import pytest

from ignite.config.model import Resource
from ignite.errors import FetchError
from ignite.resource import FetchSettings, fetch_bytes
from ignite.resource.limits import RETRY_AFTER_MAX
from ignite.resource.retry import Deadline, Retryable, parse_retry_after, with_retries

from .conftest import GUARD, Reply, Server, fails_at_once


@pytest.mark.parametrize("target", ["file:///etc/shadow", "data:,hello", "ftp://127.0.0.1/x"])
def test_a_redirect_to_another_scheme_fails_at_once(http_server: Server, target: str) -> None:
    http_server.route("/r", Reply(302, headers={"Location": target}))
    error = fails_at_once(Resource(source=http_server.url("/r")))
    assert http_server.hits("/r") == 1
    scheme = target.split(":")[0]
    assert f"redirected to {scheme}:" in str(error) and "only http and https" in str(error)
    assert "hello" not in str(error)  # a data: target's contents are not shown


@pytest.mark.parametrize(
    "url, cause",
    [
        ("http://127.0.0.1:70000/c", "Port out of range"),
        ("http://127.0.0.1:99999999999/c", "Port out of range"),
        ("http:///c", "no host"),
        ("https://[::1/c", "Invalid IPv6 URL"),
        ("tftp://127.0.0.1:70000/c", "Port out of range"),
        ("tftp://a]b/c", "Invalid IPv6 URL"),
        ("s3://bucket]/key", "Invalid IPv6 URL"),
        ("gs://bucket:99999/key", "Port out of range"),
    ],
)
def test_an_unusable_url_fails_at_once(url: str, cause: str) -> None:
    error = fails_at_once(Resource(source=url))
    assert error.kind == "scheme" and cause in str(error)


def test_a_huge_retry_after_is_capped_at_the_deadline(http_server: Server) -> None:
    http_server.route("/busy", Reply(503, headers={"Retry-After": "100000"}))
    started = time.monotonic()
    with pytest.raises(FetchError) as err:
        fetch_bytes(Resource(source=http_server.url("/busy")), FetchSettings(retry_initial=0.05, http_total=30))
    assert time.monotonic() - started < GUARD
    assert "server asked to retry after 100000 s" in str(err.value)


def _failing_once(retry_after: float | None):
    calls = {"n": 0}

    def attempt(deadline: Deadline) -> str:
        calls["n"] += 1
        if calls["n"] == 1:
            raise Retryable(FetchError("http://h/x", "http", "server answered 503"), retry_after)
        return "ok"

    return attempt


@pytest.mark.parametrize("header", ["100000", "9" * 400])
def test_retry_after_without_a_deadline_is_capped(header: str) -> None:
    """No deadline (httpTotal 0): the wait is capped, and an absurd value is no OverflowError."""
    sleeps: list[float] = []
    retry_after = parse_retry_after(header)
    assert with_retries(_failing_once(retry_after), "http://h/x", Deadline(None), sleep=sleeps.append) == "ok"
    assert sleeps == [RETRY_AFTER_MAX]


def test_retry_after_dates_far_away_do_not_crash() -> None:
    assert parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT") is not None
    assert parse_retry_after("Fri, 31 Dec 99999 23:59:59 GMT") is None


def test_a_url_requests_cannot_parse_fails_at_once_without_its_credentials() -> None:
    error = fails_at_once(Resource(source="http://user:pw-S3CR3T@a host/c"))
    assert error.kind == "scheme" and "S3CR3T" not in str(error)
