"""The Hyper-V KVP client against a stand-in for the hv_utils device: the other end of a
SOCK_SEQPACKET socket pair plays the kernel (one hv_kvp_msg per packet, as the device
reads and writes them)."""
from __future__ import annotations

import os
import socket
import struct
import threading
from pathlib import Path

import pytest

from ignite import providers
from ignite.providers import ProviderContext
from ignite.providers import hyperv_kvp as kvp
from ignite.resource import FetchSettings

CONFIG = '{"ignition":{"version":"3.4.0"}}'


class FakeKernel:
    """Answers a registration, then sends `pairs` (pool, key, value), one SET at a time,
    and an operation a provisioning client does not handle; records the answers."""

    def __init__(self, pairs: list[tuple[int, str, str]]):
        self.client, self.kernel = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.pairs = pairs
        self.answers: list[int] = []
        self.registered = b""
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.registered = self.kernel.recv(kvp.MSG_SIZE + 1)
        self.kernel.send(self.registered)  # the kernel echoes REGISTER1
        for pool, key, value in self.pairs:
            self.kernel.send(kvp.set_message(pool, key, value))
            self.answers.append(struct.unpack_from("<I", self.kernel.recv(kvp.MSG_SIZE + 1))[0])
        self.kernel.send(bytes([2]).ljust(kvp.MSG_SIZE, b"\0"))  # KVP_OP_GET: not ours
        self.answers.append(struct.unpack_from("<I", self.kernel.recv(kvp.MSG_SIZE + 1))[0])

    def close(self) -> None:
        self.kernel.close()


def test_register_then_collect_every_pool_answering_each_message() -> None:
    fake = FakeKernel([(0, "ignition.config", CONFIG), (3, "VirtualMachineName", "vm1"), (0, "other", "x")])
    fake.client.setblocking(False)
    try:
        pools = kvp.receive(fake.client.fileno(), poll_ms=300)
        fake.thread.join(5)
    finally:
        fake.client.close()
        fake.close()
    assert len(fake.registered) == kvp.MSG_SIZE and fake.registered[0] == kvp.OP_REGISTER1
    assert pools[0] == [("ignition.config", CONFIG), ("other", "x")]
    assert pools[3] == [("VirtualMachineName", "vm1")]
    assert sorted(pools) == [0, 1, 2, 3, 4]
    assert fake.answers == [kvp.HV_S_OK] * 3 + [kvp.HV_E_FAIL]


def test_fetch_reads_the_device_keeps_the_pools_and_outputs_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ignite.providers import hyperv

    fake = FakeKernel([(0, "ignition.config.0", CONFIG[:10]), (0, "ignition.config.1", CONFIG[10:]), (3, "k", "v")])
    fake.client.setblocking(False)
    monkeypatch.setenv("IGNITE_HYPERV_KVP_DIR", str(tmp_path / "kept"))
    monkeypatch.setenv("IGNITE_HYPERV_KVP_DEVICE", "/dev/vmbus/hv_kvp")
    monkeypatch.setattr(hyperv, "_open_device", lambda device: os.dup(fake.client.fileno()))
    pctx = ProviderContext("hyperv", FetchSettings())
    try:
        assert providers.get("hyperv").fetch(pctx) == CONFIG.encode()
    finally:
        fake.client.close()
        fake.close()
    kept = tmp_path / "kept" / ".kvp_pool_0"
    assert kept.stat().st_mode & 0o777 == 0o600
    # A later stage reads what was kept: the host does not send the pairs twice.
    monkeypatch.setattr(hyperv, "_open_device", lambda device: pytest.fail("the device is read once"))
    assert providers.get("hyperv").fetch(pctx) == CONFIG.encode()
    files = hyperv.output_files(pctx)
    assert [f["path"] for f in files] == [f"/var/lib/hyperv/.kvp_pool_{n}" for n in range(5)]
    assert all(f["mode"] == 0o600 for f in files)


def test_missing_device_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ignite.errors import ProviderError

    monkeypatch.setenv("IGNITE_HYPERV_KVP_DIR", str(tmp_path / "kept"))
    monkeypatch.setenv("IGNITE_HYPERV_KVP_DEVICE", str(tmp_path / "hv_kvp"))
    with pytest.raises(ProviderError, match="cannot open the KVP device"):
        providers.get("hyperv").fetch(ProviderContext("hyperv", FetchSettings()))
