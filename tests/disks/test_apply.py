"""`ignite apply` against an image file and a directory root, and the device-map guard."""
from __future__ import annotations

import json
import os
import subprocess

import pytest
from disks_helpers import config

from ignite.apply import apply
from ignite.errors import DeviceError


def _cfg(tmp_path, storage, **extra):
    path = tmp_path / "c.ign"
    path.write_text(json.dumps({**config(storage), **extra}))
    return path


def test_apply_provisions_an_image_file_and_detaches(tmp_path, loopdevs):
    image = loopdevs.image(64, "apply.img")  # a file only: apply attaches and detaches it
    cfg = _cfg(tmp_path, {
        "disks": [{"device": "/dev/vda", "partitions": [{"number": 1, "label": "root", "sizeMiB": 0}]}],
        "filesystems": [{"device": "/dev/disk/by-partlabel/root", "format": "ext4", "label": "r", "path": "/"}],
        "files": [{"path": "/etc/hostname", "contents": {"source": "data:,node1"}}]})
    root = tmp_path / "root"
    result = apply(cfg, root, {"/dev/vda": str(image)})
    assert result.ran == ["disks", "mount", "files", "umount"]
    loop = result.loop_devices["/dev/vda"]
    assert str(image) not in subprocess.run(["losetup", "-a"], capture_output=True, text=True).stdout
    assert not os.path.exists(f"{loop}p1") or loop in subprocess.run(["losetup", "-a"], capture_output=True,
                                                                     text=True).stdout
    assert not (root / "etc/hostname").exists()  # it went into the image's filesystem
    dev = loopdevs.attach(image)
    loopdevs.partx_sync(dev)
    assert [(p["number"], p["label"]) for p in loopdevs.table(dev)] == [(1, "root")]
    loopdevs.mount(f"{dev}p1", tmp_path / "check")
    assert (tmp_path / "check/etc/hostname").read_text() == "node1"


def test_apply_refuses_devices_not_in_the_map(tmp_path, loopdevs):
    image = loopdevs.image(16, "x.img")
    cfg = _cfg(tmp_path, {"disks": [{"device": "/dev/vdb", "wipeTable": True}]})
    with pytest.raises(DeviceError, match="/dev/vdb: not in the device map"):
        apply(cfg, tmp_path / "root", {"/dev/vda": str(image)})
    assert str(image) not in subprocess.run(["losetup", "-a"], capture_output=True, text=True).stdout


def test_apply_without_devices_runs_only_files(tmp_path):
    cfg = _cfg(tmp_path, {"filesystems": [{"device": "/dev/vda1", "format": "ext4", "path": "/"}],
                          "files": [{"path": "/etc/motd", "contents": {"source": "data:,hi"}}]})
    result = apply(cfg, tmp_path / "root", {}, devices=False)
    assert result.ran == ["files"] and set(result.skipped) == {"disks", "mount", "umount"}
    assert (tmp_path / "root/etc/motd").read_text() == "hi"
