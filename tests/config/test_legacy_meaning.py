"""Legacy configs keep their exact meaning in the newest model; what 3.x JSON cannot say is
carried by the model's legacy-only fields and reported by describe_legacy; the representable
output of every legacy example passes Debian's ignition-validate."""
from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ignite.config import codec
from ignite.config.translate.legacy import describe_legacy, upgrade_legacy, upgrade_normalized

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = {"legacy-v1.ign": "1", "legacy-2.2.ign": "2.2.0"}


def upgrade(cfg: dict, version: str) -> dict:
    out, report = upgrade_normalized(cfg, version)
    assert not report.is_fatal, [e.describe() for e in report.errors()]
    return out


def v22(**sections) -> dict:
    return {"ignition": {"version": "2.2.0"}, **sections}


def test_partition_sectors_whole_mib_become_mib_others_stay_sectors():
    cfg = v22(storage={"disks": [{"device": "/dev/sdb", "partitions": [
        {"number": 1, "start": 2048, "size": 1000000},
        {"number": 2, "start": 1003520, "size": 4096},
        {"number": 3}]}]})
    parts = upgrade(cfg, "2.2.0")["storage"]["disks"][0]["partitions"]
    assert parts == [{"number": 1, "label": "", "startMiB": 1, "sizeSectors": 1000000},
                     {"number": 2, "label": "", "startMiB": 490, "sizeMiB": 2},
                     {"number": 3, "label": "", "startMiB": 0, "sizeMiB": 0}]
    config = codec.config_from_json(upgrade(cfg, "2.2.0"))
    assert config.storage.disks[0].partitions[0].size_sectors == 1000000
    assert describe_legacy(config) == [
        "storage.disks[0].partitions[0].sizeSectors=1000000: 3.x sizes are whole MiB; kept in sectors"]


def test_nodes_on_a_non_root_filesystem_keep_it():
    cfg = v22(storage={
        "filesystems": [{"name": "var", "mount": {"device": "/dev/sdb1", "format": "xfs"}}],
        "files": [{"filesystem": "var", "path": "/log/x", "mode": 420},
                  {"filesystem": "root", "path": "/etc/y", "mode": 420}],
        "directories": [{"filesystem": "var", "path": "/log", "mode": 493}],
        "links": [{"filesystem": "var", "path": "/l", "target": "/log"}]})
    storage = codec.config_from_json(upgrade(cfg, "2.2.0")).storage
    assert storage.filesystems[0].name == "var" and storage.filesystems[0].path is None
    assert [f.filesystem for f in storage.files] == ["var", None]
    assert storage.directories[0].filesystem == "var" and storage.links[0].filesystem == "var"
    assert storage.links[0].target == "/log"  # the target is not mapped, as in 2.x


def test_a_declared_root_filesystem_is_the_target_root():
    cfg = v22(storage={"filesystems": [{"name": "root", "mount": {"device": "/dev/sdb1", "format": "ext4",
                                                                  "wipeFilesystem": True}}],
                       "files": [{"filesystem": "root", "path": "/x", "mode": 420}]})
    out, report = upgrade_normalized(cfg, "2.2.0")
    assert out["storage"]["filesystems"] == [{"device": "/dev/sdb1", "format": "ext4", "wipeFilesystem": True}]
    assert "filesystem" not in out["storage"]["files"][0]
    assert [e.path for e in report.warnings()][-1] == ("storage", "filesystems", 0, "name")


def test_a_path_only_root_filesystem_is_the_target_root():
    cfg = v22(storage={"filesystems": [{"name": "root", "path": "/mnt/root"}],
                       "files": [{"filesystem": "root", "path": "/x", "mode": 420}]})
    out = upgrade(cfg, "2.2.0")["storage"]
    assert "filesystems" not in out and "filesystem" not in out["files"][0]


def test_path_only_filesystem_is_an_error_not_a_silent_change():
    cfg = v22(storage={"filesystems": [{"name": "mnt", "path": "/mnt/data"}]})
    out, report = upgrade_normalized(cfg, "2.2.0")
    assert out == {} and report.errors()[0].path == ("storage", "filesystems", 0)


def test_networkd_units_become_files_after_the_storage_files():
    cfg = v22(
        storage={"files": [{"filesystem": "root", "path": "/etc/a", "mode": 420}]},
        networkd={
            "units": [
                {
                    "name": "10-eth0.network",
                    "contents": "[Match]\nName=eth0\n",
                    "dropins": [{"name": "mtu.conf", "contents": "[Link]\nMTUBytes=9000\n"}, {"name": "empty.conf"}],
                },
                {
                    "name": "20-only-dropins.network",
                    "dropins": [{"name": "a.conf", "contents": "[Network]\nDHCP=yes\n"}],
                },
            ]
        },
    )
    files = upgrade(cfg, "2.2.0")["storage"]["files"]
    assert [f["path"] for f in files] == ["/etc/a", "/etc/systemd/network/10-eth0.network",
                                          "/etc/systemd/network/10-eth0.network.d/mtu.conf",
                                          "/etc/systemd/network/20-only-dropins.network.d/a.conf"]
    assert files[1] == {"path": "/etc/systemd/network/10-eth0.network", "overwrite": True, "mode": 0o644,
                        "contents": {"source": "data:,%5BMatch%5D%0AName%3Deth0%0A"}}


def test_user_create_becomes_the_flat_fields():
    cfg = v22(passwd={"users": [{"name": "app", "passwordHash": "", "create": {
        "uid": 0, "gecos": "App", "homeDir": "/srv/app", "noCreateHome": True, "primaryGroup": "app",
        "groups": ["wheel"], "noUserGroup": True, "system": True, "noLogInit": True, "shell": "/bin/sh"}}]})
    assert upgrade(cfg, "2.2.0")["passwd"]["users"] == [{
        "name": "app", "passwordHash": "", "uid": 0, "gecos": "App", "homeDir": "/srv/app", "noCreateHome": True,
        "primaryGroup": "app", "groups": ["wheel"], "noUserGroup": True, "system": True, "noLogInit": True,
        "shell": "/bin/sh"}]


def test_v1_user_create_survives_the_whole_chain():
    v1 = {"ignitionVersion": 1, "passwd": {"users": [{"name": "app", "create": {"uid": 500, "shell": "/bin/sh"}}],
                                           "groups": [{"name": "app", "gid": 500, "system": False}]}}
    passwd = upgrade(v1, "1")["passwd"]
    assert passwd == {"users": [{"name": "app", "uid": 500, "shell": "/bin/sh"}],
                      "groups": [{"name": "app", "gid": 500}]}


def test_file_defaults_are_what_2x_applied():
    cfg = v22(storage={"files": [{"filesystem": "root", "path": "/a"}],
                       "directories": [{"filesystem": "root", "path": "/d"}]})
    storage = upgrade(cfg, "2.2.0")["storage"]
    assert storage["files"][0]["overwrite"] is True and storage["files"][0]["mode"] == 0
    assert storage["files"][0]["contents"] == {"source": "data:,"}  # 2.x wrote an empty file
    assert storage["directories"][0]["mode"] == 0 and "overwrite" not in storage["directories"][0]


def test_v2_1_file_without_mode_gets_mode_0_through_the_chain():
    cfg = {"ignition": {"version": "2.1.0"}, "storage": {"files": [{"filesystem": "root", "path": "/a"}]}}
    assert upgrade(cfg, "2.1.0")["storage"]["files"][0]["mode"] == 0


def test_special_mode_bits_are_kept():
    # 2.x applied setuid bits; the 3.5 -> 3.6 step would strip them, so we do not take it
    cfg = v22(storage={"files": [{"filesystem": "root", "path": "/usr/local/bin/x", "mode": 0o4755}]})
    assert upgrade(cfg, "2.2.0")["storage"]["files"][0]["mode"] == 0o4755


def test_append_true_becomes_append_list_without_overwrite():
    cfg = v22(storage={"files": [{"filesystem": "root", "path": "/etc/hosts", "append": True, "mode": 420,
                                  "contents": {"source": "data:,x", "compression": "",
                                               "verification": {"hash": "sha512-" + "0" * 128}}}]})
    file = upgrade(cfg, "2.2.0")["storage"]["files"][0]
    assert file == {"path": "/etc/hosts", "overwrite": False, "mode": 420, "append": [
        {"source": "data:,x", "verification": {"hash": "sha512-" + "0" * 128}}]}


def test_explicit_overwrite_false_is_kept():
    cfg = v22(storage={"files": [{"filesystem": "root", "path": "/a", "mode": 420, "overwrite": False}]})
    assert upgrade(cfg, "2.2.0")["storage"]["files"][0]["overwrite"] is False


def test_duplicate_entries_stay_in_order_and_are_reported():
    cfg = v22(storage={"files": [
        {"filesystem": "root", "path": "/etc/motd", "mode": 420, "contents": {"source": "data:,a"}},
        {"filesystem": "root", "path": "/etc/motd", "append": True, "contents": {"source": "data:,b"}}]},
        systemd={"units": [{"name": "a.service", "mask": True}, {"name": "a.service", "enable": True}]})
    out = upgrade(cfg, "2.2.0")
    assert [f.get("contents", f.get("append")) for f in out["storage"]["files"]] == [
        {"source": "data:,a"}, [{"source": "data:,b"}]]
    assert out["systemd"]["units"] == [{"name": "a.service", "mask": True}, {"name": "a.service", "enabled": True}]
    lines = describe_legacy(codec.config_from_json(out))
    assert lines == [
        "storage.files[1].path=/etc/motd: 3.x allows one entry per path; "
        "2.x applied this one after the earlier ones, and so does ignite",
        "systemd.units[1].name=a.service: 3.x allows one entry per unit; "
        "2.x applied this one after the earlier ones, and so does ignite",
    ]


def test_mount_create_becomes_wipe_filesystem_and_options():
    cfg = {
        "ignition": {"version": "2.0.0"},
        "storage": {
            "filesystems": [
                {
                    "name": "a",
                    "mount": {
                        "device": "/dev/sdb1",
                        "format": "ext4",
                        "create": {"force": True, "options": ["-L", "A"]},
                    },
                },
                {"name": "b", "mount": {"device": "/dev/sdb2", "format": "xfs", "create": {"options": ["-f"]}}},
            ]
        },
    }
    filesystems = upgrade(cfg, "2.0.0")["storage"]["filesystems"]
    assert filesystems == [
        {"device": "/dev/sdb1", "format": "ext4", "wipeFilesystem": True, "options": ["-L", "A"], "name": "a"},
        {"device": "/dev/sdb2", "format": "xfs", "options": ["-f"], "name": "b"}]


@pytest.mark.parametrize("unit, enabled", [
    ({"enable": True}, True),
    ({"enabled": True}, True),
    ({"enable": True, "enabled": False}, False),
    ({"enabled": False}, False),
    ({}, None),
])
def test_unit_enable_becomes_enabled(unit, enabled):
    cfg = v22(systemd={"units": [{"name": "a.service", **unit}]})
    assert upgrade(cfg, "2.2.0")["systemd"]["units"][0].get("enabled") == enabled


def test_oem_sources_are_kept_and_reported():
    cfg = v22(ignition={"version": "2.2.0", "config": {"append": [{"source": "oem:///base.ign"}]}},
              storage={"files": [{"filesystem": "root", "path": "/a", "mode": 420, "contents": {"source": "oem:///a"}}]})
    out = upgrade(cfg, "2.2.0")
    assert out["ignition"]["config"]["merge"] == [{"source": "oem:///base.ign"}]
    assert out["storage"]["files"][0]["contents"] == {"source": "oem:///a"}
    assert describe_legacy(codec.config_from_json(out)) == [
        "ignition.config.merge[0].source=oem:///base.ign: 3.x has no oem:// scheme; fetched from the OEM partition",
        "storage.files[0].contents.source=oem:///a: 3.x has no oem:// scheme; fetched from the OEM partition"]


def test_a_plain_config_has_nothing_to_describe():
    cfg = v22(storage={"files": [{"filesystem": "root", "path": "/a", "mode": 420}]})
    assert describe_legacy(codec.config_from_json(upgrade(cfg, "2.2.0"))) == []


# --- the examples, end to end, against the reference validator ----------------------

def _three_x(name: str) -> tuple[dict, list[str]]:
    raw = json.loads((REPO / "examples" / name).read_text())
    out, report = upgrade_legacy(raw, EXAMPLES[name])
    assert not report.is_fatal, [e.describe() for e in report.errors()]
    config = codec.config_from_json(out)
    return codec.to_json(config, legacy=False), describe_legacy(config)


def _for_the_oracle(representable: dict) -> dict:
    """Down to a version 2.14 knows: v3.downgrade when it exists; until then our legacy
    output uses only fields 3.1.0 has, so it is relabelled."""
    try:
        from ignite.config.translate.v3 import downgrade
    except ImportError:
        return {**representable, "ignition": {**representable["ignition"], "version": "3.1.0"}}
    down, problems = downgrade(representable, "3.3.0")
    assert not problems
    return down


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_representable_output_passes_ignition_validate(name, oracle_validate, tmp_path):
    representable, _ = _three_x(name)
    path = tmp_path / "out.ign"
    path.write_text(json.dumps(_for_the_oracle(representable)))
    result = subprocess.run([str(oracle_validate), str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_v1_example_meaning():
    raw = json.loads((REPO / "examples" / "legacy-v1.ign").read_text())
    out, _ = upgrade_legacy(raw, "1")
    config = codec.config_from_json(out)
    assert config.storage.filesystems[0].wipe_filesystem is True
    assert config.storage.filesystems[0].options == ("-L", "DATA")
    assert [f.path for f in config.storage.files] == ["/README", "/app/config.yml",
                                                      "/etc/systemd/network/00-eth0.network"]
    assert config.storage.files[1].user.id == 500 and config.storage.files[1].mode == 0o600
    assert config.storage.disks[0].partitions[0].size_mib == 10240
    assert [(u.name, u.enabled, u.mask) for u in config.systemd.units] == [
        ("var-lib-app.mount", True, None), ("etcd2.service", True, None), ("update-engine.service", None, True)]
    app = config.passwd.users[1]
    assert (app.uid, app.home_dir, app.no_create_home, app.groups) == (500, "/var/lib/app", True, ("systemd-journal",))


def test_2_2_example_reports_what_3x_cannot_say():
    _, lines = _three_x("legacy-2.2.ign")
    assert sorted(lines) == sorted(
        [
            "storage.directories[0].filesystem=var: 3.x nodes live in the root filesystem; "
            "written into the 2.x filesystem of that name",
            "storage.disks[0].partitions[0].sizeSectors=1000000: 3.x sizes are whole MiB; kept in sectors",
            "storage.files[2].filesystem=var: 3.x nodes live in the root filesystem; "
            "written into the 2.x filesystem of that name",
            "storage.filesystems[0].name=var: 3.x filesystems have no names; 2.x nodes refer to this one by it",
        ]
    )


# --- the pre-checks the pipeline makes before a legacy config is decoded --------------

@pytest.mark.parametrize("data, error", [
    (b"", "not a config (empty)"),
    (b"#cloud-config  \nhostname: a\n", "not a config (found coreos-cloudconfig)"),
    (b"#!/bin/sh\necho hi\n", "not a config (found coreos-cloudinit script)"),
    (gzip.compress(b"#cloud-config\n", mtime=0), "not a config (found coreos-cloudconfig)"),
])
def test_prechecks(data, error):
    from ignite.config.parse import parse_report

    result = parse_report(data)
    assert result.config is None and result.error == error


def test_gzipped_legacy_config_is_unpacked():
    from ignite.config.parse import parse_report

    result = parse_report(gzip.compress((REPO / "examples" / "legacy-2.2.ign").read_bytes()))
    assert result.config is not None, [e.describe() for e in result.report.entries]
    assert result.config.storage.disks[0].partitions[0].size_sectors == 1000000


def test_node_paths_are_cleaned_as_2x_joined_them():
    cfg = v22(storage={"files": [{"filesystem": "root", "path": "//etc/./a/../b/", "mode": 420}]},
              networkd={"units": [{"name": "../x.network", "contents": "[Match]\nName=a\n"}]})
    assert [f["path"] for f in upgrade(cfg, "2.2.0")["storage"]["files"]] == ["/etc/b", "/etc/systemd/x.network"]


@pytest.mark.parametrize("version", ["1", "2.0.0"])
def test_negative_numbers_in_unsigned_fields_are_rejected(version):
    sections = {"storage": {"disks": [{"device": "/dev/sdb", "partitions": [{"number": 1, "size": -2048}]}]},
                "passwd": {"groups": [{"name": "g", "gid": -1}]}}
    cfg = {"ignitionVersion": 1, **sections} if version == "1" else {"ignition": {"version": version}, **sections}
    out, report = upgrade_normalized(cfg, version)
    assert out == {}
    assert [e.path for e in report.errors()] == [("storage", "disks", 0, "partitions", 0, "size"),
                                                 ("passwd", "groups", 0, "gid")]


def test_negative_partition_sizes_of_later_versions_fail_before_the_disk_is_touched():
    cfg = {"ignition": {"version": "2.3.0"},
           "storage": {"disks": [{"device": "/dev/sdb", "partitions": [{"number": 1, "sizeMiB": -1}]}]}}
    out, report = upgrade_normalized(cfg, "2.3.0")
    assert out == {} and report.errors()[0].path == ("storage", "disks", 0, "partitions", 0, "sizeMiB")


def test_filesystem_names_no_node_refers_to_are_not_a_loss():
    """Container Linux / Flatcar configs name filesystems they only format: nothing is lost."""
    cfg = v22(storage={"filesystems": [
        {"name": "oem", "mount": {"device": "/dev/disk/by-label/OEM", "format": "btrfs"}},
        {"name": "data", "mount": {"device": "/dev/sdb1", "format": "ext4", "create": {"force": True}}}],
        "files": [{"filesystem": "data", "path": "/a", "mode": 420}]})
    assert describe_legacy(codec.config_from_json(upgrade(cfg, "2.2.0"))) == [
        "storage.files[0].filesystem=data: 3.x nodes live in the root filesystem; "
        "written into the 2.x filesystem of that name",
        "storage.filesystems[1].name=data: 3.x filesystems have no names; 2.x nodes refer to this one by it",
    ]


def test_translate_of_named_but_unreferenced_filesystems_exits_0(tmp_path):
    cfg = v22(storage={"filesystems": [
        {"name": "oem", "mount": {"device": "/dev/disk/by-label/OEM", "format": "btrfs", "create": {"force": True}}}],
        "files": [{"filesystem": "root", "path": "/etc/motd", "mode": 420, "contents": {"source": "data:,hi"}}]})
    path = tmp_path / "in.ign"
    path.write_text(json.dumps(cfg))
    p = subprocess.run([sys.executable, "-m", "ignite", "translate", str(path)], capture_output=True, text=True,
                       cwd=REPO, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "have no names" not in p.stderr
    assert json.loads(p.stdout)["storage"]["filesystems"][0]["device"] == "/dev/disk/by-label/OEM"
