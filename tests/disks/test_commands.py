"""The exact commands ignite runs where this kernel cannot run them (RAID, LUKS, clevis),
and the pure parts of partitioning and mkfs. No root needed."""
from __future__ import annotations

import json

import pytest

from ignite.config.codec import from_json
from ignite.config.model import Clevis, Disk, Filesystem, Luks, Raid
from ignite.errors import DeviceError
from ignite.stages.disks_filesystems import FsPlan
from ignite.stages.disks_luks import clevis_pin_config, clevis_used
from ignite.stages.disks_partitions import DiskPlan, Wanted
from ignite.stages.disks_raid import RaidPlan
from ignite.system import blkid, luks, mdadm, mkfs, sgdisk

UUID_LOWER = "2f4b9a1e-0000-4000-8000-000000000001"  # mkfs gets the UUID in lower case


@pytest.mark.parametrize("fmt,expected", [
    ("ext4", ["mkfs.ext4", "-b", "4096", "-F", "-U", UUID_LOWER, "-L", "data", "/dev/x"]),
    ("btrfs", ["mkfs.btrfs", "-b", "4096", "--force", "-U", UUID_LOWER, "-L", "data", "/dev/x"]),
    ("xfs", ["mkfs.xfs", "-b", "4096", "-f", "-m", f"uuid={UUID_LOWER}", "-L", "data", "/dev/x"]),
    ("swap", ["mkswap", "-b", "4096", "-f", "-U", UUID_LOWER, "-L", "data", "/dev/x"]),
])
def test_mkfs_argv_user_options_first_then_ignition_flags(fmt, expected):
    uuid = "2F4B9A1E-0000-4000-8000-000000000001"
    assert mkfs.argv(fmt, "/dev/x", "data", uuid, ("-b", "4096")) == expected


def test_mkfs_vfat_volume_id_loses_dash_and_none_runs_nothing():
    assert mkfs.argv("vfat", "/dev/x", "EFI", "ABCD-1234", ()) == ["mkfs.vfat", "-i", "abcd1234", "-n", "EFI", "/dev/x"]
    assert mkfs.argv("none", "/dev/x", None, None, ()) == []
    assert mkfs.argv("ext4", "/dev/x", None, None, ()) == ["mkfs.ext4", "-F", "/dev/x"]
    with pytest.raises(DeviceError, match="unsupported filesystem format 'zfs'"):
        mkfs.argv("zfs", "/dev/x", None, None, ())


def test_filesystem_plan_argv_uses_the_resolved_node():
    fs = Filesystem(device="/dev/disk/by-partlabel/root", format="xfs", label="root")
    plan = FsPlan(fs, 0, "/dev/vda4", "format", blkid.Signature())
    assert plan.mkfs_argv() == ["mkfs.xfs", "-f", "-L", "root", "/dev/vda4"]


def test_mdadm_create_as_upstream_with_spares_and_options():
    raid = Raid(name="data", level="raid1", devices=("/dev/vdb", "/dev/vdc", "/dev/vdd"), spares=1,
                options=("--metadata=1.2",))
    plan = RaidPlan(raid, 0, ("/dev/vdb", "/dev/vdc", "/dev/vdd"))
    assert plan.argv() == ["--create", "data", "--force", "--run", "--homehost", "any", "--level", "raid1",
                           "--raid-devices", "2", "--spare-devices", "1", "--metadata=1.2",
                           "/dev/vdb", "/dev/vdc", "/dev/vdd"]
    assert mdadm.create_argv("/dev/md0", "raid0", ["/a", "/b"], 0, ()) == [
        "--create", "/dev/md0", "--force", "--run", "--homehost", "any", "--level", "raid0", "--raid-devices", "2",
        "/a", "/b"]
    assert mdadm.array_path("data") == "/dev/md/data" and mdadm.array_path("/dev/md0") == "/dev/md0"


def test_luks_format_and_open_argv():
    assert luks.format_argv("/dev/vdb1", "/tmp/k", "secret", "1234", ("--cipher", "aes-xts-plain64")) == [
        "luksFormat", "--type", "luks2", "--key-file", "/tmp/k", "--label", "secret", "--uuid", "1234",
        "--cipher", "aes-xts-plain64", "/dev/vdb1"]
    assert luks.open_argv("/dev/vdb1", "data", "/tmp/k", True, ("--perf-no_read_workqueue",)) == [
        "luksOpen", "/dev/vdb1", "data", "--key-file", "/tmp/k", "--persistent", "--allow-discards",
        "--perf-no_read_workqueue"]
    assert luks.open_argv("/dev/vdb1", "data", "/tmp/k", False, ()) == [
        "luksOpen", "/dev/vdb1", "data", "--key-file", "/tmp/k", "--persistent"]


def test_clevis_sss_config_as_upstream():
    clevis = from_json(Clevis, {"tang": [{"url": "http://tang", "thumbprint": "abc"}], "threshold": 2, "tpm2": True})
    pin, config = clevis_pin_config(clevis, {"http://tang": '{"payload": "x"}'})
    assert pin == "sss"
    assert json.loads(config) == {"pins": {"tang": [{"url": "http://tang", "thp": "abc", "adv": {"payload": "x"}}],
                                           "tpm2": {}}, "t": 2}
    only_tpm = from_json(Clevis, {"tpm2": True})
    assert json.loads(clevis_pin_config(only_tpm)[1]) == {"pins": {"tpm2": {}}, "t": 1}
    custom = from_json(Clevis, {"custom": {"pin": "tpm2", "config": "{}"}})
    assert clevis_pin_config(custom) == ("tpm2", "{}") and clevis_used(custom)
    assert not clevis_used(Clevis())
    assert luks.clevis_bind_argv("/dev/vdb", "/k", "sss", "{}") == ["luks", "bind", "-f", "-k", "/k", "-d",
                                                                     "/dev/vdb", "sss", "{}"]


def test_sgdisk_pretend_output_is_parsed_strictly():
    out = ("Partition GUID code: 0FC63DAF-8483-4772-8E79-3D69D8477DE4 (Linux filesystem)\n"
           "First sector: 2048 (at 1024.0 KiB)\nLast sector: 18431 (at 9.0 MiB)\n"
           "First sector: 18432 (at 9.0 MiB)\nLast sector: 131038 (at 64.0 MiB)\n")
    assert sgdisk.parse_pretend("/dev/x", out, [1, 3]) == {1: (2048, 16384), 3: (18432, 112607)}
    with pytest.raises(DeviceError, match="unexpected output"):
        sgdisk.parse_pretend("/dev/x", out, [1])
    with pytest.raises(DeviceError, match="unexpected output"):
        sgdisk.parse_pretend("/dev/x", out.rsplit("Last", 1)[0], [1, 3])


def test_commit_ops_deletes_first_then_new_name_type_guid():
    plan = DiskPlan("/dev/vda", "/dev/vda", 0, deletes=[2, 5])
    plan.creates = [Wanted(index=0, number=2, start=4096, size=0, label="data", type_guid="ABC", guid="DEF",
                           should_exist=True, wipe_entry=True, resize=False),
                    Wanted(index=1, number=6, start=None, size=None, label=None, type_guid=None, guid=None,
                           should_exist=True, wipe_entry=False, resize=False)]
    assert plan.ops() == ["--delete=2", "--delete=5", "--new=2:4096:+0", "--change-name=2:data",
                          "--typecode=2:ABC", "--partition-guid=2:DEF", "--new=6:0:+0"]


def test_disk_model_accepts_legacy_sectors():
    from ignite.config.model import Partition
    from ignite.stages.disks_partitions import _wanted

    want = _wanted(0, Partition(number=1, start_sectors=4096, size_sectors=1000), 512)
    assert (want.start, want.size) == (4096, 1000)
    want = _wanted(0, Partition(number=1, start_mib=2, size_mib=3), 4096)
    assert (want.start, want.size) == (512, 768)
    assert Disk().partitions == ()


def test_luks_key_is_generated_or_fetched_and_persisted_for_the_files_stage(tmp_path):
    import base64

    from ignite.stages.devices import Devices
    from ignite.stages.disks_luks import _persist_key, plan_luks

    devices = Devices()
    generated = plan_luks(Luks(name="data", device="/dev/null"), 0, devices)
    assert generated.generated_key and len(generated.key) == 8192
    assert set(generated.key.decode()) <= set("0123456789abcdef")
    given = from_json(Luks, {"name": "k", "device": "/dev/null", "keyFile": {"source": "data:,secret"}})
    assert plan_luks(given, 0, devices).key == b"secret"
    with pytest.raises(DeviceError, match="CEX .* not supported.*storage.luks.0.cex"):
        plan_luks(from_json(Luks, {"name": "z", "device": "/dev/null", "cex": {"enabled": True}}), 0, devices)

    state = tmp_path / "state"
    state.write_text(json.dumps({"notatedDirectories": ["/var"], "luksPersistKeyFiles": None}))
    _persist_key(state, "data", b"k\x00ey")
    saved = json.loads(state.read_text())
    assert saved["notatedDirectories"] == ["/var"]
    assert saved["luksPersistKeyFiles"] == {"data": "data:;base64," + base64.b64encode(b"k\x00ey").decode()}
    assert oct(state.stat().st_mode & 0o777) == "0o600"
