"""Hyper-V: key ignition.config (or ignition.config.0, .1, … concatenated) of KVP pool 0.

Ignition reads the pool through the kernel's hv_kvp device itself; here the pool files
that hv_kvp_daemon keeps (/var/lib/hyperv/.kvp_pool_N: records of a 512-byte key and a
2048-byte value, NUL padded) are read, so the daemon must run in the initramfs.

output_files() gives every pool as a File (0600, overwrite) for the files stage to write
into the target, as upstream's FetchWithFiles; the fetch stage puts them in the state's
providerOutputFiles."""
from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

from ignite import distro
from ignite.errors import IgniteError, ProviderError
from ignite.providers import ProviderContext

POOL_DIR_ENV = distro.HYPERV_KVP_DIR_ENV
POOL_DIR = distro.HYPERV_KVP_DIR
KEY_SIZE, VALUE_SIZE = 512, 2048


def read_pool(path: Path) -> dict[str, str]:
    data = path.read_bytes()
    record = KEY_SIZE + VALUE_SIZE
    pairs = {}
    for offset in range(0, len(data) - record + 1, record):
        key = data[offset:offset + KEY_SIZE].split(b"\0", 1)[0].decode(errors="replace")
        value = data[offset + KEY_SIZE:offset + record].split(b"\0", 1)[0].decode(errors="replace")
        if key:
            pairs[key] = value
    return pairs


def fetch(pctx: ProviderContext) -> bytes | None:
    pool_dir = Path(os.environ.get(POOL_DIR_ENV, POOL_DIR))
    if not Path("/sys/bus/vmbus/drivers/hv_utils").exists() and POOL_DIR_ENV not in os.environ:
        from ignite.system.run import run

        try:
            run("modprobe", "hv_utils")
        except IgniteError as exc:
            raise ProviderError("hyperv", f"cannot load hv_utils: {exc}") from None
    pool = pool_dir / ".kvp_pool_0"
    try:
        pairs = read_pool(pool)
    except FileNotFoundError:
        raise ProviderError("hyperv", f"no KVP pool at {pool}: is hv_kvp_daemon running?") from None
    except OSError as exc:
        raise ProviderError("hyperv", f"cannot read {pool}: {exc.strerror}") from None
    value = pairs.get("ignition.config", "")
    if not value:
        parts, index = [], 0
        while f"ignition.config.{index}" in pairs:
            parts.append(pairs[f"ignition.config.{index}"])
            index += 1
        value = "".join(parts)
    return value.encode() or None


def output_files(pctx: ProviderContext) -> list[dict[str, Any]]:
    """The KVP pools as config File objects (JSON), for /var/lib/hyperv in the target."""
    pool_dir = Path(os.environ.get(POOL_DIR_ENV, POOL_DIR))
    files = []
    for pool in sorted(pool_dir.glob(".kvp_pool_[0-9]*")):
        try:
            data = pool.read_bytes()
        except OSError as exc:
            raise ProviderError("hyperv", f"cannot read {pool}: {exc.strerror}") from None
        files.append({
            "path": f"/var/lib/hyperv/{pool.name}",
            "overwrite": True,
            "mode": 0o600,
            "contents": {"source": "data:;base64," + base64.b64encode(data).decode()},
        })
    return files
