"""tftp:// against a real tftpy server on 127.0.0.1."""
from __future__ import annotations

import hashlib
import threading
import time

import pytest

from ignite.config.model import Resource, Verification
from ignite.errors import FetchError
from ignite.resource import FetchSettings, fetch_bytes

from .conftest import TftpServer, free_udp_port

FAST = FetchSettings(retry_initial=0.05, retry_max=0.2, http_total=10)


def test_tftp_download_with_hash(tftp_server) -> None:
    payload = bytes(range(256)) * 2000  # several hundred blocks
    (tftp_server.root / "boot").mkdir()
    (tftp_server.root / "boot" / "c.ign").write_bytes(payload)
    digest = "sha256-" + hashlib.sha256(payload).hexdigest()
    url = f"tftp://127.0.0.1:{tftp_server.port}/boot/c.ign"
    assert fetch_bytes(Resource(source=url, verification=Verification(digest)), FAST) == payload


def test_tftp_missing_file_is_not_found(tftp_server) -> None:
    with pytest.raises(FetchError) as err:
        fetch_bytes(Resource(source=f"tftp://127.0.0.1:{tftp_server.port}/nope"), FAST)
    assert err.value.kind == "notfound"


def test_tftp_server_appearing_late_is_retried(tmp_path) -> None:
    pytest.importorskip("tftpy")
    (tmp_path / "late.ign").write_bytes(b"{}")
    port = free_udp_port()
    servers: list[TftpServer] = []
    starter = threading.Timer(0.5, lambda: servers.append(TftpServer(str(tmp_path), port)))
    starter.start()
    try:
        assert fetch_bytes(Resource(source=f"tftp://127.0.0.1:{port}/late.ign"), FAST) == b"{}"
    finally:
        starter.join()
        for server in servers:
            server.close()


def test_tftp_dead_server_stops_at_the_deadline() -> None:
    pytest.importorskip("tftpy")
    started = time.monotonic()
    with pytest.raises(FetchError) as err:
        fetch_bytes(
            Resource(source=f"tftp://127.0.0.1:{free_udp_port()}/x"), FetchSettings(retry_initial=0.05, http_total=1.0)
        )
    assert time.monotonic() - started < 8
    assert err.value.kind == "timeout" and "unable to fetch resource in time" in str(err.value), err.value
