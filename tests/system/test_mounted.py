"""`Mounted` (ignite/system/mounts.py), on real loop devices: a filesystem mounted on a new
private directory for one read or change, then unmounted and the directory removed; a
refused mount is a MountError before the block; a busy unmount is retried, then an error,
and the directory stays with the filesystem still on it."""
from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest

from blockdev import LoopDevices, loopdevs  # noqa: F401  (fixture)
from ignite.errors import DeviceError, MountError
from ignite.system.mounts import Mounted, umount


def ext4(loopdevs: LoopDevices, tmp_path: Path) -> tuple[str, Path]:  # noqa: F811
    """An attached ext4 image holding config.ign, and an empty directory for scratch dirs."""
    if shutil.which("mkfs.ext4") is None:
        pytest.skip("needs mkfs.ext4")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "config.ign").write_text("{}\n")
    image = loopdevs.image(8, "fs.img")
    subprocess.run(["mkfs.ext4", "-q", "-F", "-d", str(tree), str(image)], check=True)
    base = tmp_path / "scratch"
    base.mkdir()
    return loopdevs.attach(image), base


@pytest.fixture
def keep_busy() -> Iterator[Callable[[str], None]]:
    """Holds a file open on a mount until the test ends; then unmounts it and removes its
    directory."""
    held: list[tuple[IO[str], str]] = []
    yield lambda mnt: held.append((open(Path(mnt) / "config.ign"), mnt))
    for f, mnt in held:
        f.close()
        umount(mnt)
        os.rmdir(mnt)


def scratch(base: Path) -> list[str]:
    return sorted(os.listdir(base))


def test_a_read_then_the_filesystem_and_its_directory_are_gone(loopdevs: LoopDevices, tmp_path: Path) -> None:  # noqa: F811
    device, base = ext4(loopdevs, tmp_path)
    with Mounted(device, "t-", base=str(base)) as mnt:
        assert Path(mnt).parent == base and os.stat(mnt).st_dev != os.stat(base).st_dev
        assert (Path(mnt) / "config.ign").read_text() == "{}\n"
        with pytest.raises(OSError):  # read-only
            (Path(mnt) / "new").write_text("x")
    assert scratch(base) == [] and device not in Path("/proc/self/mounts").read_text()


def test_a_refused_mount_is_a_mount_error_before_the_block(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root (mount)")
    base = tmp_path / "scratch"
    base.mkdir()
    (tmp_path / "empty.img").write_bytes(b"\0" * 65536)
    entered = []
    with pytest.raises(MountError) as err, Mounted(str(tmp_path / "empty.img"), "t-", fstype="ext4",
                                                   base=str(base)):
        entered.append(True)
    assert err.value.device == str(tmp_path / "empty.img") and "cannot mount: mount " in str(err.value)
    assert "(command: mount -o ro -t ext4 " in str(err.value)
    assert entered == [] and scratch(base) == []


def test_a_busy_unmount_is_retried_then_fails_and_leaves_the_directory(
    loopdevs: LoopDevices, tmp_path: Path, keep_busy: Callable[[str], None]  # noqa: F811
) -> None:
    device, base = ext4(loopdevs, tmp_path)
    with pytest.raises(DeviceError, match="umount failed: Device or resource busy"):
        with Mounted(device, "t-", base=str(base), attempts=2) as mnt:
            keep_busy(mnt)
    assert scratch(base) == [os.path.basename(mnt)] and os.path.ismount(mnt)


def test_the_block_s_error_wins_over_a_busy_unmount(
    loopdevs: LoopDevices, tmp_path: Path, keep_busy: Callable[[str], None]  # noqa: F811
) -> None:
    device, base = ext4(loopdevs, tmp_path)
    with pytest.raises(KeyError, match="the block's"), Mounted(device, "t-", base=str(base)) as mnt:
        keep_busy(mnt)
        raise KeyError("the block's")
