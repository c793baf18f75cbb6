"""URL rules (Go's url.Parse, schemes per version, S3 and ARN) and RFC 2397 data URLs."""
from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from v3_validate_helpers import ORACLE, oracle, ours

from ignite.config.urls import (
    decode_data_url,
    parse_url,
    query_values,
    resource_schemes,
    validate_http_url,
    validate_url,
)
from ignite.errors import ConfigError


@pytest.mark.parametrize("url, scheme, host, path, query", [
    ("http://example.com:8080/a/b?x=1#frag", "http", "example.com:8080", "/a/b", "x=1"),
    ("HTTPS://Example.com", "https", "Example.com", "", ""),
    ("s3://bucket/key/with/slashes", "s3", "bucket", "/key/with/slashes", ""),
    ("tftp://10.0.0.1/pxelinux.0", "tftp", "10.0.0.1", "/pxelinux.0", ""),
    ("http://[::1]:80/", "http", "[::1]:80", "/", ""),
])
def test_parse_url_parts(url: str, scheme: str, host: str, path: str, query: str) -> None:
    parsed = parse_url(url)
    assert parsed is not None
    assert (parsed.scheme, parsed.host, parsed.path, parsed.raw_query) == (scheme, host, path, query)


def test_opaque_urls() -> None:
    assert parse_url("arn:aws:s3:::b/k?versionId=1").opaque == "aws:s3:::b/k"
    assert parse_url("data:,x").opaque == ",x"


@pytest.mark.parametrize("url", ["http://a b/", "http://h:x/", "http://h/%zz", "http://h/\x7f", ":nope", "1a:b",
                                 "http://[::1/", "http://u ser@h/", "http://h#%g0", "http://%01/"])
def test_parse_url_rejects_what_go_rejects(url: str) -> None:
    assert parse_url(url) is None


def test_query_values_skip_malformed_pairs() -> None:
    assert query_values(parse_url("s3://b/k?versionId=a&x=%zz&&y=1+2")) == {"versionId": ["a"], "y": ["1 2"]}


def test_schemes_by_version() -> None:
    assert resource_schemes(0) == {"http", "https", "tftp", "s3", "data"}
    assert resource_schemes(2) == resource_schemes(0) | {"gs"}
    assert resource_schemes(4) == resource_schemes(0) | {"gs", "arn"}
    assert validate_url("gs://b/o", 1) == "invalid url scheme"
    assert validate_url("gs://b/o", 2) is None
    assert validate_url("arn:aws:s3:::b/k", 3) == "invalid url scheme"
    assert validate_url("arn:aws:s3:::b/k", 4) is None


@pytest.mark.parametrize("arn, message", [
    ("arn:aws:s3:::bucket/key", None),
    ("arn:aws-cn:s3:::bucket/dir/key?versionId=v1", None),
    ("arn:aws:s3:us-east-1:123:accesspoint/ap/object/key", None),
    ("arn:aws:s3:::bucket", "invalid S3 ARN format"),
    ("arn:aws:s3:us-east-1:123:accesspoint/ap", "invalid S3 ARN format"),
    ("arn:aws:sqs:::q/x", "invalid S3 ARN format"),
    ("arn:aws:s3", "invalid S3 ARN format"),
    ("arn:aws:s3:::bucket/key?versionId=", "invalid S3 object VersionId"),
])
def test_arn_rules(arn: str, message: str | None) -> None:
    assert validate_url(arn, 6) == message


def test_tang_urls_http_only() -> None:
    assert validate_http_url("https://tang") is None
    assert validate_http_url("") == "invalid url scheme"
    assert validate_http_url("gs://x") == "invalid url scheme"
    assert validate_http_url("http://a b") == "unable to parse url"


@pytest.mark.parametrize("url, data", [
    ("data:,", b""),
    ("data:,Hello%2C%20World!", b"Hello, World!"),
    ("data:text/plain;charset=US-ASCII,a%0Ab", b"a\nb"),
    ("data:;base64,SGVsbG8sIFdvcmxkIQ==", b"Hello, World!"),
    ("data:application/octet-stream;base64,AAEC/w==", b"\x00\x01\x02\xff"),
    ("data:;base64,SGVs\nbG8=", b"Hello"),
    ('data:text/plain;name="a b",x', b"x"),
])
def test_decode_data_url(url: str, data: bytes) -> None:
    assert decode_data_url(url) == data


@pytest.mark.parametrize("url, message", [
    ("http://x", "missing data prefix"),
    ("data:", "missing comma before data"),
    ("data:text", "missing media type slash"),
    ("data:foo/bar,x", "invalid media type"),
    ("data:;base64,SGVsbG8", "illegal base64 data at input byte 4"),
    ("data:;base64,S", "illegal base64 data at input byte 0"),
    ("data:;base64,SGVsbG8=x", "illegal base64 data at input byte 8"),
    ("data:;bas,x", "expected base64, got bas"),
    ("data:,%4", "rfc2396: unexpected end of unescape sequence"),
    ("data:,a b", "invalid data character"),
])
def test_decode_data_url_errors(url: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        decode_data_url(url)
    assert err.value.message == message


def _random_data_urls(count: int) -> list[str]:
    rng = random.Random(2397)
    pieces = [
        "text/plain",
        "x-a/b",
        "a/b",
        "image/png",
        ";",
        ",",
        "=",
        '"',
        "\\",
        "base64",
        "charset",
        "utf-8",
        "%",
        "%2",
        "%20",
        "SGVs",
        "bG8=",
        "=",
        "\n",
        "Zm9v",
        "a",
        " ",
        "/",
        "<",
    ]
    return ["data:" + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 7))) for _ in range(count)]


@pytest.mark.oracle
@pytest.mark.skipif(not ORACLE.exists(), reason="Debian's ignition-validate is not unpacked (run `make oracle`)")
def test_random_data_urls_judged_like_ignition_validate() -> None:
    sources = _random_data_urls(600)
    cfg = {"ignition": {"version": "3.3.0"},
           "storage": {"files": [{"path": f"/f{i}", "contents": {"source": s}} for i, s in enumerate(sources)]}}
    _, theirs = oracle(cfg)
    mine = ours(cfg)
    errors = sorted(e for e in mine if e[0] == "error" and e[2] != "duplicate entry defined")
    assert errors == sorted(e for e in theirs if e[0] == "error" and e[2] != "duplicate entry defined")
    assert len({m for _, _, m in errors}) > 8  # many different decoder errors are exercised
