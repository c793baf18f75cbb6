"""3.x translation: upstream's upgrade steps (docs/spec/config.md#between-3x-versions) and `downgrade` for
`ignite translate --to`, whose output real Ignition of the target version accepts."""
from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from v3_validate_helpers import ORACLE, oracle, ours

from ignite.config.translate.v3 import downgrade, upgrade
from ignite.config.validate import validate

needs_oracle = pytest.mark.skipif(
    not ORACLE.exists(), reason="Debian's ignition-validate is not unpacked (run `make oracle`)"
)
UNIT = "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n"
SHA256 = "sha256-" + "c" * 64

# A 3.6.0 config that uses every field added after 3.0.0.
RICH = {
    "ignition": {
        "version": "3.6.0",
        "config": {
            "merge": [
                {
                    "source": "https://e.com/a.ign",
                    "compression": "gzip",
                    "httpHeaders": [{"name": "X", "value": "1"}],
                    "verification": {"hash": SHA256},
                },
                {"source": "gs://bucket/b.ign"},
            ],
            "replace": {},
        },
        "proxy": {"httpProxy": "http://proxy:3128", "noProxy": ["localhost"]},
        "security": {"tls": {"certificateAuthorities": [{"source": "https://e.com/ca.pem"}]}},
        "timeouts": {"httpTotal": 30},
    },
    "kernelArguments": {"shouldExist": ["quiet"], "shouldNotExist": ["debug"]},
    "passwd": {
        "users": [
            {"name": "core", "sshAuthorizedKeys": ["ssh-ed25519 AAAA"], "shouldExist": True},
            {"name": "old", "shouldExist": False},
        ],
        "groups": [{"name": "g", "gid": 1000}],
    },
    "storage": {
        "disks": [
            {
                "device": "/dev/vdb",
                "wipeTable": True,
                "partitions": [{"number": 1, "label": "data", "sizeMiB": 1024, "resize": True}],
            }
        ],
        "raid": [{"name": "md0", "level": "raid1", "devices": ["/dev/vdc", "/dev/vdd"]}],
        "luks": [
            {
                "name": "data",
                "device": "/dev/disk/by-partlabel/data",
                "discard": True,
                "openOptions": ["--perf-no_read_workqueue"],
                "clevis": {
                    "tang": [{"url": "http://tang.e.com", "thumbprint": "tp", "advertisement": '{"payload": "x"}'}]
                },
            },
            {"name": "cex", "device": "/dev/vde", "cex": {"enabled": True}},
            {"name": "yk", "device": "/dev/vdf", "clevis": {"custom": {"pin": "yubikey", "config": "{}"}}},
            {"name": "k", "device": "/dev/vdg", "keyFile": {"source": "arn:aws:s3:::bucket/key"}},
        ],
        "filesystems": [
            {"device": "/dev/mapper/data", "format": "xfs", "path": "/var", "mountOptions": ["noatime"]},
            {"device": "/dev/vdh", "format": "none", "wipeFilesystem": True},
        ],
        "files": [
            {"path": "/etc/suid", "mode": 0o4755, "contents": {"source": "data:,x", "verification": {"hash": SHA256}}},
            {
                "path": "/etc/remote",
                "contents": {"source": "https://e.com/f", "httpHeaders": [{"name": "A", "value": "b"}]},
            },
            {"path": "/etc/gs", "contents": {"source": "gs://bucket/f"}},
            {"path": "/etc/plain", "mode": 0o644, "contents": {"source": "data:,hello"}},
        ],
        "directories": [{"path": "/srv/tmp", "mode": 0o1777}],
        "links": [{"path": "/etc/l", "target": "/etc/plain"}],
    },
    "systemd": {"units": [{"name": "app.service", "enabled": True, "contents": UNIT}]},
}

TARGETS = ["3.0.0", "3.1.0", "3.2.0", "3.3.0", "3.4.0", "3.5.0"]


def test_rich_config_is_valid_3_6() -> None:
    assert ours(RICH) == []


# --- upgrade ---------------------------------------------------------------------------

def test_upgrade_sets_the_newest_version_and_leaves_input_alone() -> None:
    cfg = {"ignition": {"version": "3.1.0"}, "storage": {"files": [{"path": "/a", "mode": 0o644}]}}
    before = copy.deepcopy(cfg)
    out = upgrade(cfg, "3.1.0")
    assert cfg == before
    assert out == {"ignition": {"version": "3.6.0"}, "storage": {"files": [{"path": "/a", "mode": 0o644}]}}


def test_upgrade_3_0_ca_source_becomes_set() -> None:
    out = upgrade(
        {"ignition": {"version": "3.0.0", "security": {"tls": {"certificateAuthorities": [{"verification": {}}]}}}},
        "3.0.0",
    )
    assert out["ignition"]["security"]["tls"]["certificateAuthorities"] == [{"verification": {}, "source": ""}]


def test_upgrade_3_2_pointers_always_set() -> None:
    cfg = {"ignition": {"version": "3.2.0"}, "storage": {
        "raid": [{"name": "md", "devices": ["/dev/a"], "level": "raid1"}, {"name": "x", "devices": ["/dev/b"]}],
        "links": [{"path": "/l"}],
        "luks": [{"name": "c", "device": "/dev/c", "clevis": {"custom": {"needsNetwork": True}}},
                 {"name": "d", "device": "/dev/d", "clevis": {"tpm2": True}}]}}
    out = upgrade(cfg, "3.2.0")["storage"]
    assert [r["level"] for r in out["raid"]] == ["raid1", ""]
    assert out["links"] == [{"path": "/l", "target": ""}]
    assert out["luks"][0]["clevis"]["custom"] == {"needsNetwork": True, "pin": "", "config": ""}
    assert out["luks"][1]["clevis"] == {"tpm2": True}


def test_upgrade_strips_special_bits_before_3_6_only() -> None:
    for version in ("3.0.0", "3.2.0", "3.5.0"):
        cfg = {"ignition": {"version": version}, "storage": {"files": [{"path": "/a", "mode": 0o6755}],
                                                             "directories": [{"path": "/d", "mode": 0o1777}]}}
        out = upgrade(cfg, version)["storage"]
        assert out["files"][0]["mode"] == 0o755 and out["directories"][0]["mode"] == 0o777
    same = {"ignition": {"version": "3.6.0"}, "storage": {"files": [{"path": "/a", "mode": 0o6755}]}}
    assert upgrade(same, "3.6.0")["storage"]["files"][0]["mode"] == 0o6755


def test_upgrade_3_4_keeps_tang_advertisement_deliberately() -> None:
    # Upstream's 3.4→3.5 step loses it (docs/spec/config.md#between-3x-versions); we keep the user's intent.
    tang = {"url": "http://t", "thumbprint": "x", "advertisement": "{\"payload\": \"p\"}"}
    cfg = {
        "ignition": {"version": "3.4.0"},
        "storage": {"luks": [{"name": "a", "device": "/dev/a", "clevis": {"tang": [tang]}}]},
    }
    out = upgrade(cfg, "3.4.0")
    assert out["storage"]["luks"][0]["clevis"]["tang"] == [tang]


def test_upgrade_experimental_stays_experimental() -> None:
    cfg = {
        "ignition": {"version": "3.7.0-experimental"},
        "storage": {"filesystems": [{"device": "tag", "format": "virtiofs"}]},
    }
    assert upgrade(cfg, "3.7.0-experimental") == cfg


@pytest.mark.parametrize("version", TARGETS + ["3.6.0"])
def test_every_upgrade_output_is_valid_3_6(version: str) -> None:
    lowered, _ = downgrade(RICH, version)
    assert validate(lowered, version).errors() == []
    assert validate(upgrade(lowered, version), "3.6.0").errors() == []


# --- downgrade -------------------------------------------------------------------------

@pytest.mark.parametrize("target", TARGETS)
def test_downgrade_output_is_valid_for_the_target(target: str) -> None:
    out, problems = downgrade(RICH, target)
    assert out["ignition"]["version"] == target
    assert problems
    assert [e for e in ours(out) if e[0] == "error"] == []


@pytest.mark.oracle
@needs_oracle
@pytest.mark.parametrize("target", ["3.0.0", "3.1.0", "3.2.0", "3.3.0", "3.4.0"])
def test_downgrade_output_passes_ignition_validate(target: str) -> None:
    out, _ = downgrade(RICH, target)
    if target == "3.4.0":
        out["ignition"]["version"] = "3.4.0-experimental"  # how 2.14 spells it
    valid, entries = oracle(out)
    assert valid, entries


def test_downgrade_reports_each_field_precisely() -> None:
    _, problems = downgrade(RICH, "3.0.0")
    for expected in (
        "ignition.proxy: not available before 3.1.0",
        "ignition.config.merge[0].compression: not available before 3.1.0",
        "ignition.config.merge[0].httpHeaders: not available before 3.1.0",
        "ignition.config.merge[0].verification.hash: sha256 hashes are not available before 3.1.0",
        "ignition.config.merge[1].source: gs:// URLs are not available before 3.2.0 (entry left out)",
        "kernelArguments: not available before 3.3.0",
        "passwd.users[1].shouldExist: false (delete) is not available before 3.2.0",
        "storage.disks[0].partitions[0].resize: not available before 3.2.0",
        "storage.files[0].contents.verification.hash: sha256 hashes are not available before 3.1.0",
        "storage.files[0].mode: setuid/setgid/sticky bits (4000) are dropped before 3.6.0",
        "storage.files[1].contents.httpHeaders: not available before 3.1.0",
        "storage.files[2].contents.source: gs:// URLs are not available before 3.2.0 (file left out)",
        "storage.directories[0].mode: setuid/setgid/sticky bits (1000) are dropped before 3.6.0",
        "storage.filesystems[0].mountOptions: not available before 3.1.0",
        "storage.filesystems[1].format: \"none\" is not available before 3.3.0 (filesystem left out)",
        "storage.luks[0]: not available before 3.2.0",
    ):
        assert expected in problems, (expected, problems)


def test_downgrade_luks_details_by_version() -> None:
    _, p35 = downgrade(RICH, "3.5.0")
    assert (
        "storage.luks[2].clevis.custom.pin: pin 'yubikey' is not available before 3.6.0 (custom binding left out)"
        in p35
    )
    assert not any("cex" in p for p in p35)
    _, p34 = downgrade(RICH, "3.4.0")
    assert "storage.luks[1].cex: not available before 3.5.0" in p34
    assert not any("arn" in p for p in p34)
    _, p33 = downgrade(RICH, "3.3.0")
    for expected in ("storage.luks[0].discard: not available before 3.4.0",
                     "storage.luks[0].openOptions: not available before 3.4.0",
                     "storage.luks[0].clevis.tang[0].advertisement: not available before 3.4.0",
                     "storage.luks[3].keyFile.source: arn: URLs are not available before 3.4.0 (volume left out)"):
        assert expected in p33


def test_downgrade_to_3_6_is_lossless_and_quiet() -> None:
    out, problems = downgrade(RICH, "3.6.0")
    assert problems == [] and out == RICH


def test_downgrade_ignores_meaningless_defaults() -> None:
    cfg = {"ignition": {"version": "3.6.0"}, "kernelArguments": {"shouldExist": []},
           "passwd": {"users": [{"name": "a", "shouldExist": True}]},
           "storage": {"luks": [{"name": "x", "device": "/dev/x", "cex": {"enabled": False}, "discard": False}]}}
    out, problems = downgrade(cfg, "3.2.0")
    assert problems == []
    assert out == {"ignition": {"version": "3.2.0"}, "passwd": {"users": [{"name": "a", "shouldExist": True}]},
                   "storage": {"luks": [{"name": "x", "device": "/dev/x"}]}}


def test_downgrade_3_2_drops_empty_custom_clevis() -> None:
    cfg = {"ignition": {"version": "3.6.0"},
           "storage": {"luks": [{"name": "x", "device": "/dev/x", "clevis": {"tpm2": True, "custom": {}}}]}}
    out, problems = downgrade(cfg, "3.2.0")
    assert out["storage"]["luks"][0]["clevis"] == {"tpm2": True} and problems == []
    assert ours(out) == []


def test_downgrade_virtiofs_from_experimental() -> None:
    cfg = {
        "ignition": {"version": "3.7.0-experimental"},
        "storage": {"filesystems": [{"device": "tag", "format": "virtiofs", "path": "/m"}]},
    }
    out, problems = downgrade(cfg, "3.6.0")
    assert problems == [
        "storage.filesystems[0].format: virtiofs is only available in 3.7.0-experimental (filesystem left out)"
    ]
    assert out["storage"]["filesystems"] == []


def test_round_trip_of_an_expressible_config() -> None:
    cfg = {
        "ignition": {"version": "3.6.0"},
        "storage": {
            "files": [{"path": "/a", "mode": 0o644, "contents": {"source": "data:,a"}}],
            "raid": [{"name": "md", "level": "1", "devices": ["/dev/a"]}],
            "links": [{"path": "/l", "target": "/a"}],
        },
        "systemd": {"units": [{"name": "a.service", "mask": True}]},
    }
    for target in TARGETS:
        lowered, problems = downgrade(cfg, target)
        assert problems == []
        assert upgrade(lowered, target) == cfg
