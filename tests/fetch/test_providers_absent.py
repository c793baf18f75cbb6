"""When a platform's channel fails rather than holds no config: the rule of each
platform, as upstream (see docs/platforms.md). Tools that fail are stand-in scripts."""
from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from ignite import providers
from ignite.errors import ProviderError
from ignite.providers import ProviderContext
from ignite.resource import FetchSettings


def pctx(platform: str) -> ProviderContext:
    return ProviderContext(platform, FetchSettings(http_total=5))


def failing_tool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, message: str) -> None:
    script = tmp_path / f"fail-{name}"
    script.write_text(f"#!/bin/sh\necho '{message}' >&2\nexit 1\n")
    script.chmod(0o755)
    monkeypatch.setenv(f"IGNITE_TOOL_{name.upper()}", str(script))


def test_qemu_fw_cfg_module_that_will_not_load_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IGNITE_QEMU_FW_CFG", str(tmp_path / "qemu_fw_cfg"))  # not there: modprobe is tried
    failing_tool(tmp_path, monkeypatch, "modprobe", "modprobe: FATAL: Module qemu_fw_cfg not found")
    with pytest.raises(ProviderError, match="cannot load the kernel module qemu_fw_cfg.*not found"):
        providers.get("qemu").fetch(pctx("qemu"))


def test_qemu_preload_loads_fw_cfg_and_leaves_a_failure_to_fetch(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Before fetch-offline's flag the module is loaded; one that will not load is not an
    error there, but in fetch, with the same message as without the preload."""
    root = tmp_path / "qemu_fw_cfg"
    monkeypatch.setenv("IGNITE_QEMU_FW_CFG", str(root))
    monkeypatch.setenv("IGNITE_UDEV_QUEUE", str(tmp_path / "no-udev-queue"))  # udev idle: nothing to wait for
    calls = tmp_path / "calls"
    script = tmp_path / "modprobe"
    script.write_text(f"#!/bin/sh\necho \"$@\" >> {calls}\nmkdir -p {root}/by_name\n")
    script.chmod(0o755)
    monkeypatch.setenv("IGNITE_TOOL_MODPROBE", str(script))
    qemu = providers.get("qemu")
    qemu.preload()  # type: ignore[attr-defined]
    assert calls.read_text() == "qemu_fw_cfg\n" and root.is_dir()
    qemu.preload()  # type: ignore[attr-defined]
    assert qemu.fetch(pctx("qemu")) is None  # no config in fw_cfg
    assert calls.read_text() == "qemu_fw_cfg\n"  # loaded once

    shutil.rmtree(root)  # a fresh boot whose module will not load
    failing_tool(tmp_path, monkeypatch, "modprobe", "modprobe: FATAL: Module qemu_fw_cfg not found")
    qemu.preload()  # type: ignore[attr-defined]
    with pytest.raises(ProviderError, match="cannot load the kernel module qemu_fw_cfg.*not found"):
        qemu.fetch(pctx("qemu"))


def modprobe_recorder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, root: Path) -> Path:
    calls = tmp_path / "calls"
    script = tmp_path / "modprobe"
    script.write_text(f"#!/bin/sh\necho \"$@\" >> {calls}\nmkdir -p {root}/by_name\n")
    script.chmod(0o755)
    monkeypatch.setenv("IGNITE_TOOL_MODPROBE", str(script))
    return calls


def test_qemu_preload_leaves_the_module_to_a_busy_udev(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """While udev has events queued (the coldplug, which loads qemu_fw_cfg itself), the
    preload waits for fw_cfg's folder instead of starting a modprobe of its own."""
    root = tmp_path / "qemu_fw_cfg"
    queue = tmp_path / "udev-queue"
    queue.write_text("")
    monkeypatch.setenv("IGNITE_QEMU_FW_CFG", str(root))
    monkeypatch.setenv("IGNITE_UDEV_QUEUE", str(queue))
    calls = modprobe_recorder(tmp_path, monkeypatch, root)
    timer = threading.Timer(0.2, lambda: (root / "by_name").mkdir(parents=True))
    timer.start()
    try:
        providers.get("qemu").preload()  # type: ignore[attr-defined]
    finally:
        timer.cancel()
    assert root.is_dir() and not calls.exists()


@pytest.mark.parametrize("udev", ["goes idle", "stays busy"])
def test_qemu_preload_loads_the_module_when_udev_did_not(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         udev: str) -> None:
    root = tmp_path / "qemu_fw_cfg"
    queue = tmp_path / "udev-queue"
    queue.write_text("")
    monkeypatch.setenv("IGNITE_QEMU_FW_CFG", str(root))
    monkeypatch.setenv("IGNITE_UDEV_QUEUE", str(queue))
    from ignite.providers import qemu

    monkeypatch.setattr(qemu, "UDEV_WAIT", 0.5)
    calls = modprobe_recorder(tmp_path, monkeypatch, root)
    timer = threading.Timer(0.1, queue.unlink)
    if udev == "goes idle":
        timer.start()
    try:
        qemu.preload()
    finally:
        timer.cancel()
    assert calls.read_text() == "qemu_fw_cfg\n" and root.is_dir()


def test_qemu_virtio_blk_module_that_will_not_load_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IGNITE_QEMU_BLOCK_DEVICE", str(tmp_path / "virtio-ignition"))
    monkeypatch.setattr("ignite.providers.qemu.VIRTIO_BLK_DRIVER", str(tmp_path / "no-driver"))
    failing_tool(tmp_path, monkeypatch, "modprobe", "modprobe: FATAL: Module virtio_blk not found")
    with pytest.raises(ProviderError, match="virtio_blk"):
        providers.get("qemu").fetch(pctx("qemu"))


@pytest.fixture
def unmountable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Both config drive labels present, neither mountable."""
    labels = tmp_path / "by-label"
    labels.mkdir()
    for label in ("cidata", "config-2"):
        (labels / label).write_bytes(b"not a filesystem")
    monkeypatch.setenv("IGNITE_DISK_BY_LABEL", str(labels))
    failing_tool(tmp_path, monkeypatch, "mount", "mount: wrong fs type, bad option, bad superblock")
    return labels


@pytest.mark.parametrize("platform", ["kubevirt", "ibmcloud", "proxmoxve"])
def test_drive_failures_are_no_config_where_upstream_continues(unmountable: Path, platform: str) -> None:
    assert providers.get(platform).fetch(pctx(platform)) is None


@pytest.mark.parametrize("platform", ["nutanix", "powervs"])
def test_drive_failures_are_errors_where_upstream_fails(unmountable: Path, platform: str) -> None:
    with pytest.raises(ProviderError, match="cannot mount"):
        providers.get(platform).fetch(pctx(platform))
