"""Pure policy: proxy selection (Go httpproxy semantics), retry backoff with full jitter,
Retry-After, kernel command line parsing, progress lines."""
from __future__ import annotations

import email.utils
import time

import pytest

from ignite import cmdline
from ignite.errors import FetchError, UsageError
from ignite.resource.proxy import proxy_for
from ignite.resource.retry import Deadline, Retryable, parse_retry_after, with_retries

P = "http://proxy:3128"


@pytest.mark.parametrize(
    "url, no_proxy, expected",
    [
        ("http://example.com/c", (), P),
        ("http://127.0.0.1:8080/c", (), None),  # loopback is never proxied
        ("http://localhost/c", (), None),
        ("http://example.com/c", ("*",), None),
        ("http://example.com/c", ("example.com",), None),
        ("http://sub.example.com/c", ("example.com",), None),  # a domain covers its subdomains
        ("http://example.com/c", (".example.com",), P),  # .domain: subdomains only
        ("http://sub.example.com/c", (".example.com",), None),
        ("http://notexample.com/c", ("example.com",), P),
        ("http://10.1.2.3/c", ("10.0.0.0/8",), None),
        ("http://11.1.2.3/c", ("10.0.0.0/8",), P),
        ("http://10.1.2.3/c", ("10.1.2.3",), None),
        ("http://example.com:8080/c", ("example.com:8080",), None),
        ("http://example.com/c", ("example.com:8080",), P),  # the port must match
        ("http://example.com/c", ("a.org, example.com",), None),  # comma-joined entries
    ],
)
def test_http_proxy_and_no_proxy(url: str, no_proxy: tuple[str, ...], expected: str | None) -> None:
    assert proxy_for(url, P, None, no_proxy) == expected


def test_https_uses_https_proxy_only() -> None:
    assert proxy_for("https://example.com/c", P, None, ()) is None  # no fallback to httpProxy
    assert proxy_for("https://example.com/c", None, "https://sp:443", ()) == "https://sp:443"
    assert proxy_for("http://example.com/c", None, "https://sp:443", ()) is None
    assert proxy_for("http://example.com/c", "proxy:3128", None, ()) == "http://proxy:3128"


def _failing(times: int, retry_after: float | None = None):
    calls = {"n": 0}

    def attempt(deadline: Deadline) -> str:
        calls["n"] += 1
        if calls["n"] <= times:
            raise Retryable(FetchError("http://h/x", "connect", "refused"), retry_after)
        return "ok"

    return attempt, calls


def test_backoff_is_full_jitter_under_a_doubling_cap() -> None:
    sleeps: list[float] = []
    attempt, calls = _failing(8)
    assert with_retries(attempt, "http://h/x", Deadline(None), initial=0.2, cap=5.0, sleep=sleeps.append) == "ok"
    ceilings = [0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0, 5.0]
    assert len(sleeps) == 8
    assert all(0 <= s <= c for s, c in zip(sleeps, ceilings, strict=True))


def test_jitter_spreads_a_fleet() -> None:
    firsts = set()
    for _ in range(50):
        sleeps: list[float] = []
        with_retries(_failing(1)[0], "http://h/x", Deadline(None), sleep=sleeps.append)
        firsts.add(round(sleeps[0], 4))
    assert len(firsts) > 40


def test_retry_after_is_a_floor() -> None:
    sleeps: list[float] = []
    with_retries(_failing(1, retry_after=3.0)[0], "http://h/x", Deadline(None), sleep=sleeps.append)
    assert sleeps == [3.0]


def test_retry_after_beyond_the_deadline_fails_now() -> None:
    with pytest.raises(FetchError, match="unable to fetch resource in time"):
        with_retries(_failing(1, retry_after=60)[0], "http://h/x", Deadline(5), sleep=lambda s: None)


def test_a_wait_that_ends_past_the_deadline_still_names_the_last_cause() -> None:
    """A busy machine may wake the retry's sleep after the deadline: the error still says
    why the last attempt failed (this flaked in tests/fetch/test_http.py)."""
    deadline = Deadline(5)

    def overslept(seconds: float) -> None:
        deadline.at = time.monotonic() - 0.001

    with pytest.raises(FetchError, match=r"in time \(5 s, 1 attempts\); last error: connect: refused"):
        with_retries(_failing(3)[0], "http://h/x", deadline, initial=0.01, sleep=overslept)


def test_parse_retry_after() -> None:
    assert parse_retry_after("7") == 7.0
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= (parse_retry_after(when) or 0) <= 31
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_cmdline_values_and_flags() -> None:
    text = "BOOT_IMAGE=/vmlinuz ignition.config.url=http://a ignition.config.url=http://b x= ignition.firstboot quiet"
    args = cmdline.values(text)
    assert cmdline.config_url(args) == "http://b"  # a later occurrence wins
    assert "x" not in args and "quiet" not in args
    assert cmdline.flag(text, "ignition.firstboot")
    assert not cmdline.flag("ignition.firstboot=0", "ignition.firstboot")
    assert not cmdline.flag("", "ignition.firstboot")
    assert cmdline.config_url(cmdline.values("coreos.config.url=http://legacy")) == "http://legacy"
    assert cmdline.platform_id(cmdline.values("coreos.oem.id=ec2")) == "ec2"


@pytest.mark.parametrize(
    "text, seconds", [("90", 90), ("90s", 90), ("2m", 120), ("1m30s", 90), ("1.5h", 5400), ("500ms", 0.5)]
)
def test_durations(text: str, seconds: float) -> None:
    assert cmdline.parse_duration(text) == pytest.approx(seconds)
    assert cmdline.fetch_timeout({cmdline.FETCH_TIMEOUT: text}, 120) == pytest.approx(seconds)


def test_bad_duration() -> None:
    with pytest.raises(UsageError, match="invalid duration"):
        cmdline.parse_duration("2 minutes")


def test_long_downloads_show_progress_with_the_total(http_server, capfd, monkeypatch: pytest.MonkeyPatch) -> None:
    from ignite.config.model import Resource
    from ignite.resource import FetchSettings, fetch_bytes

    from .conftest import Reply

    monkeypatch.setattr("ignite.progress.FIRST_AFTER", 0.0)
    monkeypatch.setattr("ignite.progress.PROGRESS_INTERVAL", 0.0)
    http_server.route("/big", Reply(200, b"x" * (3 << 20)))
    fetch_bytes(Resource(source=http_server.url("/big")), FetchSettings(http_total=5))
    lines = capfd.readouterr().err.splitlines()
    assert any(f"fetching {http_server.url('/big')}: " in line and " of 3.0 MiB (" in line and "s left" in line
               for line in lines)
    assert f"fetched {http_server.url('/big')}: 3.0 MiB in" in lines[-1]


@pytest.mark.parametrize("headers, total, expect_headers, expect_total", [
    (None, None, 10.0, None), (0, 0, None, None), (-5, -1, None, None), (3, 60, 3.0, 60.0),
])
def test_timeouts_from_the_config(headers, total, expect_headers, expect_total) -> None:
    from ignite.config.model import Config, Ignition, Timeouts
    from ignite.resource import FetchSettings

    config = Config(
        ignition=Ignition(version="3.6.0", timeouts=Timeouts(http_response_headers=headers, http_total=total))
    )
    settings = FetchSettings.from_config(config)
    assert (settings.http_response_headers, settings.http_total) == (expect_headers, expect_total)


def test_proxy_and_cas_from_the_config(ca) -> None:
    import base64

    from ignite.config.model import TLS, Config, Ignition, Proxy, Resource, Security
    from ignite.resource import FetchSettings

    pem = ca.cert_pem.bytes()
    config = Config(
        ignition=Ignition(
            version="3.6.0",
            proxy=Proxy(http_proxy="http://p:3128", no_proxy=("a.org",)),
            security=Security(
                tls=TLS(certificate_authorities=(Resource(source="data:;base64," + base64.b64encode(pem).decode()),))
            ),
        )
    )
    settings = FetchSettings.from_config(config)
    assert settings.http_proxy == "http://p:3128" and settings.no_proxy == ("a.org",)
    assert settings.certificate_authorities == (pem,)
    bad = Config(
        ignition=Ignition(
            version="3.6.0", security=Security(tls=TLS(certificate_authorities=(Resource(source="data:,nope"),)))
        )
    )
    with pytest.raises(FetchError, match="unable to decode PEM block"):
        FetchSettings.from_config(bad)


def test_an_attempt_cut_short_by_the_deadline_reports_the_previous_cause() -> None:
    """The deadline interrupting an attempt is not the cause: the last real error is."""
    calls = {"n": 0}

    def attempt(deadline: Deadline) -> str:
        calls["n"] += 1
        if calls["n"] == 1:
            raise Retryable(FetchError("http://h/x", "http", "server answered 503"))
        deadline.at = time.monotonic()  # the deadline passes during this attempt
        raise Retryable(
            FetchError("http://h/x", "timeout", "timed out waiting for the response headers"), cut_short=True
        )

    with pytest.raises(FetchError) as err:
        with_retries(attempt, "http://h/x", Deadline(60), sleep=lambda s: None)
    assert "last error: http: server answered 503" in str(err.value)
