"""QEMU: the config in fw_cfg (x86_64, aarch64, …) or, on s390x and ppc64le, on the
virtio block device with the serial "ignition"."""
from __future__ import annotations

import os
import time

from ignite import distro
from ignite.errors import IgniteError, ProviderError
from ignite.log import get_logger
from ignite.providers import ProviderContext

# Neither logging nor platform (~10 ms together here, over 0.1 s of an emulated boot):
# fetch-offline reads this provider on every qemu first boot.
log = get_logger("ignite.providers")
FW_CFG_ENV = distro.QEMU_FW_CFG_ENV  # tests: a folder shaped like /sys/firmware/qemu_fw_cfg
FW_CFG = distro.QEMU_FW_CFG
ENTRY = "by_name/opt/com.coreos/config"
BLOCK_DEVICE_ENV = distro.QEMU_BLOCK_DEVICE_ENV
BLOCK_DEVICE = distro.QEMU_BLOCK_DEVICE
VIRTIO_BLK_DRIVER = "/sys/bus/virtio/drivers/virtio_blk"
BLOCK_POLL, BLOCK_TIMEOUT = 5.0, 300.0
UDEV_POLL, UDEV_WAIT = 0.05, 3.0  # the preload's wait for udev to load qemu_fw_cfg
READ_CHUNK = 1 << 20  # fw_cfg reads are slow per call: few, large reads


def fetch(pctx: ProviderContext) -> bytes | None:
    device = _block_device()
    if device is not None:
        return _from_block_device(device)
    return _from_fw_cfg(os.environ.get(FW_CFG_ENV, FW_CFG))


def _block_device() -> str | None:
    """The block device that holds the config on this machine, or None: fw_cfg."""
    if BLOCK_DEVICE_ENV in os.environ:
        return os.environ[BLOCK_DEVICE_ENV]
    if os.uname().machine in ("s390x", "ppc64le") and FW_CFG_ENV not in os.environ:
        return BLOCK_DEVICE
    return None


def preload() -> bytes | None:
    """Before fetch-offline's flag (see ignite.stages.fetch.preload): the fw_cfg module
    loaded (a runner and a modprobe: ~0.1 s of an emulated boot), as `fetch` would load
    it, and the config read, for `fetch` to take (fw_cfg does not change while the machine
    runs). Returns that config. Whatever fails or would be logged (no config, a big one)
    is left for `fetch` to meet, and report, after the flag."""
    if _block_device() is not None:
        return None
    root = os.environ.get(FW_CFG_ENV, FW_CFG)
    if not _loaded_by_udev(root):
        try:
            _modprobe("qemu_fw_cfg")
        except IgniteError:
            return None
    entry = os.path.join(root, ENTRY)
    try:
        size = _read_size(entry)
        if size > 1 << 20:
            return None
        data = _read_raw(entry, size)
    except (OSError, ValueError, IgniteError):
        return None
    if data:
        _early[root] = data
    return data or None


def _loaded_by_udev(root: str) -> bool:
    """Whether fw_cfg's folder is there, waiting for it while udev has events queued (at
    most UDEV_WAIT s): udev's coldplug loads qemu_fw_cfg for its ACPI device, in its own
    process, and the stage's set-up would wait for the boot disk next anyway. A modprobe
    that races it costs a process of this stage's own: 0.05-0.1 s of CPU under TCG, where
    the boot's one vCPU is never idle."""
    queue = distro.env(distro.UDEV_QUEUE_ENV, distro.UDEV_QUEUE)
    deadline = time.monotonic() + UDEV_WAIT
    while not os.path.exists(root):
        if not os.path.exists(queue) or time.monotonic() >= deadline:
            return False
        time.sleep(UDEV_POLL)
    return True


_early: dict[str, bytes] = {}  # fw_cfg folder -> the config `preload` read from it


def _from_fw_cfg(root: str) -> bytes | None:
    early = _early.pop(root, None)
    if early is not None:
        return early
    if not os.path.exists(root):
        _modprobe("qemu_fw_cfg")
    entry = os.path.join(root, ENTRY)
    try:
        size = _read_size(entry)
    except FileNotFoundError:
        log.info("qemu: no config in fw_cfg (%s)", entry)
        return None
    except (OSError, ValueError) as exc:
        raise ProviderError("qemu", f"cannot read the fw_cfg size of {entry}: {exc}") from None
    if size > 1 << 20:
        log.warning("qemu: the fw_cfg config is %d bytes; fw_cfg reads are slow, this may take a while", size)
    return _read_raw(entry, size) or None


def _read_size(entry: str) -> int:
    with open(os.path.join(entry, "size")) as f:
        return int(f.read().strip())


def _read_raw(entry: str, size: int) -> bytes:
    data = bytearray()
    raw_path = os.path.join(entry, "raw")
    try:
        with open(raw_path, "rb", buffering=0) as raw:
            while len(data) < size:
                chunk = raw.read(min(READ_CHUNK, size - len(data)))
                if not chunk:
                    break
                data += chunk
    except OSError as exc:
        raise ProviderError("qemu", f"cannot read {raw_path}: {exc.strerror}") from None
    if len(data) != size:
        raise ProviderError("qemu", f"fw_cfg config is truncated: read {len(data)} of {size} bytes")
    return bytes(data)


def _from_block_device(device: str) -> bytes | None:
    if not os.path.exists(VIRTIO_BLK_DRIVER):
        _modprobe("virtio_blk")
    end = time.monotonic() + BLOCK_TIMEOUT
    while not os.path.exists(device):
        if time.monotonic() >= end:
            raise ProviderError("qemu", f"config device {device} did not appear within {BLOCK_TIMEOUT:g} s")
        time.sleep(BLOCK_POLL)
    try:
        with open(device, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise ProviderError("qemu", f"cannot read {device}: {exc.strerror}") from None
    return data.rstrip(b"\0") or None


def _modprobe(module: str) -> None:
    """A module that will not load is an error, as upstream: without it the config could
    not be seen, and booting on with an empty one would hide that."""
    from ignite.system.run import run

    try:
        run("modprobe", module)
    except IgniteError as exc:
        raise ProviderError("qemu", f"cannot load the kernel module {module}: {exc}") from None
