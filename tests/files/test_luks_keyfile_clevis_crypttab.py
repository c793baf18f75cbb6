"""crypttab and LUKS key files from what the disks stage persisted: a real LUKS header on
a loop device gives the UUID (luksFormat needs no device-mapper; opening would)."""
from __future__ import annotations

import base64
import json
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from files_helpers import require_root_user, run_ignite

from ignite.errors import NodeError


@pytest.fixture
def luks_device(loopdevs, work: Path) -> tuple[str, str]:  # noqa: ANN001
    require_root_user()
    if shutil.which("cryptsetup") is None:
        pytest.skip("no cryptsetup")
    dev = loopdevs.create(32)
    key = work / "key"
    key.write_bytes(b"secret-key-bytes")
    loopdevs.guard(dev)
    subprocess.run(["cryptsetup", "luksFormat", "--batch-mode", "--type", "luks2", "--pbkdf", "pbkdf2",
                    "--pbkdf-force-iterations", "1000", "--key-file", str(key), dev], check=True, capture_output=True)
    uuid = subprocess.run(["cryptsetup", "luksUUID", dev], check=True, capture_output=True, text=True).stdout.strip()
    return dev, uuid


def config(dev: str, **extra) -> dict:  # noqa: ANN003
    return {"ignition": {"version": "3.4.0"}, "storage": {"luks": [
        {"name": "data", "device": dev, **extra}]}}


def test_key_file_and_crypttab_line(luks_device, root: Path, work: Path) -> None:  # noqa: ANN001
    dev, uuid = luks_device
    key = b"\x00\x01persisted key"
    state = {"luksPersistKeyFiles": {"data": "data:;base64," + base64.b64encode(key).decode()}, "fetchedConfigs": None}
    (root / "etc/crypttab").write_text("# existing\n")
    run_ignite(config(dev), root, work / "w", state=state)
    assert (root / "etc/crypttab").read_text() == f"# existing\ndata UUID={uuid} /etc/luks/data luks,x-initrd.attach\n"
    assert stat.S_IMODE((root / "etc/crypttab").stat().st_mode) == 0o600
    assert (root / "etc/luks/data").read_bytes() == key
    assert stat.S_IMODE((root / "etc/luks/data").stat().st_mode) == 0o600
    assert stat.S_IMODE((root / "etc/luks").stat().st_mode) == 0o700
    saved = json.loads((work / "w" / "state").read_text())
    assert saved["luksPersistKeyFiles"] is None  # the key now lives only in the root


def test_clevis_tang_needs_no_key_file_but_the_network(luks_device, root: Path, work: Path) -> None:  # noqa: ANN001
    dev, uuid = luks_device
    run_ignite(
        config(dev, clevis={"tang": [{"url": "http://127.0.0.1:1", "thumbprint": "x"}]}), root, work / "w", raw=True
    )
    assert (root / "etc/crypttab").read_text() == f"data UUID={uuid} none luks,_netdev,x-initrd.attach\n"
    assert not (root / "etc/luks").exists()


def test_missing_persisted_key_is_an_error(luks_device, root: Path, work: Path) -> None:  # noqa: ANN001
    dev, _ = luks_device
    with pytest.raises(NodeError, match="missing persisted keyfile for data"):
        run_ignite(config(dev), root, work / "w")
