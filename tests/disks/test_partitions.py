"""The partition decision table on real loop devices: each case lays out an existing
table with sgdisk, runs ignite's disks stage, and compares the resulting table (number,
start, size, type, label; GUIDs where fixed) with what the spec (docs/spec/stages.md#partitions) says.

Expectations come from the spec: Debian's ignition 2.14 cannot run its disks stage here
(it waits for devices through systemd's D-Bus API)."""
from __future__ import annotations

import pytest
from disks_helpers import GPT_ESP, GPT_LINUX, GPT_SWAP, config

from ignite.errors import DeviceError

MIB = 2048  # sectors
LAST = 131038  # last usable sector of a 64 MiB disk
G1 = "11111111-2222-4333-8444-555555555555"
G2 = "AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE"


def t(number, start, size, label="", type_=GPT_LINUX):
    return (number, start, size, type_, label)


KEPT, NEW = "kept", "new"  # a partition's unique GUID after the run: the one it had, or a fresh one
# name: (sgdisk setup, configured partitions, the table after, {number: its unique GUID})
CASES = {
    "create-on-blank": (
        [],
        [{"number": 1, "label": "esp", "sizeMiB": 8, "typeGuid": GPT_ESP},
         {"number": 2, "label": "swap", "startMiB": 16, "sizeMiB": 4, "typeGuid": GPT_SWAP}],
        [t(1, MIB, 8 * MIB, "esp", GPT_ESP), t(2, 16 * MIB, 4 * MIB, "swap", GPT_SWAP)],
        {},
    ),
    "keep-matching": (
        ["-n1:2048:+8M", "-c1:data"],
        [{"number": 1, "label": "data", "startMiB": 1, "sizeMiB": 8}],
        [t(1, MIB, 8 * MIB, "data")],
        {1: KEPT},
    ),
    "keep-unspecified-geometry": (
        ["-n1:2048:+8M", "-c1:data", "-n2:0:+4M"],
        [{"number": 1, "label": "data"}],
        [t(1, MIB, 8 * MIB, "data"), t(2, 9 * MIB, 4 * MIB)],
        {1: KEPT, 2: KEPT},
    ),
    "resize-grows-in-place": (
        ["-n1:2048:+8M", "-c1:root"],
        [{"number": 1, "label": "root", "sizeMiB": 20, "resize": True}],
        [t(1, MIB, 20 * MIB, "root")],
        {1: KEPT},
    ),
    "delete-with-wipe-entry": (
        ["-n1:2048:+8M", "-n2:0:+8M"],
        [{"number": 2, "shouldExist": False, "wipePartitionEntry": True}],
        [t(1, MIB, 8 * MIB)],
        {1: KEPT},
    ),
    "absent-and-should-not-exist": (
        ["-n1:2048:+8M"],
        [{"number": 3, "shouldExist": False}],
        [t(1, MIB, 8 * MIB)],
        {1: KEPT},
    ),
    "recreate-mismatch-with-wipe-entry": (
        ["-n1:2048:+8M", "-c1:old"],
        [{"number": 1, "label": "new", "sizeMiB": 4, "wipePartitionEntry": True}],
        [t(1, MIB, 4 * MIB, "new")],
        {1: NEW},
    ),
    "fill-rest-of-disk": (
        ["-n1:2048:+8M"],
        [{"number": 2, "label": "rest", "sizeMiB": 0}],
        [t(1, MIB, 8 * MIB), t(2, 9 * MIB, LAST - 9 * MIB + 1, "rest")],
        {1: KEPT},
    ),
    "start-zero-is-largest-free-block": (
        ["-n1:2048:+8M"],
        [{"number": 2, "startMiB": 0, "sizeMiB": 4}],
        [t(1, MIB, 8 * MIB), t(2, 9 * MIB, 4 * MIB)],
        {1: KEPT},
    ),
    "number-zero-takes-lowest-free": (
        ["-n1:2048:+8M", "-n3:20M:+4M"],
        [{"number": 0, "label": "auto", "sizeMiB": 2}],
        # start 0 = the start of the largest free block (after partition 3)
        [t(1, MIB, 8 * MIB), t(2, 24 * MIB, 2 * MIB, "auto"), t(3, 20 * MIB, 4 * MIB)],
        {1: KEPT, 3: KEPT},
    ),
    "fixed-guids": (
        [],
        [{"number": 1, "sizeMiB": 4, "guid": G1.lower(), "typeGuid": G2.lower()}],
        [t(1, MIB, 4 * MIB, "", G2)],
        {1: G1},
    ),
}


def _apply_case(loopdevs, runner, setup, parts, wipe_table=False):
    dev = loopdevs.create(64)
    if setup:
        loopdevs.partition(dev, *setup)
    before = loopdevs.table(dev)
    runner.run("disks", config({"disks": [{"device": dev, "wipeTable": wipe_table, "partitions": parts}]}))
    return dev, before


@pytest.mark.parametrize("name", list(CASES))
def test_partition_case(name, loopdevs, runner):
    setup, parts, expected, guids = CASES[name]
    dev, before = _apply_case(loopdevs, runner, setup, parts)
    after = loopdevs.table(dev)
    assert [(p["number"], p["start"], p["size"], p["type"], p["label"]) for p in after] == expected
    old = {p["number"]: p["guid"] for p in before}
    new = {p["number"]: p["guid"] for p in after}
    for number, guid in guids.items():
        if guid == KEPT:
            assert new[number] == old[number], number
        elif guid == NEW:
            assert new[number] != old[number], number
        else:
            assert new[number] == guid, number
    # the kernel knows exactly the table's partitions, with the table's geometry
    nodes = loopdevs.partitions(dev)
    assert sorted(nodes) == [p["number"] for p in after]


def test_wipe_table_replaces_everything(loopdevs, runner):
    dev, _ = _apply_case(loopdevs, runner, ["-n1:2048:+8M", "-n2:0:+8M", "-n3:0:+8M"],
                         [{"number": 2, "label": "only", "sizeMiB": 4}], wipe_table=True)
    assert [(p["number"], p["start"], p["size"], p["label"]) for p in loopdevs.table(dev)] == [
        (2, MIB, 4 * MIB, "only")]
    assert sorted(loopdevs.partitions(dev)) == [2]


def test_two_disks_in_one_run(loopdevs, runner):
    a, b = loopdevs.create(64), loopdevs.create(64)
    runner.run("disks", config({"disks": [
        {"device": a, "partitions": [{"number": 1, "label": "a1", "sizeMiB": 4}]},
        {"device": b, "partitions": [{"label": "b1", "sizeMiB": 0}]}]}))
    assert [(p["number"], p["label"]) for p in loopdevs.table(a)] == [(1, "a1")]
    assert [(p["number"], p["size"], p["label"]) for p in loopdevs.table(b)] == [(1, LAST - MIB + 1, "b1")]


def test_rerun_is_a_noop(loopdevs, runner):
    dev = loopdevs.create(64)
    cfg = config({"disks": [{"device": dev, "partitions": [{"number": 1, "label": "x", "sizeMiB": 4},
                                                           {"number": 2, "label": "y", "sizeMiB": 0}]}]})
    runner.run("disks", cfg)
    first = loopdevs.table(dev)
    runner.run("disks", cfg)
    assert loopdevs.table(dev) == first


NEGATIVE = {
    "conflict-without-wipe-entry": (
        ["-n1:2048:+8M", "-c1:old"],
        [{"number": 1, "label": "new", "sizeMiB": 4}],
        r"partition 1 didn't match: size did not match \(specified 8192, got 16384\).*storage.disks.0.partitions.0",
    ),
    "exists-but-should-not": (
        ["-n1:2048:+8M"],
        [{"number": 1, "shouldExist": False}],
        "partition 1 exists but is specified as nonexistent and wipePartitionEntry is false",
    ),
    "overlapping-partitions": (
        [],
        [{"number": 1, "startMiB": 1, "sizeMiB": 8}, {"number": 2, "startMiB": 4, "sizeMiB": 8}],
        r"cannot be created as configured: .*Could not create partition 2",
    ),
    "size-beyond-disk": (
        ["-n1:2048:+8M"],
        [{"number": 2, "sizeMiB": 100}],
        r"cannot be created as configured: .*Could not create partition 2",
    ),
    "resize-with-other-mismatch": (
        ["-n1:2048:+8M", "-c1:root"],
        [{"number": 1, "label": "other", "sizeMiB": 20, "resize": True}],
        "partition 1 didn't match: size did not match",
    ),
}


@pytest.mark.parametrize("name", list(NEGATIVE))
def test_invalid_plan_changes_nothing(name, loopdevs, runner):
    setup, parts, message = NEGATIVE[name]
    dev = loopdevs.create(64)
    if setup:
        loopdevs.partition(dev, *setup)
    before = loopdevs.table(dev)
    image_before = loopdevs.images[dev].read_bytes()[: 64 * 1024]
    with pytest.raises(DeviceError, match=message) as err:
        runner.run("disks", config({"disks": [{"device": dev, "partitions": parts}]}))
    assert dev in str(err.value)
    assert loopdevs.table(dev) == before
    assert loopdevs.images[dev].read_bytes()[: 64 * 1024] == image_before


def test_second_disk_invalid_leaves_first_untouched(loopdevs, runner):
    a, b = loopdevs.create(64), loopdevs.create(64)
    loopdevs.partition(b, "-n1:2048:+8M")
    with pytest.raises(DeviceError, match=f"{b}: partition 1 didn't match"):
        runner.run("disks", config({"disks": [
            {"device": a, "partitions": [{"number": 1, "sizeMiB": 4}]},
            {"device": b, "partitions": [{"number": 1, "sizeMiB": 4}]}]}))
    assert loopdevs.table(a) == []


def test_missing_device_times_out_naming_it(runner, monkeypatch):
    from ignite.system import udev

    monkeypatch.setattr(udev, "DEFAULT_TIMEOUT", 0.3)
    with pytest.raises(DeviceError, match=r"/dev/nonexistent-disk: device did not appear within 0.3 s "
                                          r"\(at \$\.storage\.disks\.0\.device\)"):
        runner.run("disks", config({"disks": [{"device": "/dev/nonexistent-disk", "wipeTable": True}]}))


def test_refuses_to_modify_a_mounted_partition(loopdevs, runner, tmp_path):
    dev = loopdevs.create(64)
    loopdevs.partition(dev, "-n1:2048:+16M")
    loopdevs.mkfs(f"{dev}p1", "ext4", "-q")
    loopdevs.mount(f"{dev}p1", tmp_path / "mnt")
    before = loopdevs.table(dev)
    with pytest.raises(DeviceError, match=f"refusing to modify active partition 1 on {dev}"):
        runner.run("disks", config({"disks": [{"device": dev, "partitions": [
            {"number": 1, "sizeMiB": 8, "wipePartitionEntry": True}]}]}))
    with pytest.raises(DeviceError, match="refusing to wipe active disk"):
        runner.run("disks", config({"disks": [{"device": dev, "wipeTable": True}]}))
    assert loopdevs.table(dev) == before
