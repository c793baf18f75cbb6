"""Deadlines hold while waiting on the socket: a server on 127.0.0.1 that trickles one
byte a second (never idle long enough for a per-recv timeout) cannot stretch the header
timeout, httpTotal or --fetch-timeout. The time bounds are hang guards, far above the
deadlines (the machine is shared); the old behaviour took minutes."""
from __future__ import annotations

import io
import socket
import threading
import time
from pathlib import Path

import pytest

from ignite.config.model import Config, Ignition, Resource, Timeouts
from ignite.errors import FetchError
from ignite.resource import FetchSettings, fetch, fetch_bytes
from ignite.resource.http import Client
from ignite.resource.retry import Deadline
from ignite.stages import StageContext, run_stage

from .conftest import read_request, trickle

HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nX-Padding: " + b"p" * 100 + b"\r\n\r\n"
GUARD = 20.0  # seconds; a trickled response here would take 100 s to 1000 s


def trickled_headers(conn: socket.socket, stopped: threading.Event) -> None:
    trickle(conn, HEAD + b"b" * 1000, 1.0, stopped)


def trickled_body(conn: socket.socket, stopped: threading.Event) -> None:
    conn.sendall(HEAD)
    trickle(conn, b"b" * 1000, 1.0, stopped)


def test_header_timeout_covers_the_whole_header_phase(raw_server) -> None:
    server = raw_server(trickled_headers)
    settings = FetchSettings(http_response_headers=2.0)
    started = time.monotonic()
    with Client(settings) as client, pytest.raises(FetchError) as err:
        client.get(server.url("/c"), {}, Deadline(None), max_attempts=1)
    assert time.monotonic() - started < GUARD
    assert err.value.kind == "timeout"
    assert "timed out waiting for the response headers (2 s)" in str(err.value)


def test_http_total_holds_while_the_body_trickles(raw_server) -> None:
    server = raw_server(trickled_body)
    started = time.monotonic()
    with pytest.raises(FetchError) as err:
        fetch_bytes(Resource(source=server.url("/c")), FetchSettings(http_response_headers=5.0, http_total=3.0))
    assert time.monotonic() - started < GUARD
    assert err.value.kind == "timeout" and "unable to fetch resource in time (3 s)" in str(err.value)


def test_http_total_holds_while_the_headers_trickle(raw_server) -> None:
    server = raw_server(trickled_headers)
    started = time.monotonic()
    with pytest.raises(FetchError) as err:
        fetch_bytes(Resource(source=server.url("/c")), FetchSettings(http_response_headers=None, http_total=3.0))
    assert time.monotonic() - started < GUARD
    assert err.value.kind == "timeout"


def test_a_file_download_ends_at_its_deadline(raw_server, tmp_path: Path) -> None:
    server = raw_server(trickled_body)
    started = time.monotonic()
    with open(tmp_path / "out", "wb") as out, pytest.raises(FetchError) as err:
        fetch(Resource(source=server.url("/f")), out, FetchSettings(http_total=3.0))
    assert time.monotonic() - started < GUARD
    assert err.value.kind == "timeout" and server.url("/f") in str(err.value)


def test_fetch_timeout_bounds_the_config_fetch(raw_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--fetch-timeout (the stage's fetch_timeout) while the config's body trickles."""
    for env in ("IGNITION_SYSTEM_RUNTIME_CONFIG_DIR", "IGNITION_SYSTEM_LOCAL_CONFIG_DIR", "IGNITION_SYSTEM_CONFIG_DIR"):
        monkeypatch.setenv(env, str(tmp_path / "sys"))
    server = raw_server(trickled_body)
    (tmp_path / "cmdline").write_text(f"ignition.config.url={server.url('/config.ign')}\n")
    ctx = StageContext(
        stage="fetch", root=tmp_path / "root", platform="metal", config_cache=tmp_path / "run" / "ignition.json",
        state_file=tmp_path / "run" / "state", neednet_file=tmp_path / "run" / "neednet",
        cmdline_file=tmp_path / "cmdline", fetch_timeout=3.0,
    )
    started = time.monotonic()
    with pytest.raises(Exception) as err:
        run_stage(ctx)
    assert time.monotonic() - started < GUARD
    assert "unable to fetch resource in time (3 s)" in str(err.value)


def test_files_get_a_finite_deadline_by_default() -> None:
    from ignite.resource.limits import FILE_FETCH_TIMEOUT
    from ignite.resource.settings import file_settings

    unset = Config(ignition=Ignition(version="3.4.0"))
    assert file_settings(unset).http_total == FILE_FETCH_TIMEOUT
    assert 0 < FILE_FETCH_TIMEOUT < float("inf")
    explicit = Config(ignition=Ignition(version="3.4.0", timeouts=Timeouts(http_total=7)))
    assert file_settings(explicit).http_total == 7.0


def test_the_files_stage_uses_the_default_deadline(raw_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file whose server trickles forever fails at the default deadline (shortened here)."""
    import json

    monkeypatch.setattr("ignite.resource.limits.FILE_FETCH_TIMEOUT", 3.0)
    server = raw_server(trickled_body)
    config = {
        "ignition": {"version": "3.4.0"},
        "storage": {"files": [{"path": "/slow", "contents": {"source": server.url("/slow")}}]},
    }
    cache = tmp_path / "ignition.json"
    cache.write_text(json.dumps(config))
    ctx = StageContext(
        stage="files", root=tmp_path / "root", platform="metal", config_cache=cache,
        state_file=tmp_path / "state", neednet_file=tmp_path / "neednet", cmdline_file=tmp_path / "cmdline",
    )
    (tmp_path / "root").mkdir()
    started = time.monotonic()
    with pytest.raises(Exception) as err:
        run_stage(ctx)
    assert time.monotonic() - started < GUARD
    assert "unable to fetch resource in time (3 s)" in str(err.value)
    assert not (tmp_path / "root" / "slow").exists()


class _SlowFile(io.FileIO):
    """What the TFTP server reads: one block every 0.4 s, never a packet timeout's length,
    so only a deadline checked at every packet can end the transfer."""

    def read(self, size: int = -1) -> bytes:
        time.sleep(0.4)
        return super().read(size)


def test_http_total_holds_for_a_trickling_tftp_server(tmp_path: Path) -> None:
    tftpy = pytest.importorskip("tftpy")
    data = tmp_path / "blocks"  # outside the served root: only then does tftpy ask dyn_file_func
    data.write_bytes(b"t" * 512 * 400)
    (tmp_path / "root").mkdir()
    server = tftpy.TftpServer(str(tmp_path / "root"), dyn_file_func=lambda name, **kw: _SlowFile(data, "rb"))
    thread = threading.Thread(
        target=server.listen, kwargs={"listenip": "127.0.0.1", "listenport": 0, "timeout": 0.2}, daemon=True
    )
    thread.start()
    try:
        assert server.is_running.wait(5)
        started = time.monotonic()
        with pytest.raises(FetchError) as err:
            fetch_bytes(Resource(source=f"tftp://127.0.0.1:{server.listenport}/slow"), FetchSettings(http_total=3.0))
        assert time.monotonic() - started < GUARD  # 400 blocks at 0.4 s: 160 s without the check
        assert err.value.kind == "timeout" and "unable to fetch resource in time (3 s)" in str(err.value)
    finally:
        server.stop(now=True)
        thread.join(5)


def test_http_total_holds_over_tls(raw_server, ca) -> None:
    """The watchdog shuts a TLS connection down as well (through the socket, not the TLS object)."""
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)

    def tls_trickle(conn: socket.socket, stopped: threading.Event) -> None:
        with context.wrap_socket(conn, server_side=True) as tls:
            read_request(tls)
            tls.sendall(HEAD)
            for _ in range(1000):
                if stopped.wait(1.0):
                    return
                tls.sendall(b"b")

    server = raw_server(tls_trickle, read_first=False)
    url = server.url("/c").replace("http://", "https://")
    started = time.monotonic()
    with pytest.raises(FetchError) as err:
        fetch_bytes(Resource(source=url), FetchSettings(http_total=3.0, certificate_authorities=(ca.cert_pem.bytes(),)))
    assert time.monotonic() - started < GUARD
    assert err.value.kind == "timeout" and "unable to fetch resource in time (3 s)" in str(err.value)
