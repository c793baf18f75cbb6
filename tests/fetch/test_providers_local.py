"""Platforms whose channel is local: file, metal, qemu fw_cfg / block device, config
drives (a real loop-mounted image with the right label), Hyper-V KVP pool files, z/VM
listings, VMware encodings, BlueField FIFO."""
from __future__ import annotations

import base64
import gzip
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ignite import providers
from ignite.errors import ProviderError
from ignite.providers import ProviderContext
from ignite.resource import FetchSettings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/, for blockdev
from blockdev import LoopDevices, missing_requirements

CONFIG = b'{"ignition":{"version":"3.4.0"}}'


def pctx(platform: str, config_file: str | None = None) -> ProviderContext:
    return ProviderContext(platform, FetchSettings(http_total=5), config_file)


def test_file_platform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "c.ign").write_bytes(CONFIG)
    assert providers.get("file").fetch(pctx("file", str(tmp_path / "c.ign"))) == CONFIG
    monkeypatch.setenv("IGNITION_CONFIG_FILE", str(tmp_path / "c.ign"))
    assert providers.get("file").fetch(pctx("file")) == CONFIG
    (tmp_path / "empty.ign").write_bytes(b"")
    assert providers.get("file").fetch(pctx("file", str(tmp_path / "empty.ign"))) is None
    with pytest.raises(ProviderError, match="cannot read the config file"):
        providers.get("file").fetch(pctx("file", str(tmp_path / "missing.ign")))


def test_metal_has_no_channel() -> None:
    assert providers.get("metal").fetch(pctx("metal")) is None


def test_qemu_fw_cfg_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = tmp_path / "by_name" / "opt" / "com.coreos" / "config"
    entry.mkdir(parents=True)
    big = CONFIG + b" " * (3 << 20)  # several reads
    (entry / "raw").write_bytes(big)
    (entry / "size").write_text(f"{len(big)}\n")
    monkeypatch.setenv("IGNITE_QEMU_FW_CFG", str(tmp_path))
    assert providers.get("qemu").fetch(pctx("qemu")) == big
    (entry / "size").write_text(f"{len(big) + 10}\n")
    with pytest.raises(ProviderError, match="truncated"):
        providers.get("qemu").fetch(pctx("qemu"))
    (entry / "size").unlink()
    assert providers.get("qemu").fetch(pctx("qemu")) is None


def test_qemu_preload_reads_the_config_for_fetch_to_take(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    """fw_cfg does not change while the machine runs: fetch-offline reads it before its
    flag, and fetch takes that; what would be logged (a big config, none) is left to fetch."""
    entry = tmp_path / "by_name" / "opt" / "com.coreos" / "config"
    entry.mkdir(parents=True)
    (entry / "raw").write_bytes(CONFIG)
    (entry / "size").write_text(f"{len(CONFIG)}\n")
    monkeypatch.setenv("IGNITE_QEMU_FW_CFG", str(tmp_path))
    qemu = providers.get("qemu")
    assert qemu.preload() == CONFIG  # type: ignore[attr-defined]
    (entry / "raw").write_bytes(b"x" * len(CONFIG))  # (a stand-in tree can change; fw_cfg cannot)
    assert qemu.fetch(pctx("qemu")) == CONFIG
    assert qemu.fetch(pctx("qemu")) == b"x" * len(CONFIG)  # taken once

    big = CONFIG + b" " * (1 << 20)
    (entry / "raw").write_bytes(big)
    (entry / "size").write_text(f"{len(big)}\n")
    assert qemu.preload() is None  # type: ignore[attr-defined]
    with caplog.at_level("WARNING"):
        assert qemu.fetch(pctx("qemu")) == big
    assert "this may take a while" in caplog.text
    (entry / "size").unlink()
    assert qemu.preload() is None  # type: ignore[attr-defined]
    with caplog.at_level("INFO"):
        assert qemu.fetch(pctx("qemu")) is None
    assert "no config in fw_cfg" in caplog.text


def test_qemu_block_device_strips_trailing_nuls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    device = tmp_path / "virtio-ignition"
    device.write_bytes(CONFIG + b"\0" * 4096)
    monkeypatch.setenv("IGNITE_QEMU_BLOCK_DEVICE", str(device))
    assert providers.get("qemu").fetch(pctx("qemu")) == CONFIG


def test_hyperv_kvp_pool_split_value(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def record(key: str, value: str) -> bytes:
        return key.encode().ljust(512, b"\0") + value.encode().ljust(2048, b"\0")

    text = CONFIG.decode()
    pool = record("other", "x") + record("ignition.config.0", text[:10]) + record("ignition.config.1", text[10:])
    (tmp_path / ".kvp_pool_0").write_bytes(pool)
    monkeypatch.setenv("IGNITE_HYPERV_KVP_DIR", str(tmp_path))
    assert providers.get("hyperv").fetch(pctx("hyperv")) == CONFIG
    (tmp_path / ".kvp_pool_0").write_bytes(record("other", "x"))
    assert providers.get("hyperv").fetch(pctx("hyperv")) is None


def test_zvm_spool_listing() -> None:
    from ignite.providers.zvm import spool_file

    listing = (
        "ORIGINID FILE  CLASS RECORDS  CPY HOLD DATE  TIME     NAME      TYPE     DIST\n"
        "T6360025 0463  V DISK 00000003 001 NONE 06/11 15:07:42 vmlinuz   rdr      T6360025\n"
        "T6360025 0464  V DISK 00000010 001 NONE 06/11 15:07:43 config    ign      T6360025\n"
    )
    assert spool_file(listing) == ("0464", "config")
    assert spool_file(listing.splitlines()[0]) is None


@pytest.mark.parametrize(
    "encoding, data",
    [
        ("", CONFIG.decode()),
        ("base64", base64.b64encode(CONFIG).decode()),
        ("b64", base64.b64encode(CONFIG).decode()),
        ("gzip+base64", base64.b64encode(gzip.compress(CONFIG, mtime=0)).decode()),
        ("gz+b64", base64.b64encode(gzip.compress(CONFIG, mtime=0)).decode()),
    ],
)
def test_vmware_encodings(encoding: str, data: str) -> None:
    from ignite.providers.vmware import decode

    assert decode(data, encoding) == CONFIG


def test_vmware_unknown_encoding_and_outside_vmware(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ignite.providers.vmware import decode

    with pytest.raises(ProviderError, match="unsupported guestinfo encoding"):
        decode("x", "rot13")
    (tmp_path / "sys_vendor").write_text("QEMU\n")
    monkeypatch.setenv("IGNITE_DMI_DIR", str(tmp_path))
    with pytest.raises(ProviderError, match="not running in a VMware"):
        providers.get("vmware").fetch(pctx("vmware"))


def test_vmware_without_its_host_tool_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sys_vendor").write_text("VMware, Inc.\n")
    monkeypatch.setenv("IGNITE_DMI_DIR", str(tmp_path))
    monkeypatch.setenv("IGNITE_TOOL_VMWARE_RPCTOOL", str(tmp_path / "no-such-tool"))
    with pytest.raises(ProviderError, match="needs vmware-rpctool"):
        providers.get("vmware").fetch(pctx("vmware"))


def test_virtualbox_without_guest_additions_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IGNITE_TOOL_VBOXCONTROL", str(tmp_path / "no-such-tool"))
    with pytest.raises(ProviderError, match="needs VBoxControl"):
        providers.get("virtualbox").fetch(pctx("virtualbox"))


def test_bluefield_fifo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fifo = tmp_path / "bootfifo"
    fifo.write_bytes(CONFIG[:5] + b"\0\0" + CONFIG[5:])
    monkeypatch.setenv("IGNITE_BLUEFIELD_BOOTFIFO", str(fifo))
    assert providers.get("nvidiabluefield").fetch(pctx("nvidiabluefield")) == CONFIG
    fifo.write_bytes(b"\0\0")
    with pytest.raises(ProviderError, match="empty"):
        providers.get("nvidiabluefield").fetch(pctx("nvidiabluefield"))


def test_ibmcloud_without_drive_is_no_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IGNITE_DISK_BY_LABEL", str(tmp_path))
    monkeypatch.setattr("ignite.providers.ibmcloud.WAIT", 0.1)
    assert providers.get("ibmcloud").fetch(pctx("ibmcloud")) is None


# --- config drives on real loop devices --------------------------------------------------


def drive(loopdevs: LoopDevices, tmp_path: Path, label: str, files: dict[str, bytes]) -> str:
    """An ext4 image labelled `label` holding `files`, attached; returns the loop device."""
    if shutil.which("mkfs.ext4") is None:
        pytest.skip("needs mkfs.ext4")
    tree = tmp_path / f"tree-{label}"
    for rel, data in files.items():
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_bytes(data)
    tree.mkdir(exist_ok=True)
    image = loopdevs.image(8, f"{label}.img")
    subprocess.run(["mkfs.ext4", "-q", "-F", "-L", label, "-d", str(tree), str(image)], check=True)
    device = loopdevs.attach(image)
    links = tmp_path / "by-label"
    links.mkdir(exist_ok=True)
    (links / label).symlink_to(device)
    return device


@pytest.fixture
def labels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    why = missing_requirements()
    if why:
        pytest.skip(why)
    monkeypatch.setenv("IGNITE_DISK_BY_LABEL", str(tmp_path / "by-label"))
    return tmp_path


def _mounted_from(device: str) -> bool:
    return device in Path("/proc/self/mounts").read_text()


def test_config_drive_openstack_layout(labels: Path, loopdevs: LoopDevices) -> None:
    device = drive(loopdevs, labels, "config-2", {"openstack/latest/user_data": CONFIG})
    assert providers.get("nutanix").fetch(pctx("nutanix")) == CONFIG
    assert not _mounted_from(device)


def test_config_drive_missing_file_is_no_config(labels: Path, loopdevs: LoopDevices) -> None:
    device = drive(loopdevs, labels, "cidata", {"meta-data": b"x"})
    assert providers.get("ibmcloud").fetch(pctx("ibmcloud")) is None
    assert not _mounted_from(device)


def test_proxmoxve_skips_cloud_config(labels: Path, loopdevs: LoopDevices) -> None:
    drive(loopdevs, labels, "cidata", {"user-data": b"#cloud-config\nusers: []\n", "vendor-data": CONFIG})
    assert providers.get("proxmoxve").fetch(pctx("proxmoxve")) == CONFIG


def test_kubevirt_races_its_drives(labels: Path, loopdevs: LoopDevices) -> None:
    drive(loopdevs, labels, "cidata", {"user-data": CONFIG})
    assert providers.get("kubevirt").fetch(pctx("kubevirt")) == CONFIG


def test_cmdline_device_and_path(labels: Path, loopdevs: LoopDevices) -> None:
    from ignite.stages.fetch import _read_device

    drive(loopdevs, labels, "boot-cfg", {"ign/config.ign": CONFIG})
    assert _read_device("boot-cfg", "ign/config.ign") == CONFIG
    with pytest.raises(ProviderError, match='config file "nope.ign" not found on device "boot-cfg"'):
        _read_device("boot-cfg", "nope.ign")


def test_a_losing_metadata_service_does_not_hold_the_stage_open() -> None:
    """The race's winner ends the stage: a network source still waiting on an address that
    never answers (OpenStack's IPv6 link-local service where there is none) is abandoned,
    not waited for until its fetch deadline, as a thread pool would at exit."""
    import subprocess
    import sys
    import time

    probe = (
        "import sys, time\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})\n"
        "from ignite.providers.configdrive import race\n"
        "print(race('openstack', [lambda stop: b'drive'], network=[lambda stop: time.sleep(60)]).decode())\n"
    )
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=50)
    assert done.returncode == 0 and done.stdout.strip() == "drive", done.stderr
    assert time.monotonic() - started < 20
