"""Hyper-V: key ignition.config (or ignition.config.0, .1, … concatenated) of KVP pool 0.

As upstream, ignite is the KVP client itself (hyperv_kvp: the hv_utils driver's
/dev/vmbus/hv_kvp; hv_utils is loaded if need be): no hv_kvp_daemon is needed. The host
sends the pairs once per boot, so the pools read are kept in /run/ignite/hyperv-kvp
(0600, hv_kvp_daemon's file format) for the later fetch stage and the files stage.

output_files() gives every pool as a File (0600, overwrite) for the files stage to write
into the target's /var/lib/hyperv, as upstream's FetchWithFiles; the fetch stage puts
them in the state's providerOutputFiles."""
from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

from ignite import distro
from ignite.errors import IgniteError, ProviderError
from ignite.providers import ProviderContext
from ignite.providers import hyperv_kvp as kvp

POOL_DIR_ENV = distro.HYPERV_KVP_DIR_ENV  # where the pools read are kept (tests: prepared pools)
POOL_DIR = distro.HYPERV_KVP_DIR
DEVICE_ENV = distro.HYPERV_KVP_DEVICE_ENV
DEVICE = distro.HYPERV_KVP_DEVICE
HV_UTILS_DRIVER = "/sys/bus/vmbus/drivers/hv_utils"


def read_pool(path: Path) -> dict[str, str]:
    return dict(kvp.decode_pool(path.read_bytes()))


def fetch(pctx: ProviderContext) -> bytes | None:
    pool_dir = Path(os.environ.get(POOL_DIR_ENV, POOL_DIR))
    pool = pool_dir / ".kvp_pool_0"
    if not pool.exists():
        _receive_pools(pool_dir)
    try:
        pairs = read_pool(pool)
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


def _receive_pools(pool_dir: Path) -> None:
    """Reads every pool from the KVP device and keeps them in `pool_dir`."""
    if not Path(HV_UTILS_DRIVER).exists() and DEVICE_ENV not in os.environ:
        from ignite.system.run import run

        try:
            run("modprobe", "hv_utils")
        except IgniteError as exc:
            raise ProviderError("hyperv", f"cannot load hv_utils: {exc}") from None
    device = os.environ.get(DEVICE_ENV, DEVICE)
    fd = _open_device(device)
    try:
        pools = kvp.receive(fd)
    except kvp.KvpError as exc:
        raise ProviderError("hyperv", f"{device}: {exc}") from None
    finally:
        os.close(fd)
    save_pools(pool_dir, pools)


def _open_device(device: str) -> int:
    try:
        return os.open(device, os.O_RDWR | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError as exc:
        raise ProviderError("hyperv", f"cannot open the KVP device {device}: {exc.strerror}") from None


def save_pools(pool_dir: Path, pools: kvp.Pools) -> None:
    try:
        pool_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        for number, pairs in sorted(pools.items()):
            target = pool_dir / f".kvp_pool_{number}"
            tmp = pool_dir / f".kvp_pool_{number}.tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(kvp.encode_pool(pairs))
            os.replace(tmp, target)
    except OSError as exc:
        raise ProviderError("hyperv", f"cannot keep the KVP pools in {pool_dir}: {exc.strerror}") from None


def output_files(pctx: ProviderContext) -> list[dict[str, Any]]:
    """The KVP pools as config File objects (JSON), for /var/lib/hyperv in the target."""
    pool_dir = Path(os.environ.get(POOL_DIR_ENV, POOL_DIR))
    files = []
    for pool in sorted(pool_dir.glob(".kvp_pool_[0-9]")):
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
