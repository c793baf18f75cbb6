"""Filesystems on loop partitions: every format with label and UUID, reuse and wipe
under upstream's rules (docs/spec/stages.md#filesystems), and the refusals that must change nothing."""
from __future__ import annotations

import pytest
from disks_helpers import config

from ignite.errors import DeviceError

U_EXT4 = "6a4e5b0c-1d2e-4f30-8a41-b5c6d7e8f901"
U_XFS = "7b5f6c1d-2e3f-4a41-9b52-c6d7e8f90a12"
U_BTRFS = "8c607d2e-3f4a-4b52-ac63-d7e8f90a1b23"
U_SWAP = "9d718e3f-4a5b-4c63-bd74-e8f90a1b2c34"


def _disk(loopdevs, *sizes_mib):
    dev = loopdevs.create(sum(sizes_mib) + 2)
    args = [f"-n{i}:0:+{s}M" for i, s in enumerate(sizes_mib, 1)]
    loopdevs.partition(dev, *args)
    return dev


def test_every_format_with_label_and_uuid(loopdevs, runner):
    dev = _disk(loopdevs, 32, 300, 128, 32, 16, 8)
    loopdevs.mkfs(f"{dev}p6", "ext4", "-q")  # `none` + wipeFilesystem erases it
    runner.run("disks", config({"filesystems": [
        {"device": f"{dev}p1", "format": "ext4", "label": "e", "uuid": U_EXT4.upper()},
        {"device": f"{dev}p2", "format": "xfs", "label": "x", "uuid": U_XFS},
        {"device": f"{dev}p3", "format": "btrfs", "label": "b", "uuid": U_BTRFS},
        {"device": f"{dev}p4", "format": "vfat", "label": "V", "uuid": "ABCD-1234"},
        {"device": f"{dev}p5", "format": "swap", "label": "s", "uuid": U_SWAP},
        {"device": f"{dev}p6", "format": "none", "wipeFilesystem": True},
    ]}))
    facts = [loopdevs.blkid(f"{dev}p{n}") for n in range(1, 7)]
    got = [(f.get("TYPE"), f.get("LABEL"), f.get("UUID")) for f in facts]
    assert got == [("ext4", "e", U_EXT4), ("xfs", "x", U_XFS), ("btrfs", "b", U_BTRFS),
                   ("vfat", "V", "ABCD-1234"), ("swap", "s", U_SWAP), (None, None, None)]


def _ext4_with_file(loopdevs, tmp_path, node, label="keep"):
    loopdevs.mkfs(node, "ext4", "-q", "-L", label)
    mnt = tmp_path / "m"
    loopdevs.mount(node, mnt)
    (mnt / "precious").write_text("data")
    import subprocess

    subprocess.run(["umount", str(mnt)], check=True)
    return loopdevs.blkid(node)["UUID"]


def _content(loopdevs, tmp_path, node):
    import subprocess

    mnt = tmp_path / "c"
    loopdevs.mount(node, mnt)
    try:
        return sorted(p.name for p in mnt.iterdir())
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def test_matching_filesystem_is_reused_with_its_data(loopdevs, runner, tmp_path):
    dev = _disk(loopdevs, 32)
    uuid = _ext4_with_file(loopdevs, tmp_path, f"{dev}p1")
    runner.run("disks", config({"filesystems": [
        {"device": f"{dev}p1", "format": "ext4", "label": "keep", "uuid": uuid.upper()}]}))
    assert loopdevs.blkid(f"{dev}p1")["UUID"] == uuid
    assert "precious" in _content(loopdevs, tmp_path, f"{dev}p1")


def test_wipe_filesystem_makes_a_new_one(loopdevs, runner, tmp_path):
    dev = _disk(loopdevs, 32)
    uuid = _ext4_with_file(loopdevs, tmp_path, f"{dev}p1")
    runner.run("disks", config({"filesystems": [
        {"device": f"{dev}p1", "format": "ext4", "label": "keep", "wipeFilesystem": True}]}))
    assert loopdevs.blkid(f"{dev}p1")["UUID"] != uuid
    assert "precious" not in _content(loopdevs, tmp_path, f"{dev}p1")


@pytest.mark.parametrize("fs,why", [
    ({"format": "xfs"}, r"found ext4, want xfs"),
    ({"format": "ext4", "label": "other"}, r"label 'keep', want 'other'"),
    ({"format": "none"}, r"found ext4, want no filesystem"),
])
def test_existing_filesystem_without_wipe_is_refused_and_nothing_changes(fs, why, loopdevs, runner, tmp_path):
    dev = _disk(loopdevs, 32, 8)
    uuid = _ext4_with_file(loopdevs, tmp_path, f"{dev}p1")
    table = loopdevs.table(dev)
    cfg = config({
        # a partition change in the same config must not happen either
        "disks": [{"device": dev, "partitions": [{"number": 2, "shouldExist": False, "wipePartitionEntry": True}]}],
        "filesystems": [{"device": f"{dev}p1", **fs}]})
    with pytest.raises(
        DeviceError, match=f"{dev}p1: filesystem is not of the correct type \\({why}.*wipeFilesystem is false"
    ):
        runner.run("disks", cfg)
    assert loopdevs.table(dev) == table
    assert loopdevs.blkid(f"{dev}p1")["UUID"] == uuid
    assert "precious" in _content(loopdevs, tmp_path, f"{dev}p1")


def test_failing_mkfs_names_the_device(loopdevs, runner):
    dev = _disk(loopdevs, 16)  # too small for xfs (needs 300 MiB)
    with pytest.raises(
        DeviceError, match=rf"{dev}p1: cannot make the xfs filesystem: mkfs.xfs failed .*storage.filesystems.0"
    ):
        runner.run("disks", config({"filesystems": [{"device": f"{dev}p1", "format": "xfs"}]}))


def test_partitions_then_filesystems_in_one_stage(loopdevs, runner):
    dev = loopdevs.create(64)
    runner.run("disks", config({
        "disks": [{"device": dev, "partitions": [{"number": 1, "label": "a", "sizeMiB": 16},
                                                 {"number": 2, "label": "b", "sizeMiB": 0}]}],
        "filesystems": [{"device": f"{dev}p1", "format": "ext4", "label": "A"},
                        {"device": f"{dev}p2", "format": "swap", "label": "B"}]}))
    assert loopdevs.blkid(f"{dev}p1")["LABEL"] == "A" and loopdevs.blkid(f"{dev}p2")["TYPE"] == "swap"
