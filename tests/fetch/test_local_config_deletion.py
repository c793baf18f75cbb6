"""ignite.delete_local_config=1: the files stage's last step removes the OEM partition's
config.ign and the boot filesystem's ignition/, on real filesystems on loop devices this
test makes (and detaches)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ignite.config.parse import parse
from ignite.stages import StageContext, run_stage

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/, for blockdev
from blockdev import LoopDevices, missing_requirements

CONFIG = b'{"ignition":{"version":"3.4.0"}}'


def labelled(loopdevs: LoopDevices, tmp_path: Path, label: str, files: dict[str, bytes]) -> Path:
    tree = tmp_path / f"tree-{label}"
    for rel, data in files.items():
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_bytes(data)
    image = loopdevs.image(8, f"{label}.img")
    subprocess.run(["mkfs.ext4", "-q", "-F", "-L", label, "-d", str(tree), str(image)], check=True)
    device = loopdevs.attach(image)
    links = tmp_path / "by-label"
    links.mkdir(exist_ok=True)
    (links / label).symlink_to(device)
    return image


def listing(image: Path) -> set[str]:
    out = subprocess.run(["debugfs", "-R", "ls -p /", str(image)], capture_output=True, text=True, check=True).stdout
    names = {line.split("/")[5] for line in out.splitlines() if line.startswith("/") and line.count("/") >= 6}
    return names - {".", "..", "lost+found"}


@pytest.fixture
def disks(tmp_path: Path, loopdevs: LoopDevices, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    why = missing_requirements() or (None if shutil.which("debugfs") else "needs debugfs")
    if why:
        pytest.skip(why)
    oem = labelled(loopdevs, tmp_path, "OEM", {"config.ign": CONFIG, "base/base.ign": CONFIG})
    boot = labelled(loopdevs, tmp_path, "boot", {"ignition/config.ign": CONFIG, "ignition.firstboot": b""})
    monkeypatch.setenv("IGNITE_DISK_BY_LABEL", str(tmp_path / "by-label"))
    return oem, boot


def files_stage(tmp_path: Path, cmdline: str) -> None:
    (tmp_path / "cmdline").write_text(cmdline + "\n")
    (tmp_path / "root").mkdir()
    ctx = StageContext(stage="files", root=tmp_path / "root", platform="metal", config_cache=tmp_path / "cache.json",
                       state_file=tmp_path / "state", cmdline_file=tmp_path / "cmdline")
    ctx.set_config(parse(CONFIG))
    run_stage(ctx)


def test_local_configs_are_deleted_when_asked(tmp_path: Path, disks: tuple[Path, Path]) -> None:
    oem, boot = disks
    files_stage(tmp_path, "root=LABEL=root ignition.platform.id=metal ignite.delete_local_config=1")
    assert listing(oem) == {"base"}  # the image's base config stays
    assert listing(boot) == {"ignition.firstboot"}
    assert str(tmp_path) not in Path("/proc/self/mounts").read_text()


def test_local_configs_stay_by_default(tmp_path: Path, disks: tuple[Path, Path]) -> None:
    oem, boot = disks
    files_stage(tmp_path, "root=LABEL=root ignition.platform.id=metal ignite.delete_local_config=0")
    assert listing(oem) == {"config.ign", "base"}
    assert listing(boot) == {"ignition", "ignition.firstboot"}
