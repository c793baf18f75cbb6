"""`ignite plan` against disk images and loop devices: what it says about partitions and
filesystems, that nothing is written, that it agrees with what `ignite apply` then does,
and the boot's own errors."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from plan_helpers import ignite_plan, plan_json, sha256, write_config, writes_of

from blockdev import LoopDevices, missing_requirements

pytestmark = pytest.mark.skipif(missing_requirements() is not None, reason=str(missing_requirements()))
ESP = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
MIB = 1024 * 1024


def cfg(storage: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"ignition": {"version": "3.4.0"}, "storage": storage, **extra}


def used_disk(loopdevs: LoopDevices) -> tuple[Path, str]:
    """A 64 MiB image with three partitions: ext4 DATA, vfat LOGS, and an empty one."""
    image = loopdevs.image(64, "used.img")
    dev = loopdevs.attach(image)
    loopdevs.partition(dev, "--new=1:2048:+16M", "--change-name=1:data", "--new=2:0:+16M",
                       "--change-name=2:logs", "--new=3:0:+8M", "--change-name=3:spare")
    loopdevs.mkfs(f"{dev}p1", "ext4", "-L", "DATA")
    loopdevs.mkfs(f"{dev}p2", "vfat", "-n", "LOGS")
    subprocess.run(["sync"], check=True)
    return image, dev


def not_attached(image: Path) -> bool:
    return str(image) not in subprocess.run(["losetup", "-a"], capture_output=True, text=True).stdout


WIPE = cfg({
    "disks": [{"device": "/dev/vda", "wipeTable": True, "partitions": [
        {"number": 1, "label": "boot", "sizeMiB": 10}, {"number": 2, "label": "root", "sizeMiB": 0}]}],
    "filesystems": [{"device": "/dev/vda1", "format": "vfat", "label": "BOOT", "wipeFilesystem": True},
                    {"device": "/dev/disk/by-partlabel/root", "format": "ext4", "label": "ROOT", "path": "/"}]},
    ).copy()


def test_an_image_is_read_only_and_the_plan_names_what_is_destroyed(loopdevs: LoopDevices, tmp_path: Path) -> None:
    image, dev = used_disk(loopdevs)
    before = sha256(image)
    path = write_config(tmp_path / "c.ign", WIPE)
    root = tmp_path / "root"
    root.mkdir()
    plan = plan_json(str(path), "--root", str(root), "--device-map", f"/dev/vda={image}")
    [disk] = plan["disks"]
    assert [(p["number"], p["label"], p["size"] // MIB, p["destroyed"]) for p in disk["now"]] == [
        (1, "data", 16, True), (2, "logs", 16, True), (3, "spare", 8, True)]
    assert disk["now"][0]["filesystem"]["type"] == "ext4" and disk["now"][0]["filesystem"]["label"] == "DATA"
    assert disk["now"][1]["filesystem"]["type"] == "vfat"
    assert [(p["number"], p["action"], p["label"]) for p in disk["after"]] == [
        (1, "create", "boot"), (2, "create", "root")]
    assert disk["after"][0]["start"] == MIB and disk["after"][0]["size"] == 10 * MIB
    # partition 1 starts where the ext4 'data' did: the probe at its new place finds it
    assert [(f["device"], f["action"], (f["found"] or {}).get("type")) for f in plan["filesystems"]] == [
        ("/dev/vda1", "format", "ext4"), ("/dev/disk/by-partlabel/root", "format", "")]
    assert plan["summary"].startswith("1 disk repartitioned (3 partitions and 40 MiB destroyed), "
                                      "2 filesystems (2 created, 0 reused), 1 mount")
    assert [o["action"] for o in plan["operations"] if o["stage"] == "disks"] == [
        "wipe table", "create partition", "create partition", "make filesystem", "make filesystem"]
    text = ignite_plan(str(path), "--root", str(root), "--device-map", f"/dev/vda={image}")
    assert text.returncode == 0 and "wipe the partition table  <-- destructive" in text.stdout
    assert sha256(image) == before
    assert loopdevs.table(dev)[0]["label"] == "data"
    assert [ln for ln in subprocess.run(["losetup", "-a"], capture_output=True, text=True).stdout.splitlines()
            if str(image) in ln] == [ln for ln in subprocess.run(["losetup", "-a"], capture_output=True,
                                                                    text=True).stdout.splitlines() if dev + ":" in ln]


def test_a_loop_device_is_never_written(loopdevs: LoopDevices, tmp_path: Path) -> None:
    _, dev = used_disk(loopdevs)
    config = cfg({"disks": [{"device": "/dev/vda", "partitions": [
        {"number": 3, "label": "spare", "resize": True, "sizeMiB": 12}, {"number": 4, "label": "new", "sizeMiB": 4}]}],
        "filesystems": [{"device": "/dev/vda1", "format": "ext4", "label": "DATA", "path": "/data"},
                        {"device": "/dev/vda4", "format": "swap"}]})
    root = tmp_path / "root"
    root.mkdir()
    before = (writes_of(dev), [writes_of(p) for p in sorted(loopdevs.partitions(dev).values())])
    plan = plan_json(str(write_config(tmp_path / "c.ign", config)), "--root", str(root),
                     "--device-map", f"/dev/vda={dev}")
    after = (writes_of(dev), [writes_of(p) for p in sorted(loopdevs.partitions(dev).values())])
    assert after == before
    [disk] = plan["disks"]
    assert [(p["number"], p["action"]) for p in disk["after"]] == [
        (1, "keep"), (2, "keep"), (3, "resize"), (4, "create")]
    assert [p["destroyed"] for p in disk["now"]] == [False, False, True]
    assert [(f["device"], f["action"]) for f in plan["filesystems"]] == [
        ("/dev/vda1", "reuse"), ("/dev/vda4", "format")]
    assert plan["mounts"] == [{"device": "/dev/vda1", "path": "/data", "format": "ext4", "options": [],
                               "createDirectories": ["/data"]}]


def test_the_plan_is_what_apply_then_does(loopdevs: LoopDevices, tmp_path: Path) -> None:
    image, dev = used_disk(loopdevs)
    config = cfg({"disks": [{"device": "/dev/vda", "partitions": [
        {"number": 3, "label": "spare", "wipePartitionEntry": True, "sizeMiB": 8, "typeGuid": ESP},
        {"number": 4, "label": "root", "sizeMiB": 0}]}],
        "filesystems": [{"device": "/dev/disk/by-partlabel/root", "format": "ext4", "label": "ROOT", "path": "/"},
                        {"device": "/dev/vda1", "format": "ext4", "label": "DATA", "path": "/var/data"}],
        "files": [{"path": "/etc/hostname", "contents": {"source": "data:,n1"}}],
        "directories": [{"path": "/var/data/app"}]})
    loopdevs.partx_sync(dev)
    subprocess.run(["losetup", "-d", dev], check=True)
    loopdevs.devices.remove(dev)
    path = write_config(tmp_path / "c.ign", config)
    root = tmp_path / "root"
    root.mkdir()
    plan = plan_json(str(path), "--root", str(root), "--device-map", f"/dev/vda={image}")
    assert not_attached(image)
    done = subprocess.run([*ignite_argv(), "apply", str(path), "--root", str(root),
                           "--device-map", f"/dev/vda={image}"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    check = loopdevs.attach(image)
    loopdevs.partx_sync(check)
    loopdevs.mount(f"{check}p4", tmp_path / "check")
    report = json.loads((tmp_path / "check/etc/ignite/report.json").read_text())
    did = [{"stage": a["stage"], "action": a["action"], "target": a["target"]} for a in report["actions"]
           if a["stage"] in ("disks", "mount", "files")]
    assert plan["operations"] == did
    assert ("disks", "recreate partition", "/dev/vda partition 3") in [(o["stage"], o["action"], o["target"])
                                                                       for o in did]


def ignite_argv() -> list[str]:
    import sys

    return [sys.executable, "-m", "ignite"]


@pytest.mark.parametrize(("storage", "message"), [
    ({"disks": [{"device": "/dev/vdb", "wipeTable": True}]},
     "/dev/vdb: not in the device map: refusing to use a device of this machine (at $.storage.disks.0.device)"),
    ({"disks": [{"device": "/dev/vda", "partitions": [{"number": 1, "label": "other"}]}]},
     "/dev/vda: partition 1 didn't match: label did not match (specified 'other', got 'data') (set "
     "wipePartitionEntry to replace it, or resize to grow it) (at $.storage.disks.0.partitions.0)"),
    ({"disks": [{"device": "/dev/vda", "partitions": [{"number": 5, "startMiB": 2, "sizeMiB": 4}]}]},
     "/dev/vda: partitions 5 cannot be created as configured"),
    ({"filesystems": [{"device": "/dev/vda2", "format": "ext4", "label": "LOGS"}]},
     "/dev/vda2: filesystem is not of the correct type (found vfat, want ext4) and wipeFilesystem is false: "
     "refusing to format it (at $.storage.filesystems.0)"),
    ({"filesystems": [{"device": "/dev/disk/by-label/NOT-THERE", "format": "ext4"}]},
     "/dev/disk/by-label/NOT-THERE: does not exist on this machine (the boot would wait for it, then fail) "
     "(at $.storage.filesystems.0.device)"),
    ({"raid": [{"name": "md0", "level": "raid1", "devices": ["/dev/vda", "/dev/disk/by-partlabel/NOPE"]}]},
     "/dev/disk/by-partlabel/NOPE: does not exist on this machine (the boot would wait for it, then fail) "
     "(at $.storage.raid.0.devices.1)"),
    ({"luks": [{"name": "secret", "device": "/dev/disk/by-partlabel/NOPE"}]},
     "/dev/disk/by-partlabel/NOPE: does not exist on this machine (the boot would wait for it, then fail) "
     "(at $.storage.luks.0.device)"),
    ({"filesystems": [{"device": "/dev/vda", "format": "ext4", "path": "/"}],
      "files": [{"path": "/etc/x", "user": {"name": "ghost"}}]},
     "/etc/x: failed to determine correct uid and gid: no such user 'ghost' (at $.storage.files.0.user.name)"),
])
def test_what_the_boot_would_refuse_exits_1_and_writes_nothing(loopdevs: LoopDevices, tmp_path: Path,
                                                                storage: dict[str, Any], message: str) -> None:
    image, dev = used_disk(loopdevs)
    before = sha256(image)
    root = tmp_path / "root"
    root.mkdir()
    done = ignite_plan(str(write_config(tmp_path / "c.ign", cfg(storage))), "--root", str(root),
                       "--device-map", f"/dev/vda={image}")
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"ignite: plan: the boot would fail: {message}" in done.stderr
    assert sha256(image) == before


def test_a_missing_device_exits_1_naming_it(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    done = ignite_plan(str(write_config(tmp_path / "c.ign", cfg({"disks": [
        {"device": "/dev/disk/by-id/ignite-test-no-such-disk", "wipeTable": True}]}))), "--root", str(root))
    assert done.returncode == 1
    assert "/dev/disk/by-id/ignite-test-no-such-disk: device does not exist" in done.stderr


def test_a_filesystem_left_where_a_new_partition_goes_is_found_before_anything_is_written(
        loopdevs: LoopDevices, tmp_path: Path) -> None:
    """Creating a partition does not erase what lies there: the ext4 'DATA' at 1 MiB is
    what the boot would find on the new partition 1, and refuse to format. The plan says
    so, and the disks stage itself refuses before wiping the table."""
    image, dev = used_disk(loopdevs)
    config = cfg({"disks": [{"device": "/dev/vda", "wipeTable": True, "partitions": [
        {"number": 1, "label": "new", "startMiB": 1, "sizeMiB": 20}]}],
        "filesystems": [{"device": "/dev/vda1", "format": "ext4", "label": "OTHER"}]})
    path = write_config(tmp_path / "c.ign", config)
    root = tmp_path / "root"
    root.mkdir()
    before = sha256(image)
    done = ignite_plan(str(path), "--root", str(root), "--device-map", f"/dev/vda={image}")
    message = ("/dev/vda1: filesystem is not of the correct type (label 'DATA', want 'OTHER') and wipeFilesystem "
               "is false: refusing to format it (at $.storage.filesystems.0)")
    assert done.returncode == 1 and message in done.stderr
    applied = subprocess.run([*ignite_argv(), "apply", str(path), "--root", str(root),
                              "--device-map", f"/dev/vda={image}"], capture_output=True, text=True, timeout=300)
    assert applied.returncode == 1 and message in applied.stderr
    assert sha256(image) == before  # the table was not wiped


def test_destruction_is_red_on_a_terminal_only(loopdevs: LoopDevices, tmp_path: Path) -> None:
    import os
    import pty

    image, _ = used_disk(loopdevs)
    path = write_config(tmp_path / "c.ign", WIPE)
    root = tmp_path / "root"
    root.mkdir()
    primary, secondary = pty.openpty()
    try:
        proc = subprocess.run([*ignite_argv(), "plan", str(path), "--root", str(root), "--device-map",
                               f"/dev/vda={image}"], stdout=secondary, stderr=subprocess.PIPE, timeout=120,
                              env={k: v for k, v in os.environ.items() if k != "NO_COLOR"})
        os.close(secondary)
        out = b""
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(primary)
    assert proc.returncode == 0, proc.stderr
    assert b"\x1b[1;31m  wipe the partition table\x1b[0m" in out
    assert b"destructive" not in out


def test_raid_and_luks_are_planned_and_what_they_hold_is_decided_at_boot(loopdevs: LoopDevices,
                                                                         tmp_path: Path) -> None:
    image, _ = used_disk(loopdevs)
    config = cfg({
        "disks": [{"device": "/dev/vda", "partitions": [
            {"number": 4, "label": "m1", "sizeMiB": 8}, {"number": 5, "label": "m2", "sizeMiB": 8}]}],
        "raid": [{"name": "md-plan", "level": "raid1", "devices": ["/dev/vda4", "/dev/vda5"]}],
        "luks": [{"name": "secret", "device": "/dev/vda3", "wipeVolume": False}],
        "filesystems": [{"device": "/dev/md/md-plan", "format": "ext4", "path": "/srv"},
                        {"device": "/dev/mapper/secret", "format": "xfs", "path": "/secret"}]})
    root = tmp_path / "root"
    root.mkdir()
    before = sha256(image)
    plan = plan_json(str(write_config(tmp_path / "c.ign", config)), "--root", str(root),
                     "--device-map", f"/dev/vda={image}")
    assert plan["raid"] == [{"name": "md-plan", "level": "raid1", "devices": ["/dev/vda4", "/dev/vda5"]}]
    assert [(v["name"], v["action"]) for v in plan["luks"]] == [("secret", "format")]  # partition 3 is blank
    assert [(f["device"], f["action"]) for f in plan["filesystems"]] == [
        ("/dev/md/md-plan", "decided at boot"), ("/dev/mapper/secret", "decided at boot")]
    assert [o["action"] for o in plan["operations"] if o["stage"] == "disks"] == [
        "create partition", "create partition", "create raid", "format luks"]
    assert plan["summary"].startswith("1 disk repartitioned, 1 RAID array created, 1 LUKS volume, "
                                      "2 filesystems (0 created, 0 reused, 2 decided at boot), 2 mounts")
    assert sha256(image) == before
