"""Ignition's merge semantics (docs/spec/config.md#duplicates, #merge): one test per rule and per keyed list."""
from __future__ import annotations

import pytest

from ignite.config import model
from ignite.config.codec import OBJECT_LIST, SCALAR_LIST, config_from_json, field_specs, to_json
from ignite.config.merge import APPEND_LISTS, KEYS, merge


def cfg(**sections) -> model.Config:
    return config_from_json({"ignition": {"version": "3.6.0"}, **sections})


def merged(parent: dict, child: dict) -> dict:
    return to_json(merge(cfg(**parent), cfg(**child)))


# --- merge rules 1-3 (docs/spec/config.md#merge): scalars and objects ---------------------------------------

def test_value_scalar_child_wins_even_with_zero_value():
    parent = model.Config(ignition=model.Ignition(version="3.6.0", timeouts=model.Timeouts(http_total=5)))
    child = model.Config(ignition=model.Ignition(version="", timeouts=model.Timeouts(http_total=7)))
    out = merge(parent, child)
    assert out.ignition.version == ""
    assert out.ignition.timeouts.http_total == 7


def test_child_disk_without_partitions_keeps_parent_partitions():
    out = merged({"storage": {"disks": [{"device": "/dev/sda", "partitions": [{"label": "a", "number": 0}]}]}},
                 {"storage": {"disks": [{"device": "/dev/sda", "wipeTable": True}]}})
    assert out["storage"]["disks"] == [{"device": "/dev/sda", "wipeTable": True, "partitions": [{"label": "a"}]}]


def test_optional_scalar_kept_from_parent_when_child_unset():
    out = merged({"storage": {"files": [{"path": "/a", "mode": 0o600, "overwrite": True}]}},
                 {"storage": {"files": [{"path": "/a", "overwrite": False}]}})
    assert out["storage"]["files"] == [{"path": "/a", "mode": 0o600, "overwrite": False}]


def test_optional_scalar_child_wins_when_set_even_to_zero():
    out = merged({"ignition": {"version": "3.6.0", "timeouts": {"httpTotal": 30}}},
                 {"ignition": {"version": "3.6.0", "timeouts": {"httpTotal": 0}}})
    assert out["ignition"]["timeouts"] == {"httpTotal": 0}


def test_zero_child_object_keeps_parent_object_whole():
    # merge.go at HEAD; Ignition releases before it recursed and gave version "" here.
    parent = model.Config(ignition=model.Ignition(version="3.6.0", timeouts=model.Timeouts(http_total=5)))
    out = merge(parent, model.Config())
    assert out == parent
    child = model.Config(ignition=model.Ignition(version="3.6.0"), storage=model.Storage())
    assert merge(parent, child).ignition.timeouts.http_total == 5


def test_zero_parent_object_takes_child_object():
    child = cfg(passwd={"users": [{"name": "core"}]})
    assert merge(model.Config(), child) == child


def test_objects_merge_field_by_field():
    out = merged({"ignition": {"version": "3.6.0", "proxy": {"httpProxy": "http://p"}}},
                 {"ignition": {"version": "3.6.0", "proxy": {"httpsProxy": "https://q"}}})
    assert out["ignition"]["proxy"] == {"httpProxy": "http://p", "httpsProxy": "https://q"}


def test_merge_is_not_commutative_child_wins_conflicts():
    a = {"systemd": {"units": [{"name": "a.service", "contents": "A"}]}}
    b = {"systemd": {"units": [{"name": "a.service", "contents": "B"}]}}
    assert merged(a, b)["systemd"]["units"][0]["contents"] == "B"
    assert merged(b, a)["systemd"]["units"][0]["contents"] == "A"


# --- merge rule 4: append-lists -------------------------------------------------------------------

def test_file_append_is_concatenated_with_duplicates():
    section = {"storage": {"files": [{"path": "/f", "append": [{"source": "data:,p"}, {"source": "data:,p"}]}]}}
    child = {"storage": {"files": [{"path": "/f", "append": [{"source": "data:,p"}, {"source": "data:,c"}]}]}}
    out = merged(section, child)
    assert [a["source"] for a in out["storage"]["files"][0]["append"]] == ["data:,p", "data:,p", "data:,p", "data:,c"]


def test_filesystem_options_and_mount_options_are_concatenated():
    p = {
        "storage": {
            "filesystems": [{"device": "/dev/sdb", "format": "ext4", "options": ["-F", "-m0"], "mountOptions": ["ro"]}]
        }
    }
    c = {"storage": {"filesystems": [{"device": "/dev/sdb", "options": ["-m0"], "mountOptions": ["ro", "noatime"]}]}}
    fs = merged(p, c)["storage"]["filesystems"][0]
    assert fs["options"] == ["-F", "-m0", "-m0"]
    assert fs["mountOptions"] == ["ro", "ro", "noatime"]
    assert fs["format"] == "ext4"


def test_raid_options_concatenated_devices_keyed():
    p = {"storage": {"raid": [{"name": "md0", "level": "raid1", "devices": ["/dev/a", "/dev/b"], "options": ["--x"]}]}}
    c = {"storage": {"raid": [{"name": "md0", "devices": ["/dev/b", "/dev/c"], "options": ["--x"]}]}}
    r = merged(p, c)["storage"]["raid"][0]
    assert r["devices"] == ["/dev/a", "/dev/b", "/dev/c"]
    assert r["options"] == ["--x", "--x"]
    assert r["level"] == "raid1"


def test_luks_options_concatenated_open_options_keyed():
    p = {"storage": {"luks": [{"name": "data", "device": "/dev/a", "options": ["--o"], "openOptions": ["--a", "--b"]}]}}
    c = {"storage": {"luks": [{"name": "data", "options": ["--o"], "openOptions": ["--b", "--c"]}]}}
    luks = merged(p, c)["storage"]["luks"][0]
    assert luks["options"] == ["--o", "--o"]
    assert luks["openOptions"] == ["--a", "--b", "--c"]
    assert luks["device"] == "/dev/a"


# --- merge rule 5: keyed lists, one test per list ---------------------------------------------------

def _check_keyed(parent: dict, child: dict, path: tuple, expected: list) -> None:
    out = merged(parent, child)
    node = out
    for p in path:
        node = node[p]
    assert node == expected


def test_merge_sources_keyed_by_source():
    _check_keyed(
        {"ignition": {"version": "3.6.0", "config": {"merge": [{"source": "http://a"}, {"source": "http://b"}]}}},
        {
            "ignition": {
                "version": "3.6.0",
                "config": {"merge": [{"source": "http://b", "compression": "gzip"}, {"source": "http://c"}]},
            }
        },
        ("ignition", "config", "merge"),
        [{"source": "http://a"}, {"source": "http://b", "compression": "gzip"}, {"source": "http://c"}],
    )


def test_replace_is_an_object_child_source_wins():
    out = merged(
        {
            "ignition": {
                "version": "3.6.0",
                "config": {"replace": {"source": "http://a", "verification": {"hash": "sha256-" + "0" * 64}}},
            }
        },
        {"ignition": {"version": "3.6.0", "config": {"replace": {"source": "http://b"}}}},
    )
    assert out["ignition"]["config"]["replace"] == {
        "source": "http://b",
        "verification": {"hash": "sha256-" + "0" * 64},
    }


def test_certificate_authorities_keyed_by_source():
    _check_keyed(
        {"ignition": {"version": "3.6.0", "security": {"tls": {"certificateAuthorities": [{"source": "http://ca1"}]}}}},
        {
            "ignition": {
                "version": "3.6.0",
                "security": {
                    "tls": {
                        "certificateAuthorities": [
                            {"source": "http://ca2"},
                            {"source": "http://ca1", "compression": "gzip"},
                        ]
                    }
                },
            }
        },
        ("ignition", "security", "tls", "certificateAuthorities"),
        [{"source": "http://ca1", "compression": "gzip"}, {"source": "http://ca2"}],
    )


def test_no_proxy_keyed_by_value():
    _check_keyed(
        {"ignition": {"version": "3.6.0", "proxy": {"noProxy": ["a", "b"]}}},
        {"ignition": {"version": "3.6.0", "proxy": {"noProxy": ["c", "a"]}}},
        ("ignition", "proxy", "noProxy"), ["a", "b", "c"],
    )


def test_http_headers_keyed_by_exact_name_and_overridden():
    _check_keyed(
        {
            "storage": {
                "files": [
                    {
                        "path": "/f",
                        "contents": {
                            "source": "http://x",
                            "httpHeaders": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                        },
                    }
                ]
            }
        },
        {
            "storage": {
                "files": [
                    {
                        "path": "/f",
                        "contents": {"httpHeaders": [{"name": "b", "value": "3"}, {"name": "A", "value": "4"}]},
                    }
                ]
            }
        },
        ("storage", "files", 0, "contents", "httpHeaders"),
        [{"name": "A", "value": "4"}, {"name": "B", "value": "2"}, {"name": "b", "value": "3"}],
    )


def test_http_header_without_value_deletes_parent_header():
    _check_keyed(
        {
            "ignition": {
                "version": "3.6.0",
                "config": {
                    "merge": [
                        {
                            "source": "http://a",
                            "httpHeaders": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                        }
                    ]
                },
            }
        },
        {
            "ignition": {
                "version": "3.6.0",
                "config": {"merge": [{"source": "http://a", "httpHeaders": [{"name": "A"}]}]},
            }
        },
        ("ignition", "config", "merge", 0, "httpHeaders"),
        [{"name": "B", "value": "2"}],
    )


def test_http_header_without_value_matching_nothing_is_kept():
    _check_keyed(
        {
            "ignition": {
                "version": "3.6.0",
                "config": {"merge": [{"source": "http://a", "httpHeaders": [{"name": "A", "value": "1"}]}]},
            }
        },
        {
            "ignition": {
                "version": "3.6.0",
                "config": {"merge": [{"source": "http://a", "httpHeaders": [{"name": "Z"}]}]},
            }
        },
        ("ignition", "config", "merge", 0, "httpHeaders"),
        [{"name": "A", "value": "1"}, {"name": "Z"}],
    )


def test_files_keyed_by_path_merged_in_parent_position():
    _check_keyed(
        {"storage": {"files": [{"path": "/a", "mode": 0o644}, {"path": "/b"}]}},
        {"storage": {"files": [{"path": "/c"}, {"path": "/a", "contents": {"source": "data:,x"}}]}},
        ("storage", "files"),
        [{"path": "/a", "mode": 0o644, "contents": {"source": "data:,x"}}, {"path": "/b"}, {"path": "/c"}],
    )


def test_directories_keyed_by_path():
    _check_keyed(
        {"storage": {"directories": [{"path": "/d", "mode": 0o700}]}},
        {"storage": {"directories": [{"path": "/d", "user": {"name": "core"}}, {"path": "/e"}]}},
        ("storage", "directories"),
        [{"path": "/d", "mode": 0o700, "user": {"name": "core"}}, {"path": "/e"}],
    )


def test_links_keyed_by_path():
    _check_keyed(
        {"storage": {"links": [{"path": "/l", "target": "/x", "hard": False}]}},
        {"storage": {"links": [{"path": "/l", "target": "/y"}]}},
        ("storage", "links"),
        [{"path": "/l", "target": "/y", "hard": False}],
    )


@pytest.mark.parametrize("parent_list, child_list", [
    ("files", "directories"), ("files", "links"), ("directories", "files"),
    ("directories", "links"), ("links", "files"), ("links", "directories"),
])
def test_nodes_share_one_namespace(parent_list, child_list):
    parent = {"storage": {parent_list: [{"path": "/keep"}, {"path": "/x"}]}}
    child_entry = {"path": "/x", "target": "/t"} if child_list == "links" else {"path": "/x"}
    child = {"storage": {child_list: [child_entry]}}
    out = merged(parent, child)["storage"]
    assert out[parent_list] == [{"path": "/keep"}]
    assert out[child_list] == [child_entry]


def test_disks_keyed_by_device_partitions_by_number_then_label():
    p = {"storage": {"disks": [{"device": "/dev/sda", "partitions": [
        {"number": 1, "label": "boot", "sizeMiB": 100},
        {"label": "root", "sizeMiB": 0},
        {"number": 3, "label": "x"},
    ]}, {"device": "/dev/sdb"}]}}
    c = {"storage": {"disks": [{"device": "/dev/sda", "wipeTable": True, "partitions": [
        {"number": 1, "label": "BOOT"},
        {"label": "root", "startMiB": 200},
        {"label": "x"},
    ]}, {"device": "/dev/sdc"}]}}
    out = merged(p, c)["storage"]["disks"]
    assert [d["device"] for d in out] == ["/dev/sda", "/dev/sdb", "/dev/sdc"]
    assert out[0]["wipeTable"] is True
    assert out[0]["partitions"] == [
        {"number": 1, "label": "BOOT", "sizeMiB": 100},
        {"label": "root", "sizeMiB": 0, "startMiB": 200},
        {"number": 3, "label": "x"},
        {"label": "x"},  # number 3 and label x are different keys
    ]


def test_unnumbered_unlabeled_partitions_share_the_empty_key():
    out = merged({"storage": {"disks": [{"device": "/dev/sda", "partitions": [{"sizeMiB": 5}]}]}},
                 {"storage": {"disks": [{"device": "/dev/sda", "partitions": [{"startMiB": 9}]}]}})
    assert out["storage"]["disks"][0]["partitions"] == [{"sizeMiB": 5, "startMiB": 9}]


def test_raid_keyed_by_name():
    _check_keyed(
        {"storage": {"raid": [{"name": "a", "level": "raid1", "devices": ["/dev/x"]}]}},
        {"storage": {"raid": [{"name": "b", "level": "raid0", "devices": ["/dev/y"]}, {"name": "a", "spares": 1}]}},
        ("storage", "raid"),
        [{"name": "a", "level": "raid1", "devices": ["/dev/x"], "spares": 1},
         {"name": "b", "level": "raid0", "devices": ["/dev/y"]}],
    )


def test_filesystems_keyed_by_device():
    _check_keyed(
        {"storage": {"filesystems": [{"device": "/dev/a", "format": "ext4", "path": "/var"}]}},
        {"storage": {"filesystems": [{"device": "/dev/a", "format": "xfs"}, {"device": "/dev/b", "format": "swap"}]}},
        ("storage", "filesystems"),
        [{"device": "/dev/a", "format": "xfs", "path": "/var"}, {"device": "/dev/b", "format": "swap"}],
    )


def test_luks_keyed_by_name_and_tang_by_url():
    p = {"storage": {"luks": [{"name": "d", "device": "/dev/a", "clevis": {"tang": [
        {"url": "http://t1", "thumbprint": "a"}, {"url": "http://t2", "thumbprint": "b"}]}}]}}
    c = {
        "storage": {
            "luks": [
                {
                    "name": "d",
                    "clevis": {
                        "threshold": 2,
                        "tang": [{"url": "http://t2", "thumbprint": "B"}, {"url": "http://t3", "thumbprint": "c"}],
                    },
                },
                {"name": "e", "device": "/dev/b"},
            ]
        }
    }
    out = merged(p, c)["storage"]["luks"]
    assert [luks["name"] for luks in out] == ["d", "e"]
    assert out[0]["clevis"] == {
        "threshold": 2,
        "tang": [
            {"url": "http://t1", "thumbprint": "a"},
            {"url": "http://t2", "thumbprint": "B"},
            {"url": "http://t3", "thumbprint": "c"},
        ],
    }


def test_units_keyed_by_name_dropins_by_name():
    p = {
        "systemd": {
            "units": [
                {
                    "name": "a.service",
                    "contents": "[Service]\n",
                    "enabled": True,
                    "dropins": [{"name": "1.conf", "contents": "x"}, {"name": "2.conf", "contents": "y"}],
                }
            ]
        }
    }
    c = {
        "systemd": {
            "units": [
                {"name": "a.service", "dropins": [{"name": "2.conf", "contents": "Y"}, {"name": "3.conf"}]},
                {"name": "b.timer", "mask": True},
            ]
        }
    }
    out = merged(p, c)["systemd"]["units"]
    assert out[0]["dropins"] == [
        {"name": "1.conf", "contents": "x"},
        {"name": "2.conf", "contents": "Y"},
        {"name": "3.conf"},
    ]
    assert out[0]["contents"] == "[Service]\n" and out[0]["enabled"] is True
    assert out[1] == {"name": "b.timer", "mask": True}


def test_users_and_groups_keyed_by_name_with_keyed_string_lists():
    p = {"passwd": {"users": [{"name": "core", "sshAuthorizedKeys": ["k1", "k2"], "groups": ["wheel"], "uid": 1000}],
                    "groups": [{"name": "g", "gid": 5}]}}
    c = {"passwd": {"users": [{"name": "core", "sshAuthorizedKeys": ["k2", "k3"], "groups": ["docker", "wheel"]}],
                    "groups": [{"name": "g", "system": True}, {"name": "h"}]}}
    out = merged(p, c)["passwd"]
    assert out["users"] == [
        {"name": "core", "sshAuthorizedKeys": ["k1", "k2", "k3"], "groups": ["wheel", "docker"], "uid": 1000}
    ]
    assert out["groups"] == [{"name": "g", "gid": 5, "system": True}, {"name": "h"}]


def test_kernel_arguments_keyed_with_a_shared_namespace():
    _check_keyed(
        {"kernelArguments": {"shouldExist": ["a", "x", "b"], "shouldNotExist": ["y"]}},
        {"kernelArguments": {"shouldNotExist": ["x"], "shouldExist": ["y", "c"]}},
        ("kernelArguments",),
        {"shouldExist": ["a", "b", "y", "c"], "shouldNotExist": ["x"]},
    )


# --- consequences of the rules ----------------------------------------------------------------------

def test_child_unit_only_disabling_keeps_parent_contents():
    out = merged(
        {"systemd": {"units": [{"name": "a.service", "contents": "[Install]\nWantedBy=x\n", "enabled": True}]}},
        {"systemd": {"units": [{"name": "a.service", "enabled": False}]}},
    )
    assert out["systemd"]["units"] == [{"name": "a.service", "contents": "[Install]\nWantedBy=x\n", "enabled": False}]


def test_child_file_without_mode_keeps_parent_mode():
    out = merged({"storage": {"files": [{"path": "/a", "mode": 0o755}]}},
                 {"storage": {"files": [{"path": "/a", "contents": {"source": "data:,x"}}]}})
    assert out["storage"]["files"][0]["mode"] == 0o755


def test_child_empty_format_overrides_parent_format():
    # The result is then invalid (docs/spec/config.md#rendering) (format "" with a path); merge itself does not judge.
    out = merge(cfg(storage={"filesystems": [{"device": "/dev/a", "format": "ext4", "path": "/var"}]}),
                cfg(storage={"filesystems": [{"device": "/dev/a", "format": ""}]}))
    assert out.storage.filesystems[0].format == "" and out.storage.filesystems[0].path == "/var"


def test_parent_and_child_are_not_modified_and_identity_laws_hold():
    p = cfg(storage={"files": [{"path": "/a", "append": [{"source": "data:,1"}]}]})
    c = cfg(storage={"files": [{"path": "/a", "append": [{"source": "data:,2"}]}]})
    before = (to_json(p), to_json(c))
    merge(p, c)
    assert (to_json(p), to_json(c)) == before
    assert merge(p, p) == cfg(
        storage={"files": [{"path": "/a", "append": [{"source": "data:,1"}, {"source": "data:,1"}]}]}
    )
    assert merge(p, model.Config()) == p
    assert merge(model.Config(), c) == c


def test_every_list_in_the_model_has_a_merge_rule():
    """Guards the tables: a list added to the model must be keyed or declared an append-list."""
    seen = set()

    def walk(cls):
        if cls in seen:
            return
        seen.add(cls)
        for spec in field_specs(cls):
            if spec.kind in (OBJECT_LIST, SCALAR_LIST):
                assert (cls, spec.attr) in KEYS or (cls, spec.attr) in APPEND_LISTS, f"{cls.__name__}.{spec.attr}"
            if spec.cls is not None:
                walk(spec.cls)

    walk(model.Config)
    # each keyed list really is keyed, each append-list really appends
    assert not set(KEYS) & APPEND_LISTS


def test_merge_of_parsed_configs_of_different_versions():
    """As the fetch stage uses it: both sides parsed (and upgraded) first."""
    from ignite.config.parse import parse

    parent = parse(
        b'{"ignition": {"version": "3.0.0"}, "storage": {"files": [{"path": "/etc/motd", "mode": 2541,'
        b' "contents": {"source": "data:,old"}}]}, "systemd": {"units": [{"name": "a.service", "enabled": true}]}}'
    )
    child = parse(
        b'{"ignition": {"version": "3.6.0"}, "storage": {"files": [{"path": "/etc/motd",'
        b' "contents": {"source": "data:,new"}}]}, "systemd": {"units": [{"name": "a.service", "mask": true}]}}'
    )
    out = to_json(merge(parent, child))
    # 3.0's setuid bit was stripped on the way up; the child's unset mode keeps the parent's
    assert out["storage"]["files"] == [{"path": "/etc/motd", "contents": {"source": "data:,new"}, "mode": 0o755}]
    assert out["systemd"]["units"] == [{"name": "a.service", "enabled": True, "mask": True}]
    assert out["ignition"]["version"] == "3.6.0"
