"""data: URLs, the empty source, gzip and hash verification: the network-free pipeline."""
from __future__ import annotations

import base64
import gzip
import hashlib
import io

import pytest

from ignite.config.model import Resource, Verification
from ignite.errors import FetchError
from ignite.resource import FetchSettings, fetch, fetch_bytes
from ignite.resource.data import decode_data_url


def sha(data: bytes, fn: str = "sha512") -> str:
    return f"{fn}-{hashlib.new(fn, data).hexdigest()}"


def b64url(data: bytes, mediatype: str = "") -> str:
    return f"data:{mediatype};base64," + base64.b64encode(data).decode()


@pytest.mark.parametrize(
    "url, expected",
    [
        ("data:,", b""),
        ("data:,hello%20world", b"hello world"),
        ("data:text/plain;charset=utf-8,a%2Cb%0A", b"a,b\n"),
        ("data:;base64,aGVsbG8=", b"hello"),
        ("data:text/plain;charset=utf-8;base64,aGVsbG8=", b"hello"),
        ("data:text/plain;charset=\"x\",a", b"a"),
    ],
)
def test_data_url_decodes(url: str, expected: bytes) -> None:
    assert decode_data_url(url) == expected


def test_fast_base64_path_agrees_with_the_exact_decoder() -> None:
    from ignite.config.urls import decode_data_url as exact

    for payload in (b"", b"a", b"ab", b"abc", bytes(range(256)) * 3):
        url = b64url(payload, "application/octet-stream")
        assert decode_data_url(url) == exact(url) == payload


@pytest.mark.parametrize(
    # As Go's dataurl: unpadded base64, escapes inside base64 and an upper-case scheme are errors.
    "url", ["data:nocomma", "data:;base64,@@@@", "data:;base64,aGVsbG8", "data:;base64,aGVs%62G8=", "DATA:,x"]
)
def test_bad_data_url_is_a_clear_error(url: str) -> None:
    with pytest.raises(FetchError) as err:
        decode_data_url(url)
    assert err.value.kind == "data"


def test_empty_source_is_zero_bytes_and_no_hash_check() -> None:
    assert fetch_bytes(Resource(source="", verification=Verification("sha512-" + "0" * 128))) == b""


def test_null_source_is_an_error() -> None:
    with pytest.raises(FetchError, match="source is required"):
        fetch_bytes(Resource())


@pytest.mark.parametrize("fn", ["sha512", "sha256"])
def test_hash_matches_decompressed_bytes(fn: str) -> None:
    payload = b"ignite " * 50_000
    res = Resource(
        source=b64url(gzip.compress(payload)), compression="gzip", verification=Verification(sha(payload, fn))
    )
    assert fetch_bytes(res) == payload


def test_hash_of_compressed_bytes_is_a_mismatch() -> None:
    payload = b"x" * 1000
    packed = gzip.compress(payload)
    res = Resource(source=b64url(packed), compression="gzip", verification=Verification(sha(packed)))
    with pytest.raises(FetchError) as err:
        fetch_bytes(res)
    assert err.value.kind == "hash"
    assert "hash verification failed (calculated" in str(err.value)


def test_upper_case_hash_passes_for_files_but_not_for_configs() -> None:
    payload = b"config"
    upper = "sha256-" + hashlib.sha256(payload).hexdigest().upper()
    res = Resource(source="data:,config", verification=Verification(upper))
    assert fetch_bytes(res) == payload
    with pytest.raises(FetchError, match="hash verification failed"):
        fetch_bytes(res, exact_hash_case=True)


def test_multi_member_gzip() -> None:
    res = Resource(source=b64url(gzip.compress(b"one ") + gzip.compress(b"two")), compression="gzip")
    assert fetch_bytes(res) == b"one two"


@pytest.mark.parametrize(
    "blob, what",
    [
        (b"not gzip at all", "corrupt"),
        (gzip.compress(b"a" * 10_000, mtime=0)[:-12], "truncated"),
        (b"", "empty"),
    ],
)
def test_corrupt_gzip_is_a_clear_error(blob: bytes, what: str) -> None:
    with pytest.raises(FetchError) as err:
        fetch_bytes(Resource(source=b64url(blob), compression="gzip"))
    assert err.value.kind == "decompress"
    assert what in str(err.value)


def test_gzip_bomb_streams_in_bounded_chunks() -> None:
    bomb = gzip.compress(b"\0" * (64 << 20))

    class Sink(io.RawIOBase):
        largest = total = 0

        def write(self, b) -> int:  # type: ignore[override]
            Sink.largest = max(Sink.largest, len(b))
            Sink.total += len(b)
            return len(b)

    fetch(Resource(source=b64url(bomb), compression="gzip"), Sink(), FetchSettings())
    assert Sink.total == 64 << 20
    assert Sink.largest <= 1 << 20


def test_offline_refuses_network_schemes_but_reads_data() -> None:
    offline = FetchSettings(offline=True)
    assert fetch_bytes(Resource(source="data:,ok"), offline) == b"ok"
    for url in ("http://127.0.0.1/x", "https://h/x", "tftp://h/x", "s3://b/k", "gs://b/o"):
        with pytest.raises(FetchError) as err:
            fetch_bytes(Resource(source=url), offline)
        assert err.value.kind == "neednet"


def test_unknown_scheme() -> None:
    with pytest.raises(FetchError, match="unsupported source scheme 'ftp'"):
        fetch_bytes(Resource(source="ftp://h/x"))


def test_compression_with_s3_is_refused() -> None:
    with pytest.raises(FetchError, match="compression is not supported"):
        fetch_bytes(Resource(source="s3://b/k", compression="gzip"))


def test_errors_about_long_data_urls_stay_short() -> None:
    payload = b"y" * 100_000
    with pytest.raises(FetchError) as err:
        fetch_bytes(Resource(source=b64url(payload), verification=Verification("sha256-" + "0" * 64)))
    assert len(str(err.value)) < 300
