"""Each translation step, with the examples of docs/spec/legacy.md#steps."""
from __future__ import annotations

from ignite.config.report import Report
from ignite.config.translate import v1_to_v2_0, v2_0_to_v2_1, v2_1_to_v2_2, v2_2_to_v2_3, v2_3_to_v2_4, v2_4_to_v3
from ignite.config.translate.legacy import to_v2_4, upgrade_normalized

UNIT = "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target"


def test_v1_to_2_0_example():
    v1 = {"ignitionVersion": 1,
          "storage": {"filesystems": [{"device": "/dev/disk/by-label/DATA", "format": "ext4",
                                       "files": [{"path": "/motd", "contents": "hi there\n", "mode": 420}]}]},
          "systemd": {"units": [{"name": "hello.service", "enable": True, "contents": UNIT}]}}
    assert v1_to_v2_0.translate(v1) == {
        "ignition": {"version": "2.0.0"},
        "storage": {
            "filesystems": [{"name": "_translate-filesystem-0",
                             "mount": {"device": "/dev/disk/by-label/DATA", "format": "ext4"}}],
            "files": [{"filesystem": "_translate-filesystem-0", "path": "/motd",
                       "contents": {"source": "data:,hi%20there%0A"}, "mode": 420}]},
        "systemd": {"units": [{"name": "hello.service", "enable": True, "contents": UNIT}]}}


def test_v1_filesystems_are_named_by_index_and_keep_create_and_owners():
    v1 = {"ignitionVersion": 1, "storage": {"filesystems": [
        {"device": "/dev/a", "format": "xfs"},
        {"device": "/dev/b", "format": "ext4", "create": {"force": True, "options": ["-q"]},
         "files": [{"path": "/x", "uid": 5, "gid": 0}]}]}}
    out = v1_to_v2_0.translate(v1)["storage"]
    assert [fs["name"] for fs in out["filesystems"]] == ["_translate-filesystem-0", "_translate-filesystem-1"]
    assert out["filesystems"][1]["mount"]["create"] == {"force": True, "options": ["-q"]}
    assert out["files"] == [{"filesystem": "_translate-filesystem-1", "path": "/x", "user": {"id": 5},
                             "contents": {"source": "data:,"}}]


def test_v1_data_url_escaping_keeps_rfc2397_unreserved():
    assert v1_to_v2_0.data_url("a-b_c.d!e~f*g'h(i)j/k l\u00e9") == "data:,a-b_c.d!e~f*g'h(i)j%2Fk%20l%C3%A9"


def test_2_0_to_2_1_example():
    cfg = {"ignition": {"version": "2.0.0"}, "storage": {"files": [
        {"filesystem": "root", "path": "/a", "contents": {"source": "data:,x"}, "mode": 420}]}}
    assert v2_0_to_v2_1.translate(cfg) == {"ignition": {"version": "2.1.0"}, "storage": {"files": [
        {"filesystem": "root", "path": "/a", "contents": {"source": "data:,x"}, "mode": 420,
         "user": {"id": 0}, "group": {"id": 0}}]}}


def test_2_0_to_2_1_empty_password_hash_becomes_unset():
    cfg = {"ignition": {"version": "2.0.0"}, "passwd": {"users": [{"name": "a", "passwordHash": ""},
                                                                  {"name": "b", "passwordHash": "$6$x"}]}}
    users = v2_0_to_v2_1.translate(cfg)["passwd"]["users"]
    assert users == [{"name": "a"}, {"name": "b", "passwordHash": "$6$x"}]


def test_2_1_to_2_2_example_directory_gets_mode_0():
    cfg = {"ignition": {"version": "2.1.0"}, "storage": {"directories": [{"filesystem": "root", "path": "/d"}]}}
    assert v2_1_to_v2_2.translate(cfg) == {"ignition": {"version": "2.2.0"}, "storage": {"directories": [
        {"filesystem": "root", "path": "/d", "mode": 0, "user": {}, "group": {}}]}}


def test_2_2_to_2_3_example_partition_fields_become_explicit():
    cfg = {"ignition": {"version": "2.2.0"}, "storage": {"disks": [
        {"device": "/dev/sdb", "partitions": [{"number": 1, "label": "data", "size": 65536}, {"number": 2}]}]}}
    parts = v2_2_to_v2_3.translate(cfg)["storage"]["disks"][0]["partitions"]
    assert parts == [{"number": 1, "label": "data", "size": 65536, "start": 0},
                     {"number": 2, "label": "", "size": 0, "start": 0}]


def test_2_3_to_2_4_example_is_a_version_bump():
    cfg = {"ignition": {"version": "2.3.0", "timeouts": {"httpTotal": 30}}, "storage": {"disks": [
        {"device": "/dev/sdb", "partitions": [{"number": 1, "sizeMiB": 512, "label": "data"}]}]}}
    out = v2_3_to_v2_4.translate(cfg)
    assert out == {**cfg, "ignition": {"version": "2.4.0", "timeouts": {"httpTotal": 30}}}


def test_steps_do_not_modify_their_input():
    cfg = {"ignition": {"version": "2.1.0"}, "storage": {"files": [{"filesystem": "root", "path": "/a"}]}}
    v2_1_to_v2_2.translate(cfg)
    assert cfg == {"ignition": {"version": "2.1.0"}, "storage": {"files": [{"filesystem": "root", "path": "/a"}]}}


def test_chain_from_v1_reaches_2_4():
    out = to_v2_4({"ignitionVersion": 1, "storage": {"disks": [{"device": "/dev/sdb", "partitions": [
        {"number": 1, "start": 2048, "size": 4096}]}]}}, "1")
    assert out["ignition"]["version"] == "2.4.0"
    assert out["storage"]["disks"][0]["partitions"] == [{"number": 1, "start": 2048, "size": 4096, "label": ""}]


def test_2_4_to_3_worked_example():
    cfg = {"ignition": {"version": "2.4.0", "config": {"append": [{"source": "https://example.com/extra.ign"}]}},
           "storage": {
               "files": [{"filesystem": "root", "path": "/etc/motd", "mode": 420,
                          "contents": {"source": "data:,hello%0A"}},
                         {"filesystem": "root", "path": "/etc/issue", "append": True,
                          "contents": {"source": "data:,more%0A"}}],
               "directories": [{"filesystem": "root", "path": "/opt/app", "mode": 493}]},
           "systemd": {"units": [{"name": "app.service", "enable": True, "contents": UNIT}]},
           "passwd": {"users": [{"name": "core", "sshAuthorizedKeys": ["ssh-ed25519 AAAA... me"]}]}}
    report = Report()
    out = v2_4_to_v3.translate(cfg, report)
    assert not report.entries
    assert out == {
        "ignition": {"version": "3.6.0", "config": {"merge": [{"source": "https://example.com/extra.ign"}]}},
        "storage": {
            "files": [{"path": "/etc/motd", "overwrite": True, "mode": 420,
                       "contents": {"source": "data:,hello%0A"}},
                      # appending without a mode, 2.x kept the file's mode
                      {"path": "/etc/issue", "overwrite": False,
                       "append": [{"source": "data:,more%0A"}]}],
            "directories": [{"path": "/opt/app", "mode": 493}]},
        "systemd": {"units": [{"name": "app.service", "enabled": True, "contents": UNIT}]},
        "passwd": {"users": [{"name": "core", "sshAuthorizedKeys": ["ssh-ed25519 AAAA... me"]}]}}


def test_2_4_to_3_ignition_section():
    ign = {"version": "2.4.0",
           "config": {"replace": {"source": "http://x/c.ign", "verification": {"hash": "sha512-" + "a" * 128},
                                  "httpHeaders": [{"name": "Auth", "value": "t"}, {"name": "Empty", "value": ""}]}},
           "proxy": {"httpProxy": "http://proxy:3128", "httpsProxy": "", "noProxy": ["10.0.0.0/8"]},
           "security": {"tls": {"certificateAuthorities": [{"source": "http://x/ca.pem"}]}},
           "timeouts": {"httpResponseHeaders": 5, "httpTotal": 0}}
    out = v2_4_to_v3.translate({"ignition": ign}, Report())["ignition"]
    assert out == {"version": "3.6.0",
                   "config": {"replace": {"source": "http://x/c.ign",
                                          "verification": {"hash": "sha512-" + "a" * 128},
                                          "httpHeaders": [{"name": "Auth", "value": "t"},
                                                          {"name": "Empty", "value": ""}]}},
                   "proxy": {"httpProxy": "http://proxy:3128", "noProxy": ["10.0.0.0/8"]},
                   "security": {"tls": {"certificateAuthorities": [{"source": "http://x/ca.pem"}]}},
                   "timeouts": {"httpResponseHeaders": 5, "httpTotal": 0}}


def test_2_4_to_3_storage_fields():
    cfg = {"storage": {
        "disks": [{"device": "/dev/sdb", "wipeTable": False, "partitions": [
            {"number": 1, "label": "", "sizeMiB": 10, "startMiB": 0, "guid": "", "typeGuid": "",
             "shouldExist": True, "wipePartitionEntry": True}]}],
        "raid": [{"name": "md0", "level": "raid1", "devices": ["/dev/a", "/dev/b"], "spares": 0, "options": ["--x"]}],
        "links": [{"filesystem": "root", "path": "/l", "target": "/t", "hard": False, "overwrite": True}]}}
    out = v2_4_to_v3.translate(cfg, Report())["storage"]
    assert out == {
        "disks": [
            {
                "device": "/dev/sdb",
                "partitions": [
                    {
                        "number": 1,
                        "label": "",
                        "sizeMiB": 10,
                        "startMiB": 0,
                        "shouldExist": True,
                        "wipePartitionEntry": True,
                    }
                ],
            }
        ],
        "raid": [{"name": "md0", "level": "raid1", "devices": ["/dev/a", "/dev/b"], "options": ["--x"]}],
        "links": [{"path": "/l", "target": "/t", "overwrite": True}],
    }


def test_whole_chain_from_2_0():
    cfg = {"ignition": {"version": "2.0.0"}, "storage": {"files": [
        {"filesystem": "root", "path": "/a", "contents": {"source": "data:,x"}, "mode": 420}]}}
    out, report = upgrade_normalized(cfg, "2.0.0")
    assert not report.entries
    assert out["storage"]["files"] == [{"path": "/a", "user": {"id": 0}, "group": {"id": 0}, "overwrite": True,
                                        "contents": {"source": "data:,x"}, "mode": 420}]
