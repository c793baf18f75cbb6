"""What logs and errors may show of a URL: never credentials, never a data: URL's contents."""
from __future__ import annotations

import pytest

from ignite.config.model import Resource, Verification
from ignite.errors import FetchError, redact_url
from ignite.resource import fetch_bytes

REDACTIONS = [
        ("http://user:p@ssw0rd@host/c.ign", "http://***@host/c.ign"),
        ("https://u:a@b@c@example.com:8443/x?y=1#f", "https://***@example.com:8443/x?y=1#f"),
        ("http://user@host", "http://***@host"),
        ("http://host/path@not-userinfo", "http://host/path@not-userinfo"),
        ("http://u:pw@host?next=a@b", "http://***@host?next=a@b"),
        ("https://b.s3.amazonaws.com/k?X-Amz-Signature=abc123&versionId=2", "https://b.s3.amazonaws.com/k?X-Amz-Signature=***&versionId=2"),
        ("https://a.blob.core.windows.net/c/b?sv=2021&sig=S3CR3T%3D", "https://a.blob.core.windows.net/c/b?sv=2021&sig=***"),
        ("https://host/x?access_token=t0k&page=2", "https://host/x?access_token=***&page=2"),
        ("https://example.com/c.ign", "https://example.com/c.ign"),
        ("data:,SECRET", "data:,... (6 characters)"),
        ("data:text/plain;base64,U0VDUkVU", "data:text/plain;base64,... (8 characters)"),
        ("DATA:;base64,U0VDUkVU", "data:;base64,... (8 characters)"),
        ("data:SECRET-without-a-comma", "data:... (27 characters)"),
        ("", ""),
        ("oem:///x", "oem:///x"),
]


@pytest.mark.parametrize("url, shown", REDACTIONS)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_a_data_url_failing_its_hash_shows_no_contents() -> None:
    secret = "top-secret-file-contents"
    with pytest.raises(FetchError) as err:
        fetch_bytes(Resource(source=f"data:,{secret}", verification=Verification("sha256-" + "0" * 64)))
    assert err.value.kind == "hash" and secret not in str(err.value)


def test_an_invalid_data_url_shows_no_contents() -> None:
    with pytest.raises(FetchError) as err:
        fetch_bytes(Resource(source="data:;base64,c2VjcmV0-not-base64!!"))
    assert "c2VjcmV0" not in str(err.value) and "invalid data URL" in str(err.value)


def test_a_merged_data_config_that_does_not_parse_is_not_printed() -> None:
    import base64

    from ignite.config.model import Config, Ignition, IgnitionConfig, Resource
    from ignite.config.render import render_user_config
    from ignite.errors import ConfigError
    from ignite.resource import FetchSettings

    child = b'{"ignition": {"version": "3.4.0"}, "passwd": {"users": [{"name": "a", "passwordHash": "$6$HASH"}]}} x'
    source = "data:;base64," + base64.b64encode(child).decode()
    config = Config(ignition=Ignition(version="3.4.0", config=IgnitionConfig(merge=(Resource(source=source),))))
    with pytest.raises(ConfigError) as err:
        render_user_config(config, FetchSettings(), [])
    text = str(err.value)
    assert "$6$HASH" not in text and base64.b64encode(child).decode()[:40] not in text
    assert "data:;base64,..." in text and "line 1" in text


def test_a_header_with_a_line_break_is_rejected_by_validation_at_its_path() -> None:
    from ignite.config.parse import parse_report

    for version, path in (("3.4.0", "contents"), ("2.4.0", "contents")):
        files = [
            {"path": "/x", "contents": {"source": "http://h/x", "httpHeaders": [{"name": "A", "value": "v\r\nB: c"}]}}
        ]
        if version.startswith("2."):
            files[0]["filesystem"] = "root"
        import json

        data = json.dumps({"ignition": {"version": version}, "storage": {"files": files}}).encode()
        result = parse_report(data, source="c.ign")
        errors = [e for e in result.report.entries if e.kind == "error"]
        assert [(e.message, e.path) for e in errors] == [
            (
                "HTTP header names and values cannot contain CR, LF or NUL",
                ("storage", "files", 0, path, "httpHeaders", 0, "value"),
            )
        ], version


@pytest.mark.parametrize("url, shown", [(u, s) for u, s in REDACTIONS if u])
def test_a_url_inside_a_failure_message_is_redacted_by_the_same_rule(url: str, shown: str) -> None:
    """The report's scrub finds each URL in a message and applies redact_url to it: one rule."""
    from ignite.report import scrub

    assert scrub(f"fetching {url}: http: status 503") == f"fetching {shown}: http: status 503"
    assert scrub(f"({url}).") == f"({shown})."  # punctuation after a URL is not part of it
    assert scrub(scrub(url)) == scrub(url) == shown  # redact_url's output is left as it is


def test_a_command_error_quoting_a_url_with_credentials_is_scrubbed_for_the_report() -> None:
    """CommandError quotes its argv as it was; what leaves the machine is scrubbed."""
    from ignite.errors import CommandError
    from ignite.report import scrub

    url = "https://user:pa55@example.com/c.ign?X-Amz-Signature=S3CR3T&v=1"
    message = scrub(str(CommandError(["curl", "-fsS", url], 22, "curl: (22) 403")))
    assert "pa55" not in message and "S3CR3T" not in message and "user" not in message
    assert f"(command: curl -fsS '{redact_url(url)}')" in message
