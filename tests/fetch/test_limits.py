"""Bounded buffering against a real server on 127.0.0.1: an endless body and a gzip bomb
are refused at limits.MAX_BUFFERED_BYTES, a file download stops before the target
filesystem is full. The memory-hungry fetches run in a child process whose address
space is capped (so a regression fails there, not the shared machine); times are hang
guards only."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import zlib
from pathlib import Path

import pytest

from ignite.resource.limits import FREE_SPACE_RESERVE, FREE_SPACE_UNCHECKED_BYTES, MAX_BUFFERED_BYTES
from ignite.resource.pipeline import free_space_reserve

from .conftest import Reply, Server

REPO = Path(__file__).resolve().parents[2]

ADDRESS_SPACE = 2 << 30  # the child's cap: 16 times the buffer limit, far below the 3.5 GB of the bug
GUARD = 180.0


def endless(conn: socket.socket, stopped: threading.Event) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
    block = b"x" * (1 << 20)
    while not stopped.is_set():
        conn.sendall(block)


def in_child(code: str) -> subprocess.CompletedProcess[str]:
    """Runs `code` in a Python whose address space is capped; it prints the outcome."""
    prologue = f"import resource; resource.setrlimit(resource.RLIMIT_AS, ({ADDRESS_SPACE}, {ADDRESS_SPACE}))\n"
    return subprocess.run(
        [sys.executable, "-c", prologue + textwrap.dedent(code)], capture_output=True, text=True, timeout=GUARD,
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def test_an_endless_config_body_is_refused_at_the_limit(raw_server) -> None:
    server = raw_server(endless)
    result = in_child(f"""
        from ignite.config.model import Resource
        from ignite.errors import FetchError
        from ignite.resource import FetchSettings, fetch_bytes
        try:
            fetch_bytes(Resource(source={server.url('/config.ign')!r}), FetchSettings(http_total=120))
        except FetchError as e:
            print("refused:", e.kind, e)
    """)
    assert result.returncode == 0, result.stderr
    assert "refused: size" in result.stdout and f"more than {MAX_BUFFERED_BYTES >> 20} MiB" in result.stdout


def gzip_bomb(inflated: int) -> bytes:
    """`inflated` zero bytes, gzipped (about 1/1000 of that), without holding them."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    out = [packer.compress(block) for _ in range(inflated >> 20)]
    return b"".join(out) + packer.flush()


def test_a_gzip_bomb_as_merge_config_is_refused_as_it_inflates(http_server: Server) -> None:
    bomb = gzip_bomb(4 * MAX_BUFFERED_BYTES)
    assert len(bomb) < 2 << 20
    http_server.route("/bomb.ign", Reply(200, bomb))
    config = {
        "ignition": {
            "version": "3.4.0",
            "config": {"merge": [{"source": http_server.url("/bomb.ign"), "compression": "gzip"}]},
        }
    }
    result = in_child(f"""
        import json
        from ignite.config.parse import parse
        from ignite.errors import FetchError
        from ignite.resource import FetchSettings
        from ignite.config.render import render_user_config
        config = parse(json.dumps({config!r}).encode(), source="c.ign")
        try:
            render_user_config(config, FetchSettings(http_total=120), [])
        except FetchError as e:
            print("refused:", e.kind, e)
    """)
    assert result.returncode == 0, result.stderr
    assert "refused: size" in result.stdout and "/bomb.ign" in result.stdout


def test_gzipped_provider_user_data_is_bounded() -> None:
    from ignite.errors import ProviderError
    from ignite.providers.common import gunzip_if_gzip

    with pytest.raises(ProviderError, match=f"more than {MAX_BUFFERED_BYTES >> 20} MiB"):
        gunzip_if_gzip(gzip_bomb(MAX_BUFFERED_BYTES + (1 << 20)), "aws")
    assert gunzip_if_gzip(gzip_bomb(1 << 20), "aws") == bytes(1 << 20)


def test_a_provider_config_body_is_bounded(raw_server, monkeypatch: pytest.MonkeyPatch) -> None:
    from ignite.errors import FetchError
    from ignite.providers import ProviderContext
    from ignite.providers.common import http_get
    from ignite.resource import FetchSettings

    monkeypatch.setattr("ignite.resource.http.MAX_BUFFERED_BYTES", 8 << 20)  # the mechanism, without 128 MiB here
    server = raw_server(endless)
    with pytest.raises(FetchError) as err:
        http_get(ProviderContext("aws", FetchSettings(http_total=60)), server.url("/user-data"))
    assert err.value.kind == "size"


@pytest.mark.root
def test_a_file_download_stops_before_the_filesystem_is_full(raw_server, loopdevs, tmp_path: Path) -> None:
    from ignite.stages import StageContext, run_stage

    dev = loopdevs.create(96)
    loopdevs.mkfs(dev, "ext4")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    loopdevs.mount(dev, mnt)
    server = raw_server(endless)
    config = {
        "ignition": {"version": "3.4.0"},
        "storage": {"files": [{"path": "/big", "contents": {"source": server.url("/big")}}]},
    }
    cache = tmp_path / "ignition.json"
    cache.write_text(json.dumps(config))
    ctx = StageContext(stage="files", root=mnt, platform="metal", config_cache=cache, state_file=tmp_path / "state",
                       neednet_file=tmp_path / "neednet", cmdline_file=tmp_path / "cmdline")
    with pytest.raises(Exception) as err:
        run_stage(ctx)
    text = str(err.value)
    st = os.statvfs(mnt)
    reserve = free_space_reserve(st.f_blocks * st.f_frsize)
    assert 0 < reserve <= FREE_SPACE_RESERVE
    assert server.url("/big") in text and f"less than {reserve / (1 << 20):.1f} MiB free" in text
    assert st.f_bavail * st.f_frsize >= reserve - (1 << 20)
    assert not (mnt / "big").exists() and not [p for p in os.listdir(mnt) if p.startswith(".ignite-")]


@pytest.mark.root
def test_a_small_filesystem_still_takes_small_files(loopdevs, tmp_path: Path) -> None:
    """The reserve shrinks with the filesystem: a 16 MiB partition (less free than
    FREE_SPACE_RESERVE) still takes a small file, as with Ignition."""
    from ignite.stages import StageContext, run_stage

    dev = loopdevs.create(16)
    loopdevs.mkfs(dev, "ext4")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    loopdevs.mount(dev, mnt)
    config = {
        "ignition": {"version": "3.4.0"},
        "storage": {"files": [{"path": "/small", "contents": {"source": "data:,hello"}}]},
    }
    cache = tmp_path / "ignition.json"
    cache.write_text(json.dumps(config))
    run_stage(StageContext(stage="files", root=mnt, platform="metal", config_cache=cache, state_file=tmp_path / "state",
                           neednet_file=tmp_path / "neednet", cmdline_file=tmp_path / "cmdline"))
    assert (mnt / "small").read_text() == "hello"


def test_free_space_is_checked_only_past_the_first_bytes(
    http_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A few bytes of a data: URL cost no fstatvfs; a download past FREE_SPACE_UNCHECKED_BYTES
    is checked as it streams."""
    from ignite.stages import StageContext, run_stage

    checked: list[str] = []
    real = os.fstatvfs

    def fstatvfs(fd: int) -> os.statvfs_result:
        checked.append(os.path.basename(os.path.dirname(os.readlink(f"/proc/self/fd/{fd}"))))
        return real(fd)

    monkeypatch.setattr(os, "fstatvfs", fstatvfs)
    http_server.route("/big", Reply(200, bytes(4 * FREE_SPACE_UNCHECKED_BYTES)))
    config = {
        "ignition": {"version": "3.4.0"},
        "storage": {"files": [
            {"path": "/small/f", "contents": {"source": "data:," + "x" * (FREE_SPACE_UNCHECKED_BYTES // 2)}},
            {"path": "/big/f", "contents": {"source": http_server.url("/big")}},
        ]},
    }
    cache = tmp_path / "ignition.json"
    cache.write_text(json.dumps(config))
    root = tmp_path / "root"
    root.mkdir()
    run_stage(StageContext(stage="files", root=root, platform="metal", config_cache=cache,
                           state_file=tmp_path / "state", neednet_file=tmp_path / "neednet",
                           cmdline_file=tmp_path / "cmdline"))
    assert (root / "small/f").stat().st_size == FREE_SPACE_UNCHECKED_BYTES // 2
    assert (root / "big/f").stat().st_size == 4 * FREE_SPACE_UNCHECKED_BYTES
    assert "small" not in checked and "big" in checked


def test_a_tftp_transfer_is_bounded(tftp_server, monkeypatch: pytest.MonkeyPatch) -> None:
    """The spool (memory, then /tmp: RAM in an initramfs) stops at the cap (lowered here)."""
    from ignite.config.model import Resource
    from ignite.errors import FetchError
    from ignite.resource import FetchSettings, fetch_bytes

    monkeypatch.setattr("ignite.resource.tftp.MAX_BUFFERED_BYTES", 256 << 10, raising=False)
    (tftp_server.root / "big").write_bytes(b"b" * (1 << 20))
    with pytest.raises(FetchError) as err:
        fetch_bytes(Resource(source=f"tftp://127.0.0.1:{tftp_server.port}/big"), FetchSettings(http_total=30))
    assert err.value.kind == "size" and "/big" in str(err.value)
