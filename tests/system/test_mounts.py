"""system/mounts.mount: where mount(8) would make one plain mount(2) call (no options, a
block device, no helper), that call without its process, with mount(8)'s canonical
source; options, and any failure, through mount(8) as before (its own message)."""
from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ignite.errors import CommandError
from ignite.system import mounts


@pytest.fixture
def ext4_loop(tmp_path: Path) -> Iterator[str]:
    if os.geteuid() != 0 or shutil.which("losetup") is None or shutil.which("mkfs.ext4") is None:
        pytest.skip("needs root, losetup and mkfs.ext4")
    image = tmp_path / "fs.img"
    with open(image, "wb") as f:
        f.truncate(64 << 20)
    dev = subprocess.run(["losetup", "--find", "--show", str(image)], check=True, capture_output=True,
                         text=True).stdout.strip()
    try:
        subprocess.run(["mkfs.ext4", "-q", "-F", dev], check=True)
        yield dev
    finally:
        subprocess.run(["losetup", "-d", dev], check=False)


def source_and_options(target: Path) -> tuple[str, str]:
    with open("/proc/self/mountinfo") as info:
        for line in info:
            fields = line.split()
            if fields[4] == str(target):
                return fields[fields.index("-") + 2], fields[5]
    raise AssertionError(f"{target} not mounted")


def test_a_plain_mount_is_one_call_without_a_process(ext4_loop: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    link = tmp_path / "by-label-root"
    link.symlink_to(ext4_loop)
    target = tmp_path / "mnt"
    target.mkdir()

    def no_process(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"mount(8) run: {args}")

    monkeypatch.setattr("ignite.system.run.run", no_process)
    mounts.mount(str(link), str(target), "ext4", [])
    try:
        assert source_and_options(target) == (ext4_loop, "rw,relatime")  # as mount(8) leaves it
    finally:
        mounts.umount(str(target))


def test_options_and_failures_go_through_mount8(ext4_loop: str, tmp_path: Path) -> None:
    target = tmp_path / "mnt"
    target.mkdir()
    mounts.mount(ext4_loop, str(target), "ext4", ["noatime"])
    try:
        assert "noatime" in source_and_options(target)[1]
    finally:
        mounts.umount(str(target))
    with pytest.raises(CommandError, match=r"^mount failed with exit code 32: .*\(command: mount -o '' -t xfs "):
        mounts.mount(ext4_loop, str(target), "xfs", [])
    assert not mounts.is_mountpoint(str(target))
