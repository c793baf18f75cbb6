"""The mount and umount stages on loop partitions (docs/spec/stages.md#mount-and-umount)."""
from __future__ import annotations

import json
import os

import pytest
from disks_helpers import config

from ignite.errors import IgniteError, NodeError


def _mounted(path) -> bool:
    with open("/proc/self/mountinfo") as info:
        return any(line.split()[4] == str(path) for line in info)


def _two_ext4(loopdevs):
    dev = loopdevs.create(66)
    loopdevs.partition(dev, "-n1:0:+32M", "-n2:0:+32M")
    loopdevs.mkfs(f"{dev}p1", "ext4", "-q")
    loopdevs.mkfs(f"{dev}p2", "ext4", "-q")
    return dev


def test_parents_first_then_reverse_umount(loopdevs, runner):
    dev = _two_ext4(loopdevs)
    cfg = config({"filesystems": [
        {"device": f"{dev}p2", "format": "ext4", "path": "/var/lib/data", "mountOptions": ["noatime"]},
        {"device": f"{dev}p1", "format": "ext4", "path": "/"},
        {"device": f"{dev}p1", "format": "swap", "path": "/swap"},  # never mounted
    ]})
    runner.run("mount", cfg)
    root = runner.root
    try:
        assert _mounted(root) and _mounted(root / "var/lib/data")
        # /var/lib/data was made inside the mounted root filesystem, 0755, and noted in the state
        assert oct(os.stat(root / "var").st_mode & 0o777) == "0o755"
        assert json.loads(runner.state.read_text())["notatedDirectories"] == ["/var", "/var/lib", "/var/lib/data"]
        with open("/proc/self/mountinfo") as info:
            opts = [line.split()[5] for line in info if line.split()[4] == str(root / "var/lib/data")]
        assert "noatime" in opts[0]
        (root / "var/lib/data/file").write_text("x")
    finally:
        runner.run("umount", cfg)
    assert not _mounted(root) and not _mounted(root / "var/lib/data")


def test_failed_mount_unmounts_what_was_mounted(loopdevs, runner):
    dev = _two_ext4(loopdevs)
    cfg = config({"filesystems": [
        {"device": f"{dev}p1", "format": "ext4", "path": "/"},
        {"device": f"{dev}p2", "format": "xfs", "path": "/data"},  # it is ext4: mount fails
    ]})
    with pytest.raises(IgniteError, match="mount failed") as err:
        runner.run("mount", cfg)
    assert str(err.value).endswith("(at $.storage.filesystems.1)")  # the filesystem that failed
    assert not _mounted(runner.root)


def test_symlink_component_is_refused(loopdevs, runner, tmp_path):
    dev = _two_ext4(loopdevs)
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", runner.root / "data")
    with pytest.raises(NodeError, match="mount path contains non-directory component '/data'") as err:
        runner.run("mount", config({"filesystems": [
            {"device": "/dev/nonexistent-swap", "format": "swap", "path": "/swap"},
            {"device": f"{dev}p1", "format": "ext4", "path": "/data/x"}]}))
    assert err.value.json_path == "$.storage.filesystems.1.path"  # counted among all filesystems
    assert not _mounted(tmp_path / "elsewhere" / "x")
    assert not (tmp_path / "elsewhere" / "x").exists()


def test_umount_failure_is_reported(runner):
    with pytest.raises(IgniteError, match="umount failed"):
        runner.run("umount", config({"filesystems": [{"device": "/dev/nonexistent", "format": "ext4", "path": "/"}]}))


# What a mount or umount stage process must not load at start-up: each is its own process at
# boot, and these cost it ~15 ms here (re with enum and functools, pathlib with urllib.parse,
# the json package), ten times that under TCG.
HEAVY_FOR_MOUNTS = ("re", "enum", "functools", "collections", "pathlib", "json", "urllib.parse", "ipaddress", "shlex",
                    "typing", "dataclasses", "logging", "subprocess", "datetime", "hashlib", "importlib", "warnings")


def test_mount_and_umount_processes_import_nothing_heavy(loopdevs, tmp_path):
    from ignite.config import codec
    from import_probe import modules_loaded_by

    dev = loopdevs.create(34)
    loopdevs.mkfs(dev, "ext4", "-q")
    cfg = config({"filesystems": [{"device": dev, "format": "ext4", "path": "/"}]})
    cache = tmp_path / "cache.json"
    cache.write_text(json.dumps(codec.to_json(codec.config_from_json(cfg))))
    root = tmp_path / "root"
    root.mkdir()
    common = ["--platform", "file", "--root", str(root), "--config-cache", str(cache),
              "--state-file", str(tmp_path / "run/state"), "--cmdline", str(tmp_path / "no-cmdline")]
    done, mounted = modules_loaded_by(["run", "--stage", "mount", *common])  # the fixture unmounts on failure
    assert done.returncode == 0 and done.stdout.endswith("\n0"), done.stderr
    assert _mounted(root)
    done, unmounted = modules_loaded_by(["run", "--stage", "umount", *common])
    assert done.returncode == 0 and done.stdout.endswith("\n0") and not _mounted(root), done.stderr
    assert "ignite.stages.mount" in mounted and "ignite.stages.umount" in unmounted
    assert not mounted & set(HEAVY_FOR_MOUNTS), sorted(mounted & set(HEAVY_FOR_MOUNTS))
    assert not unmounted & set(HEAVY_FOR_MOUNTS), sorted(unmounted & set(HEAVY_FOR_MOUNTS))
