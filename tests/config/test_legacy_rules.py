"""Each legacy version validated by its own rules (Ignition 0.x, spec2x)."""
from __future__ import annotations

import pytest

from ignite.config.report import DEPRECATED, ERROR, WARNING, format_path
from ignite.config.translate.legacy import upgrade_legacy, upgrade_normalized
from ignite.config.translate.legacy_rules import validate_legacy

SHA512 = "sha512-" + "0" * 128
UNIT = "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n"


def cfg(version: str, **sections) -> dict:
    if version == "1":
        return {"ignitionVersion": 1, **sections}
    return {"ignition": {"version": version}, **sections}


def entries(config: dict, version: str) -> list[tuple[str, str, str]]:
    return [(e.kind, format_path(e.path), e.message) for e in validate_legacy(config, version).entries]


def disk(*partitions, device="/dev/sdb"):
    return {"storage": {"disks": [{"device": device, "partitions": list(partitions)}]}}


def file_(version, **fields):
    base = {"filesystem": "root", "path": "/etc/x"}
    if version >= "2.2.0":
        base["mode"] = 0o644
    base.update(fields)
    return {"storage": {"files": [base]}}


# (versions it applies to, config sections, expected entry)
CASES = [
    # v1
    (["1"], disk({"number": 1, "start": 2048, "size": 2048}), None),
    (["1"], disk({"number": 1, "start": 2049}), (ERROR, "$.storage.disks.0.partitions", "partitions misaligned")),
    (["1"], disk({"number": 0}, {"number": 0}), (ERROR, "$.storage.disks.0.partitions", "partition numbers collide")),
    (["1"], disk({"number": 1}, device="sdb"), (ERROR, "$.storage.disks.0.device", "path not absolute")),
    (["1"], disk({"typeGuid": "nope"}), (ERROR, "$.storage.disks.0.partitions.0.typeGuid",
                                         'partition type-guid must have the form "01234567-89AB-CDEF-EDCB-A98765432101", got: "nope"')),
    (["1"], {"storage": {"filesystems": [{"device": "/dev/sdb1", "format": "vfat"}]}},
     (ERROR, "$.storage.filesystems.0.format", "invalid filesystem format")),
    (["1"], {"storage": {"filesystems": [{"device": "/dev/sdb1", "format": "ext4",
                                          "files": [{"path": "/a", "mode": 0o10000}]}]}},
     (ERROR, "$.storage.filesystems.0.files.0.mode", "illegal file mode")),
    (["1"], {"storage": {"filesystems": [{"device": "/dev/sdb1", "format": "ext4",
                                          "files": [{"path": "rel"}]}]}},
     (ERROR, "$.storage.filesystems.0.files.0.path", "path not absolute")),
    (["1"], {"networkd": {"units": [{"name": "eth0.conf"}]}},
     (ERROR, "$.networkd.units.0.name", "invalid networkd unit extension")),
    # every version
    (["1", "2.0.0", "2.4.0"], disk({"number": 1, "start": 2048, "size": 4096}, {"number": 2, "start": 4096, "size": 2048}),
     (ERROR, "$.storage.disks.0.partitions", "partitions overlap")),
    (["1", "2.0.0", "2.4.0"], disk({"number": 1, "label": "x" * 37}),
     (ERROR, "$.storage.disks.0.partitions.0.label", "partition labels may not exceed 36 characters")),
    (["1", "2.0.0", "2.4.0"], {"storage": {"disks": [{"partitions": []}]}},
     (ERROR, "$.storage.disks.0.device", "disk device is required")),
    (["1", "2.0.0", "2.4.0"], {"storage": {"raid": [{"name": "md0", "level": "raid7", "devices": ["/dev/a"]}]}},
     (ERROR, "$.storage.raid.0.level", "unrecognized raid level")),
    (["1", "2.0.0", "2.4.0"], {"storage": {"raid": [{"name": "md0", "level": "stripe", "spares": 1, "devices": ["/dev/a"]}]}},
     (ERROR, "$.storage.raid.0.level", "spares unsupported for arrays with a level greater than 0")),
    (["1", "2.0.0", "2.4.0"], {"storage": {"raid": [{"name": "md0", "level": "raid1", "devices": ["sda"]}]}},
     (ERROR, "$.storage.raid.0.devices.0", "path not absolute")),
    (["1", "2.0.0", "2.4.0"], {"systemd": {"units": [{"name": "x.conf"}]}},
     (ERROR, "$.systemd.units.0.name", "invalid systemd unit extension")),
    (["1", "2.0.0", "2.4.0"], {"systemd": {"units": [{"name": "x.service", "dropins": [{"name": "a.txt"}]}]}},
     (ERROR, "$.systemd.units.0.dropins.0.name", "invalid systemd drop-in extension")),
    # 2.x only
    (["2.0.0", "2.4.0"], disk({"number": 0}, {"number": 0}), None),
    (["2.0.0", "2.4.0"], disk({"label": "a:b"}),
     (WARNING, "$.storage.disks.0.partitions.0.label", "partition label will be truncated to text before the colon")),
    (["2.0.0", "2.4.0"], disk({"typeGuid": "nope"}),
     (ERROR, "$.storage.disks.0.partitions.0.typeGuid", 'doesn\'t match the form "01234567-89AB-CDEF-EDCB-A98765432101"')),
    (["2.0.0", "2.4.0"], {"ignition": {"config": {"append": [{"source": "ftp://x"}]}}},
     (ERROR, "$.ignition.config.append.0.source", "invalid url scheme")),
    (["2.0.0", "2.4.0"], {"ignition": {"config": {"replace": {"source": "oem:///a.ign"}}}}, None),
    (["2.0.0", "2.4.0"], {"ignition": {"config": {"replace": {"source": "http://x", "verification": {"hash": "sha512"}}}}},
     (ERROR, "$.ignition.config.replace.verification.hash", "malformed hash specifier")),
    (["2.0.0", "2.4.0"], {"ignition": {"config": {"replace": {"source": "http://x", "verification": {"hash": "sha256-" + "0" * 64}}}}},
     (ERROR, "$.ignition.config.replace.verification.hash", "unrecognized hash function")),
    (["2.0.0", "2.4.0"], {"ignition": {"config": {"replace": {"source": "http://x", "verification": {"hash": "sha512-00"}}}}},
     (ERROR, "$.ignition.config.replace.verification.hash", "incorrect size for hash sum")),
    (["2.0.0", "2.4.0"], {"ignition": {"config": {"replace": {"source": "http://x", "verification": {"hash": SHA512}}}}}, None),
    (["2.0.0", "2.4.0"], {"storage": {"filesystems": [{"name": "a"}]}},
     (ERROR, "$.storage.filesystems.0", "filesystem is missing mount or path")),
    (["2.0.0", "2.4.0"], {"storage": {"filesystems": [{"name": "a", "path": "/x", "mount": {"device": "/dev/a", "format": "ext4"}}]}},
     (ERROR, "$.storage.filesystems.0", "filesystem has both mount and path defined")),
    (["2.0.0", "2.4.0"], {"storage": {"filesystems": [{"name": "a", "mount": {"device": "a", "format": "ext4"}}]}},
     (ERROR, "$.storage.filesystems.0.mount.device", "path not absolute")),
    (["2.0.0", "2.4.0"], {"storage": {"files": [{"path": "/a"}]}},
     (ERROR, "$.storage.files.0.filesystem", "no filesystem specified")),
    (["2.0.0", "2.4.0"], {"storage": {"files": [{"filesystem": "data", "path": "/a", "mode": 420}]}},
     (WARNING, "$.storage.files.0.filesystem",
      'File "/a" references nonexistent filesystem "data". (This is ok if it is defined in a referenced config)')),
    (["2.0.0", "2.4.0"], {"storage": {"filesystems": [{"name": "root", "mount": {"device": "/dev/a", "format": "ext4"}}]}},
     (WARNING, "$.storage.filesystems.0.name", 'Filesystem "root" shadows exising filesystem definition')),
    (["2.0.0", "2.4.0"], {"storage": {"files": [{"filesystem": "root", "path": "/a", "mode": 420,
                                                 "contents": {"compression": "xz"}}]}},
     (ERROR, "$.storage.files.0.contents.compression", "invalid compression method")),
    (["2.0.0", "2.4.0"], {"systemd": {"units": [{"name": "a.service", "contents": "[Service"}]}},
     (ERROR, "$.systemd.units.0.contents", "invalid unit content: unable to find end of section")),
    (["2.0.0", "2.4.0"], {"systemd": {"units": [{"name": "a.service", "enable": True, "contents": "[Service]\nA=b\n"}]}},
     (WARNING, "$.systemd.units.0.contents", 'unit "a.service" is enabled, but has no install section so enable does nothing')),
    (["2.0.0", "2.4.0"], {"systemd": {"units": [{"name": "a.service", "enable": True, "contents": UNIT}]}}, None),
    # by version
    (["2.0.0"], {"storage": {"filesystems": [{"name": "a", "mount": {"device": "/dev/a", "format": "swap"}}]}},
     (ERROR, "$.storage.filesystems.0.mount.format", "invalid filesystem format")),
    (["2.1.0", "2.4.0"], {"storage": {"filesystems": [{"name": "a", "mount": {"device": "/dev/a", "format": "swap"}}]}}, None),
    (["2.0.0"], {"storage": {"files": [{"filesystem": "root", "path": "/a", "contents": {"source": "tftp://h/a"}}]}},
     (ERROR, "$.storage.files.0.contents.source", "invalid url scheme")),
    (["2.1.0", "2.2.0"], {"storage": {"files": [{"filesystem": "root", "path": "/a", "mode": 420,
                                                 "contents": {"source": "s3://b/k?versionId="}}]}},
     (ERROR, "$.storage.files.0.contents.source", "invalid S3 object VersionId")),
    (["2.3.0", "2.4.0"], {"storage": {"files": [{"filesystem": "root", "path": "/a", "mode": 420,
                                                 "contents": {"source": "gs://b/k"}}]}},
     (ERROR, "$.storage.files.0.contents.source", 'invalid url "gs://b/k": invalid url scheme')),
    (["2.1.0", "2.4.0"], {"storage": {"filesystems": [{"name": "a", "mount": {"device": "/dev/a", "format": "xfs",
                                                                               "label": "x" * 13}}]}},
     (ERROR, "$.storage.filesystems.0.mount.label", "filesystem labels cannot be longer than 12 characters when using xfs")),
    (["2.1.0", "2.4.0"], {"storage": {"filesystems": [{"name": "a", "mount": {"device": "/dev/a", "format": "ext4",
                                                                               "create": {"force": True}}}]}},
     (WARNING, "$.storage.filesystems.0.mount.create", "the create object has been deprecated in favor of mount-level options")),
    (["2.1.0", "2.4.0"], {"storage": {"filesystems": [{"name": "a", "mount": {"device": "/dev/a", "format": "ext4", "wipeFilesystem": True,
                                                                               "create": {"force": True}}}]}},
     (ERROR, "$.storage.filesystems.0.mount.create", "cannot use both create object and wipeFilesystem field")),
    (["2.1.0", "2.4.0"], {"storage": {"filesystems": [{"name": "a", "mount": {"device": "/dev/a", "format": "ext4", "options": ["-b"],
                                                                               "create": {}}}]}},
     (ERROR, "$.storage.filesystems.0.mount.create", "cannot use both create object and mount-level options field")),
    (["2.1.0", "2.2.0"], {"storage": {"filesystems": [{"name": "a", "path": "rel"}]}},
     (ERROR, "$.storage.filesystems.0.path", "path not absolute")),
    (["2.3.0", "2.4.0"], {"storage": {"filesystems": [{"name": "a", "path": "rel"}]}},
     (ERROR, "$.storage.filesystems.0.path", 'filesystem "a": path not absolute')),
    (["2.1.0", "2.4.0"], {"storage": {"links": [{"filesystem": "root", "path": "/a", "target": "/b",
                                                 "user": {"id": 1, "name": "core"}}]}},
     (ERROR, "$.storage.links.0.user", "cannot set both id and name")),
    (["2.1.0", "2.4.0"], {"storage": {"directories": [{"filesystem": "root", "path": "/d", "mode": -1}]}},
     (ERROR, "$.storage.directories.0.mode", "illegal file mode")),
    (["2.1.0", "2.4.0"], {"passwd": {"users": [{"name": "a", "create": {"uid": 5}}]}},
     (WARNING, "$.passwd.users.0.create", "the create object has been deprecated in favor of user-level options")),
    (["2.1.0", "2.4.0"], {"passwd": {"users": [{"name": "a", "uid": 0, "create": {}}]}},
     (ERROR, "$.passwd.users.0.uid", "cannot use both the create object and the user-level uid field")),
    (["2.1.0", "2.4.0"], {"passwd": {"users": [{"name": "a", "shell": "/bin/sh", "create": {}}]}},
     (ERROR, "$.passwd.users.0.shell", "cannot use both the create object and the user-level shell field")),
    (["2.0.0"], {"passwd": {"users": [{"name": "a", "create": {"uid": 5}}]}}, None),
    (["2.1.0"], {"storage": {"files": [{"filesystem": "root", "path": "/a"}]}}, None),
    (["2.2.0", "2.4.0"], {"storage": {"files": [{"filesystem": "root", "path": "/a"}]}},
     (WARNING, "$.storage.files.0.mode", "permissions unset, defaulting to 0000")),
    (["2.2.0", "2.4.0"], {"storage": {"files": [{"filesystem": "root", "path": "/a", "mode": 420, "append": True, "overwrite": True}]}},
     (ERROR, "$.storage.files.0", "cannot set both append and overwrite to true")),
    (["2.2.0", "2.4.0"], {"ignition": {"security": {"tls": {"certificateAuthorities": [{"source": "ftp://ca"}]}}}},
     (ERROR, "$.ignition.security.tls.certificateAuthorities.0.source", "invalid url scheme")),
    (["2.2.0", "2.4.0"], {"networkd": {"units": [{"name": "a.network", "dropins": [{"name": "b"}]}]}},
     (ERROR, "$.networkd.units.0.dropins.0.name", "invalid networkd drop-in extension")),
    (["2.2.0"], disk({"number": 1, "size": 2048}), None),
    (["2.3.0", "2.4.0"], disk({"number": 1, "size": 2048}),
     (DEPRECATED, "$.storage.disks.0.partitions.0.size", "size is deprecated; use sizeMB instead")),
    (["2.3.0", "2.4.0"], disk({"number": 1, "start": 2048}),
     (DEPRECATED, "$.storage.disks.0.partitions.0.start", "start is deprecated; use startMB instead")),
    (["2.3.0", "2.4.0"], disk({"number": 1, "size": 2048}, {"number": 2, "sizeMiB": 1}),
     (ERROR, "$.storage.disks.0.partitions", "cannot mix MBs and sectors within a disk")),
    (["2.3.0", "2.4.0"], disk({"number": 1, "shouldExist": False}, {"sizeMiB": 1}),
     (ERROR, "$.storage.disks.0.partitions",
      "shouldExist is false for a partition and other partition(s) has start or size 0")),
    (["2.3.0", "2.4.0"], disk({"number": 1, "shouldExist": False, "label": "x"}),
     (ERROR, "$.storage.disks.0.partitions.0", "shouldExist specified false with other options also specified")),
    (["2.3.0", "2.4.0"], disk({"number": 1, "sizeMiB": 100, "startMiB": 1, "label": "data"}), None),
    (["2.4.0"], {"ignition": {"config": {"append": [{"source": "https://x", "httpHeaders": [
        {"name": "A", "value": "1"}, {"name": "A", "value": "2"}]}]}}},
     (ERROR, "$.ignition.config.append.0.httpHeaders.1.name", 'Found duplicate HTTP header: "A"')),
    (["2.4.0"], {"ignition": {"config": {"append": [{"source": "https://x", "httpHeaders": [{"value": "1"}]}]}}},
     (ERROR, "$.ignition.config.append.0.httpHeaders.0.name", "HTTP header name can't be empty")),
    (["2.4.0"], {"storage": {"files": [{"filesystem": "root", "path": "/a", "mode": 420, "contents": {
        "source": "tftp://h/a", "httpHeaders": [{"name": "A", "value": "1"}]}}]}},
     (ERROR, "$.storage.files.0.contents.httpHeaders", "cannot use HTTP headers with this source scheme")),
]


def _expand():
    for versions, sections, expected in CASES:
        for version in versions:
            yield pytest.param(version, sections, expected, id=f"{version}-{expected[2][:40] if expected else 'valid'}")


@pytest.mark.parametrize("version, sections, expected", list(_expand()))
def test_rule(version, sections, expected):
    config = cfg(version, **{k: v for k, v in sections.items() if k != "ignition"})
    if version != "1" and "ignition" in sections:
        config["ignition"].update(sections["ignition"])
    found = entries(config, version)
    if expected is None:
        assert all(e[0] != ERROR for e in found), found
    else:
        assert expected in found, found


def test_v1_is_deprecated_but_accepted():
    out, report = upgrade_normalized({"ignitionVersion": 1}, "1")
    assert [(e.kind, e.message) for e in report.entries] == [(DEPRECATED, "config format deprecated")]
    assert not report.is_fatal and out["ignition"]["version"] == "3.6.0"


def test_deprecated_entries_are_not_fatal():
    config = cfg("2.3.0", storage={"disks": [{"device": "/dev/sdb", "partitions": [{"number": 1, "size": 4096}]}]})
    out, report = upgrade_normalized(config, "2.3.0")
    assert {e.kind for e in report.entries} == {DEPRECATED}
    assert out["storage"]["disks"][0]["partitions"][0]["sizeMiB"] == 2


def test_an_error_rejects_the_whole_config():
    config = cfg("2.2.0", storage={"files": [{"filesystem": "root", "path": "rel", "mode": 420},
                                             {"filesystem": "root", "path": "/ok", "mode": 420}]})
    out, report = upgrade_normalized(config, "2.2.0")
    assert out == {} and report.is_fatal


def test_every_error_is_listed():
    config = cfg("2.4.0", storage={"files": [{"filesystem": "root", "path": "a", "mode": 99999},
                                             {"path": "/b", "mode": 420}]})
    messages = [e.message for e in validate_legacy(config, "2.4.0").errors()]
    assert messages == ["path not absolute", "illegal file mode", "no filesystem specified"]


def test_structure_errors_come_from_the_version_schema():
    out, report = upgrade_legacy({"ignition": {"version": "2.0.0"}, "storage": {"files": [{"mode": "420"}]},
                                  "unknownSection": {}}, "2.0.0")
    assert report.is_fatal and out == {}
    assert any(e.path == ("storage", "files", 0, "mode") for e in report.errors())
    assert any(e.path == ("unknownSection",) and not e.is_error for e in report.entries)


def test_keys_of_a_later_version_are_unknown_to_an_earlier_one():
    _, report = upgrade_legacy({"ignition": {"version": "2.0.0"},
                                "storage": {"directories": [{"filesystem": "root", "path": "/d"}]}}, "2.0.0")
    assert not report.is_fatal
    assert [e.path for e in report.warnings()] == [("storage", "directories")]
