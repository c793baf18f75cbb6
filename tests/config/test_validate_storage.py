"""3.x validation of storage nodes, disks/partitions, filesystems (docs/spec/config.md#validation)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from v3_validate_helpers import Case, E, W, rule_tests

SPECIAL = "setuid/setgid/sticky bits are not supported or functional in spec versions older than 3.6.0"
GUID = 'doesn\'t match the form "01234567-89AB-CDEF-EDCB-A98765432101"'
F = "$.storage.files.0"
D = "$.storage.directories.0"
L = "$.storage.links.0"
FS = "$.storage.filesystems.0"
P = "$.storage.disks.0.partitions"


def files(*entries):
    return {"storage": {"files": list(entries)}}


CASES = [
    # --- paths (docs/spec/config.md#validation) ---
    Case("path-ok", "3.0.0", files({"path": "/etc/motd"})),
    Case("path-empty", "3.0.0", files({"path": ""}), [E(F + ".path", "path not specified")]),
    Case("path-missing", "3.3.0", files({}), [E(F + ".path", "path not specified")]),
    Case("path-relative", "3.1.0", files({"path": "etc/motd"}), [E(F + ".path", "path not absolute")]),
    Case("path-dotdot", "3.2.0", files({"path": "/etc/../motd"}), [E(F + ".path", "path is not fully simplified")]),
    Case("path-double-slash", "3.3.0", files({"path": "//etc"}), [E(F + ".path", "path is not fully simplified")]),
    Case("path-trailing-slash", "3.0.0", {"storage": {"directories": [{"path": "/opt/"}]}},
         [E(D + ".path", "path is not fully simplified")]),
    Case("path-dot", "3.6.0", {"storage": {"links": [{"path": "/a/./b", "target": "/x"}]}},
         [E(L + ".path", "path is not fully simplified")]),
    # --- modes ---
    Case("mode-ok", "3.3.0", files({"path": "/a", "mode": 0o644})),
    Case("mode-too-big", "3.3.0", files({"path": "/a", "mode": 0o10000}), [E(F + ".mode", "illegal file mode")], "verdict"),
    Case("mode-negative", "3.6.0", files({"path": "/a", "mode": -1}), [E(F + ".mode", "illegal file mode")]),
    Case("mode-negative-pre36-also-warns", "3.5.0", files({"path": "/a", "mode": -1}),
         [E(F + ".mode", "illegal file mode"), W(F + ".mode", SPECIAL)]),
    Case("mode-special-warns-pre36", "3.2.0", files({"path": "/a", "mode": 0o4755}), [W(F + ".mode", SPECIAL)]),
    Case("mode-special-dir-warns-3.5", "3.5.0", {"storage": {"directories": [{"path": "/d", "mode": 0o1777}]}},
         [W(D + ".mode", SPECIAL)]),
    Case("mode-special-ok-36", "3.6.0", files({"path": "/a", "mode": 0o6755})),
    Case("mode-special-ok-37", "3.7.0-experimental", files({"path": "/a", "mode": 0o6755})),
    # --- owners ---
    Case("owner-id-and-name", "3.0.0", files({"path": "/a", "user": {"id": 1, "name": "core"}}),
         [E(F + ".user", "cannot set both id and name")]),
    Case("group-id-and-name", "3.3.0", {"storage": {"directories": [{"path": "/d", "group": {"id": 0, "name": "x"}}]}},
         [E(D + ".group", "cannot set both id and name")]),
    Case("owner-id-and-empty-name", "3.3.0", files({"path": "/a", "user": {"id": 1, "name": ""}})),
    Case("link-owner-both", "3.3.0", {"storage": {"links": [{"path": "/l", "target": "/t", "group": {"id": 1, "name": "g"}}]}},
         [E(L + ".group", "cannot set both id and name")]),
    # --- overwrite ---
    Case("overwrite-without-source", "3.1.0", files({"path": "/a", "overwrite": True}),
         [E(F + ".overwrite", "overwrite must be false if source is unspecified")]),
    Case("overwrite-empty-source-ok", "3.1.0", files({"path": "/a", "overwrite": True, "contents": {"source": ""}})),
    Case("overwrite-false-ok", "3.0.0", files({"path": "/a", "overwrite": False})),
    # --- links ---
    Case("file-under-link", "3.3.0", {"storage": {"files": [{"path": "/l/f"}], "links": [{"path": "/l", "target": "/t"}]}},
         [E(F, "file path includes link in config")]),
    Case("dir-under-link", "3.0.0", {"storage": {"directories": [{"path": "/l/d"}], "links": [{"path": "/l", "target": "/t"}]}},
         [E(D, "directory path includes link in config")]),
    Case("link-under-link", "3.2.0", {"storage": {"links": [{"path": "/l/x", "target": "/t"}, {"path": "/l", "target": "/t"}]}},
         [E(L, "link path includes link in config")]),
    Case("prefix-not-component", "3.3.0", {"storage": {"files": [{"path": "/lx/f"}], "links": [{"path": "/l", "target": "/t"}]}}),
    Case("link-target-required-33", "3.3.0", {"storage": {"links": [{"path": "/l"}]}},
         [E(L + ".target", "link target is required")]),
    Case("link-target-empty-33", "3.4.0", {"storage": {"links": [{"path": "/l", "target": ""}]}},
         [E(L + ".target", "link target is required")]),
    Case("link-target-empty-32-ok", "3.2.0", {"storage": {"links": [{"path": "/l", "target": ""}]}}),
    Case("link-target-missing-30-ok", "3.0.0", {"storage": {"links": [{"path": "/l"}]}}),
    Case("hard-link-to-dir", "3.3.0", {"storage": {"links": [{"path": "/l", "target": "/d", "hard": True}],
                                                    "directories": [{"path": "/d"}]}},
         [E(L, "hard link target is a directory")]),
    Case("hard-link-relative-joined-to-link", "3.3.0",
         {"storage": {"links": [{"path": "/a/l", "target": "d", "hard": True}], "directories": [{"path": "/a/l/d"}]}},
         [E(D, "directory path includes link in config"), E(L, "hard link target is a directory")]),
    Case("soft-link-to-dir-ok", "3.3.0", {"storage": {"links": [{"path": "/l", "target": "/d"}],
                                                       "directories": [{"path": "/d"}]}}),
    Case("hard-link-owner-warns", "3.6.0", {"storage": {"links": [
        {"path": "/l", "target": "/t", "hard": True, "user": {"id": 0}, "group": {"name": "g"}}]}},
         [W(L + ".user.id", "user/group ignored for hard link"), W(L + ".group.name", "user/group ignored for hard link")]),
    # --- systemd path conflicts (not in 2.14) ---
    Case("file-over-unit", "3.3.0", {"storage": {"files": [{"path": "/etc/systemd/system/a.service"}]},
                                     "systemd": {"units": [{"name": "a.service", "contents": "[Unit]\n"}]}},
         [E(F + ".path", "path conflicts with systemd unit or dropin")], "2.14 has no systemd path conflict check"),
    Case("link-over-dropin", "3.6.0", {"storage": {"links": [{"path": "/etc/systemd/system/a.service.d/x.conf", "target": "/t"}]},
                                       "systemd": {"units": [{"name": "a.service", "dropins": [{"name": "x.conf", "contents": "[Unit]\n"}]}]}},
         [E(L + ".path", "path conflicts with systemd unit or dropin")]),
    Case("file-over-unit-without-contents-ok", "3.3.0", {"storage": {"files": [{"path": "/etc/systemd/system/a.service"}]},
                                                         "systemd": {"units": [{"name": "a.service", "mask": True}]}}),
    # --- duplicates in the shared node namespace (docs/spec/config.md#duplicates) ---
    Case("dup-file-file", "3.0.0", files({"path": "/a"}, {"path": "/a"}), [E("$.storage.files.1", "duplicate entry defined")]),
    Case("dup-dir-file", "3.3.0", {"storage": {"files": [{"path": "/a"}], "directories": [{"path": "/a"}]}},
         [E("$.storage.files.0", "duplicate entry defined")]),
    Case("dup-dir-link", "3.1.0", {"storage": {"links": [{"path": "/a", "target": "/b"}], "directories": [{"path": "/a"}]}},
         [E(L, "duplicate entry defined")]),
    Case("dup-literal-only", "3.3.0", files({"path": "/a"}, {"path": "/b"})),
    Case("append-dups-allowed", "3.3.0", files({"path": "/a", "append": [{"source": "data:,x"}, {"source": "data:,x"}]})),
    # --- disks / partitions (docs/spec/config.md#validation) ---
    Case("disk-ok", "3.3.0", {"storage": {"disks": [{"device": "/dev/vdb", "partitions": [{"number": 1, "label": "a"}]}]}}),
    Case("disk-device-required", "3.0.0", {"storage": {"disks": [{"partitions": [{"number": 1}]}]}},
         [E("$.storage.disks.0.device", "disk device is required")]),
    Case("disk-device-relative", "3.3.0", {"storage": {"disks": [{"device": "vdb"}]}},
         [E("$.storage.disks.0.device", "path not absolute")]),
    Case("partition-numbers-collide", "3.1.0", {"storage": {"disks": [{"device": "/dev/vdb", "partitions": [
        {"number": 1, "label": "a"}, {"number": 1, "label": "b"}]}]}},
         [E(P + ".1", "partition numbers collide"), E(P + ".1", "duplicate entry defined")]),
    Case("partitions-overlap", "3.3.0", {"storage": {"disks": [{"device": "/dev/vdb", "partitions": [
        {"number": 1, "startMiB": 1, "sizeMiB": 100}, {"number": 2, "startMiB": 50, "sizeMiB": 100}]}]}},
         [E(P + ".1", "partitions overlap")]),
    Case("partitions-adjacent-ok", "3.3.0", {"storage": {"disks": [{"device": "/dev/vdb", "partitions": [
        {"number": 1, "startMiB": 1, "sizeMiB": 100}, {"number": 2, "startMiB": 101, "sizeMiB": 100}]}]}}),
    Case("partitions-start-zero-ignored", "3.3.0", {"storage": {"disks": [{"device": "/dev/vdb", "partitions": [
        {"number": 1, "startMiB": 0, "sizeMiB": 100}, {"number": 2, "startMiB": 0, "sizeMiB": 100}]}]}}),
    Case("partition-label-twice", "3.2.0", {"storage": {"disks": [{"device": "/dev/vdb", "partitions": [
        {"number": 1, "label": "a"}, {"number": 2, "label": "a"}]}]}},
         [E(P + ".1", "cannot use the same partition label twice")]),
    Case("partition-should-not-exist-with-label", "3.3.0", {"storage": {"disks": [{"device": "/dev/vdb", "partitions": [
        {"number": 3, "shouldExist": False, "label": "x"}]}]}},
         [E(P + ".0", "shouldExist specified false with other options also specified")]),
    Case("partition-should-not-exist-alone-ok", "3.3.0", {"storage": {"disks": [{"device": "/dev/vdb", "partitions": [
        {"number": 3, "shouldExist": False, "wipePartitionEntry": True}]}]}}),
    Case("delete-partition-while-creating-number-0", "3.3.0", {"storage": {"disks": [{"device": "/dev/vdb", "partitions": [
        {"number": 1, "shouldExist": False}, {"label": "new", "sizeMiB": 0}]}]}},
         [], "HEAD dropped 2.14's 'shouldExist is false … start or size 0' rule (upstream 76f869a4)"),
    Case("partition-needs-number-or-label", "3.0.0", {"storage": {"disks": [{"device": "/dev/vdb", "partitions": [
        {"sizeMiB": 10}]}]}},
         [E(P + ".0", "a partition number >= 1 or a label must be specified")]),
    Case("partition-label-too-long", "3.3.0", {"storage": {"disks": [{"device": "/dev/vdb", "partitions": [
        {"label": "x" * 37}]}]}},
         [E(P + ".0.label", "partition labels may not exceed 36 characters")]),
    Case("partition-label-36-ok", "3.3.0", {"storage": {"disks": [{"device": "/dev/vdb", "partitions": [
        {"label": "x" * 36}]}]}}),
    Case("partition-label-colon", "3.3.0", {"storage": {"disks": [{"device": "/dev/vdb", "partitions": [
        {"label": "a:b"}]}]}},
         [E(P + ".0.label", "partition label will be truncated to text before the colon")]),
    Case("partition-guid-bad", "3.1.0", {"storage": {"disks": [{"device": "/dev/vdb", "partitions": [
        {"number": 1, "guid": "nope", "typeGuid": "0FC63DAF-8483-4772-8E79-3D69D8477DE4"}]}]}},
         [E(P + ".0.guid", GUID)]),
    Case("partition-typeguid-bad", "3.3.0", {"storage": {"disks": [{"device": "/dev/vdb", "partitions": [
        {"number": 1, "typeGuid": "0FC63DAF-8483-4772-8E79-3D69D8477DE"}]}]}},
         [E(P + ".0.typeGuid", GUID)]),
    Case("partition-guid-empty-ok", "3.3.0", {"storage": {"disks": [{"device": "/dev/vdb", "partitions": [
        {"number": 1, "guid": "", "typeGuid": "0fc63daf-8483-4772-8e79-3d69d8477de4"}]}]}}),
    Case("partition-unlabeled-zero-dups", "3.3.0", {"storage": {"disks": [{"device": "/dev/vdb", "partitions": [
        {"number": 0, "sizeMiB": 1}, {"number": 0, "sizeMiB": 1}]}]}},
         [E(P + ".0", "a partition number >= 1 or a label must be specified"),
          E(P + ".1", "a partition number >= 1 or a label must be specified"),
          E(P + ".1", "duplicate entry defined")]),
    Case("dup-disks", "3.3.0", {"storage": {"disks": [{"device": "/dev/vdb"}, {"device": "/dev/vdb"}]}},
         [E("$.storage.disks.1", "duplicate entry defined")]),
    # --- filesystems (docs/spec/config.md#validation) ---
    Case("fs-ok", "3.0.0", {"storage": {"filesystems": [{"device": "/dev/vdb1", "format": "ext4", "path": "/var", "label": "VAR"}]}}),
    Case("fs-device-empty", "3.3.0", {"storage": {"filesystems": [{"format": "ext4"}]}},
         [E(FS + ".device", "path not specified")]),
    Case("fs-path-relative", "3.3.0", {"storage": {"filesystems": [{"device": "/dev/vdb", "format": "xfs", "path": "var"}]}},
         [E(FS + ".path", "path not absolute")]),
    Case("fs-format-missing-with-path", "3.1.0", {"storage": {"filesystems": [{"device": "/dev/vdb", "path": "/var"}]}},
         [E(FS + ".format", "format cannot be empty when path, label, uuid, wipeFilesystem, options, or mountOptions is specified")]),
    Case("fs-format-missing-with-mountoptions-31", "3.1.0", {"storage": {"filesystems": [{"device": "/dev/vdb", "mountOptions": ["ro"]}]}},
         [E(FS + ".format", "format cannot be empty when path, label, uuid, wipeFilesystem, options, or mountOptions is specified")]),
    Case("fs-format-missing-alone-ok", "3.3.0", {"storage": {"filesystems": [{"device": "/dev/vdb"}]}}),
    Case("fs-format-bad", "3.3.0", {"storage": {"filesystems": [{"device": "/dev/vdb", "format": "ntfs"}]}},
         [E(FS + ".format", "invalid filesystem format")]),
    Case("fs-format-none-32-bad", "3.2.0", {"storage": {"filesystems": [{"device": "/dev/vdb", "format": "none"}]}},
         [E(FS + ".format", "invalid filesystem format")]),
    Case("fs-format-none-33-ok", "3.3.0", {"storage": {"filesystems": [{"device": "/dev/vdb", "format": "none"}]}}),
    Case("fs-label-needs-format", "3.0.0", {"storage": {"filesystems": [{"device": "/dev/vdb", "label": "x"}]}},
         [E(FS + ".format", "format cannot be empty when path, label, uuid, wipeFilesystem, options, or mountOptions is specified"),
          E(FS + ".label", "filesystem must specify format if label is specified")]),
    *[Case(f"fs-label-{fmt}-{n}", "3.3.0", {"storage": {"filesystems": [{"device": "/dev/vdb", "format": fmt, "label": "L" * n}]}},
           [] if n <= limit else [E(FS + ".label", f"filesystem labels cannot be longer than {limit} characters when using {fmt}")])
      for fmt, limit in (("ext4", 16), ("btrfs", 256), ("xfs", 12), ("swap", 15), ("vfat", 11)) for n in (limit, limit + 1)],
    Case("fs-overwrites-partitioned-disk", "3.3.0", {"storage": {
        "disks": [{"device": "/dev/vdb", "partitions": [{"number": 1}]}],
        "filesystems": [{"device": "/dev/vdb", "format": "ext4"}]}},
         [W(FS + ".device", "filesystem overwrites partitioned device")]),
    Case("fs-implicit-wipe", "3.6.0", {"storage": {
        "disks": [{"device": "/dev/vdb", "wipeTable": True}],
        "filesystems": [{"device": "/dev/vdb", "format": "ext4"}]}},
         [W(FS + ".device", "device matches disk with wipeTable enabled; filesystem will be wiped")]),
    Case("fs-explicit-wipe-no-warning", "3.6.0", {"storage": {
        "disks": [{"device": "/dev/vdb", "wipeTable": True}],
        "filesystems": [{"device": "/dev/vdb", "format": "ext4", "wipeFilesystem": True}]}}),
    Case("dup-filesystems", "3.3.0", {"storage": {"filesystems": [{"device": "/dev/a", "format": "ext4"}, {"device": "/dev/a", "format": "xfs"}]}},
         [E("$.storage.filesystems.1", "duplicate entry defined")]),
    Case("fs-options-dups-allowed", "3.3.0", {"storage": {"filesystems": [{"device": "/dev/a", "format": "ext4",
                                                                           "options": ["-E", "-E"], "mountOptions": ["ro", "ro"]}]}}),
    # --- virtiofs (3.7.0-experimental only) ---
    Case("virtiofs-36-bad", "3.6.0", {"storage": {"filesystems": [{"device": "/dev/vdb", "format": "virtiofs"}]}},
         [E(FS + ".format", "invalid filesystem format")]),
    Case("virtiofs-ok", "3.7.0-experimental", {"storage": {"filesystems": [{"device": "share", "format": "virtiofs", "path": "/mnt"}]}}),
    Case("virtiofs-tag-too-long", "3.7.0-experimental", {"storage": {"filesystems": [{"device": "t" * 37, "format": "virtiofs"}]}},
         [E(FS + ".device", "virtiofs device tag cannot be longer than 36 bytes")]),
    Case("virtiofs-no-device", "3.7.0-experimental", {"storage": {"filesystems": [{"format": "virtiofs"}]}},
         [E(FS + ".device", "device not specified")]),
    Case("virtiofs-block-fields", "3.7.0-experimental", {"storage": {"filesystems": [{
        "device": "tag", "format": "virtiofs", "label": "x", "uuid": "u", "wipeFilesystem": True, "options": ["-x"]}]}},
         [E(FS + ".label", "filesystem labels cannot be set when using virtiofs"),
          E(FS + ".uuid", "filesystem uuid cannot be set for non-block-device filesystems"),
          E(FS + ".wipeFilesystem", "wipeFilesystem cannot be set for non-block-device filesystems"),
          E(FS + ".options", "filesystem options (mkfs) cannot be set for non-block-device filesystems")]),
]


test_rule, test_rule_agrees_with_ignition_validate = rule_tests(CASES)


def test_two_filesystems_mounted_at_one_path_is_a_warning_not_an_error():
    # ignite's own check: the later mount would hide the earlier; Ignition accepts it,
    # so the verdict stays valid.
    from ignite.config.validate import validate

    cfg = {
        "ignition": {"version": "3.3.0"},
        "storage": {"filesystems": [
            {"device": "/dev/vdb", "format": "ext4", "path": "/var"},
            {"device": "/dev/vdc", "format": "xfs", "path": "/var"},
            {"device": "/dev/vdd", "format": "xfs", "path": "/srv"},
        ]},
    }
    report = validate(cfg, "3.3.0")
    assert not report.errors()
    assert [(e.message, e.path) for e in report.warnings()] == [(
        "filesystem is mounted at the same path as storage.filesystems.0; the later mount hides the earlier",
        ("storage", "filesystems", 1, "path"),
    )]
