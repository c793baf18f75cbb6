"""Differential check: randomly assembled 3.0–3.3 configs (every section, valid and
invalid values mixed) get exactly the error entries ignition-validate 2.14 gives, in
its order. Divergences where HEAD deliberately differs from 2.14 are filtered out."""
from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from v3_validate_helpers import ORACLE, oracle, ours

# HEAD has the systemd path-conflict check, which 2.14 lacks; HEAD dropped the
# "shouldExist false + partitions at start/size 0" check (commit 76f869a4).
ONLY_HEAD = "path conflicts with systemd unit or dropin"
ONLY_2_14 = "shouldExist is false for a partition and other partition(s) has start or size 0"


def random_config(rng: random.Random, version: str) -> dict:
    """A config mixing valid and invalid values of every section, for differential runs."""
    minor = int(version.split(".")[1])
    ch = rng.choice
    paths = ["/a", "/a/b", "/l", "/l/x", "a", "/a/../b", "//a", "/a/", "", "/etc/systemd/system/u.service", "/d"]
    srcs = [
        "",
        "data:,x",
        "http://h/x",
        "gs://b/o",
        "ftp://x",
        "s3://b/k?versionId=",
        "data:;base64,YQ",
        "http://a b",
        None,
    ]

    def res():
        r = {}
        s = ch(srcs)
        if s is not None:
            r["source"] = s
        if rng.random() < 0.3:
            r["verification"] = {"hash": ch(["sha512-" + "a" * 128, "sha256-" + "b" * 64, "x", "sha512-0", "md5-1"])}
        if rng.random() < 0.2:
            r["compression"] = ch(["gzip", "", "xz"])
        if minor >= 1 and rng.random() < 0.2:
            r["httpHeaders"] = [
                {"name": ch(["A", "", "A"]), **({"value": ch(["", "v"])} if rng.random() < 0.7 else {})}
                for _ in range(rng.randint(1, 2))
            ]
        return r

    def owner():
        o = {}
        if rng.random() < 0.5:
            o["id"] = 0
        if rng.random() < 0.5:
            o["name"] = ch(["", "core"])
        return o

    def node(kind):
        n = {"path": ch(paths)}
        if rng.random() < 0.3:
            n["overwrite"] = ch([True, False])
        if rng.random() < 0.3:
            n["user"] = owner()
        if rng.random() < 0.3:
            n["group"] = owner()
        if kind in ("f", "d") and rng.random() < 0.4:
            n["mode"] = ch([420, 493, 4095, 4096, -1, 2541])
        if kind == "f":
            if rng.random() < 0.5:
                n["contents"] = res()
            if rng.random() < 0.3:
                n["append"] = [res() for _ in range(rng.randint(1, 2))]
        if kind == "l":
            if rng.random() < 0.8:
                n["target"] = ch(["/a", "b", "", "/d", "../d"])
            if rng.random() < 0.4:
                n["hard"] = ch([True, False])
        return n

    st = {}
    if rng.random() < 0.7:
        st["files"] = [node("f") for _ in range(rng.randint(0, 3))]
    if rng.random() < 0.5:
        st["directories"] = [node("d") for _ in range(rng.randint(0, 2))]
    if rng.random() < 0.5:
        st["links"] = [node("l") for _ in range(rng.randint(0, 2))]
    if rng.random() < 0.4:
        st["disks"] = [
            {
                "device": ch(["/dev/vdb", "", "vdb"]),
                **({"wipeTable": True} if rng.random() < 0.3 else {}),
                "partitions": [
                    {
                        k: v
                        for k, v in {
                            "number": ch([0, 1, 2]),
                            "label": ch([None, "a", "b:c", "x" * 37]),
                            "sizeMiB": ch([None, 0, 10]),
                            "startMiB": ch([None, 0, 5, 12]),
                            "shouldExist": ch([None, True, False]),
                            "guid": ch([None, "", "bad"]),
                        }.items()
                        if v is not None
                    }
                    for _ in range(rng.randint(0, 3))
                ],
            }
            for _ in range(rng.randint(1, 2))
        ]
    if rng.random() < 0.4:
        st["filesystems"] = [
            {
                k: v
                for k, v in {
                    "device": ch(["/dev/vdb", "", "x"]),
                    "format": ch([None, "", "ext4", "xfs", "none", "vfat", "zfs"]),
                    "path": ch([None, "", "/var", "var"]),
                    "label": ch([None, "", "L" * 12, "L" * 13, "L" * 17]),
                    "wipeFilesystem": ch([None, True]),
                    "options": ch([None, [], ["-x"]]),
                    "uuid": ch([None, "", "u"]),
                }.items()
                if v is not None
            }
            for _ in range(rng.randint(1, 2))
        ]
    if rng.random() < 0.3:
        st["raid"] = [
            {
                k: v
                for k, v in {
                    "name": ch(["md", ""]),
                    "level": ch([None, "", "raid1", "raid0", "stripe", "raid9"]),
                    "devices": ch([[], ["/dev/a"], ["a", "/dev/a", "/dev/a"]]),
                    "spares": ch([None, 0, 1]),
                }.items()
                if v is not None
            }
            for _ in range(rng.randint(1, 2))
        ]
    if minor >= 2 and rng.random() < 0.4:

        def clevis():
            c = {}
            if rng.random() < 0.4:
                c["tpm2"] = ch([True, False])
            if rng.random() < 0.4:
                c["tang"] = [
                    {
                        k: v
                        for k, v in {
                            "url": ch(["http://t", "", "ftp://t", None]),
                            "thumbprint": ch([None, "", "tp"]),
                        }.items()
                        if v is not None
                    }
                ]
            if rng.random() < 0.3:
                c["threshold"] = ch([0, 1, 2])
            if rng.random() < 0.5:
                c["custom"] = {
                    k: v
                    for k, v in {
                        "pin": ch([None, "", "tpm2", "foo"]),
                        "config": ch([None, "", "{}"]),
                        "needsNetwork": ch([None, True, False]),
                    }.items()
                    if v is not None
                }
            return c

        st["luks"] = [
            {
                k: v
                for k, v in {
                    "name": ch(["x", "a/b"]),
                    "device": ch([None, "", "/dev/a", "dev"]),
                    "label": ch([None, "l" * 48]),
                    "clevis": clevis() if rng.random() < 0.7 else None,
                    "keyFile": res() if rng.random() < 0.3 else None,
                }.items()
                if v is not None
            }
            for _ in range(rng.randint(1, 2))
        ]
    cfg = {"ignition": {"version": version}}
    if st:
        cfg["storage"] = st
    if rng.random() < 0.4:
        cfg["systemd"] = {
            "units": [
                {
                    k: v
                    for k, v in {
                        "name": ch(["u.service", "x@.service", "x@a.service", "u", "u.conf"]),
                        "enabled": ch([None, True, False]),
                        "contents": ch([None, "", "[Service]\nA=b\n", "[Install]\nWantedBy=a\n", "[X\n", "[S]\nfoo"]),
                        "dropins": ch(
                            [None, [{"name": "a.conf", "contents": "[S]\nA=b"}, {"name": "b", "contents": "x"}]]
                        ),
                    }.items()
                    if v is not None
                }
                for _ in range(rng.randint(1, 3))
            ]
        }
    if rng.random() < 0.3:
        ign = cfg["ignition"]
        ign["config"] = {"merge": [res() for _ in range(rng.randint(0, 2))]}
        if rng.random() < 0.5:
            ign["config"]["replace"] = res()
        if rng.random() < 0.4:
            ign["security"] = {"tls": {"certificateAuthorities": [res() for _ in range(rng.randint(1, 2))]}}
        if minor >= 1 and rng.random() < 0.4:
            ign["proxy"] = {
                "httpProxy": ch(["http://p", "ftp://p", "http://a b", ""]),
                "httpsProxy": ch(["http://p", "https://p"]),
                "noProxy": ch([["a"], ["a", "a"]]),
            }
    if minor >= 3 and rng.random() < 0.3:
        cfg["kernelArguments"] = {"shouldExist": ch([["a"], ["a", "a"], []]), "shouldNotExist": ch([["a"], ["b"]])}
    if rng.random() < 0.3:
        cfg["passwd"] = {
            "users": [{"name": ch(["a", "b"]), "groups": ch([["g"], ["g", "g"]])} for _ in range(rng.randint(1, 2))]
        }
    return cfg



def test_generator_covers_the_sections() -> None:
    rng = random.Random(7)
    sections = set()
    for _ in range(200):
        cfg = random_config(rng, "3.3.0")
        sections |= set(cfg.get("storage", {})) | set(cfg) - {"storage"}
    assert {"files", "directories", "links", "disks", "filesystems", "raid", "luks", "systemd", "passwd",
            "kernelArguments", "ignition"} <= sections


@pytest.mark.oracle
@pytest.mark.skipif(not ORACLE.exists(), reason="Debian's ignition-validate is not unpacked (run `make oracle`)")
@pytest.mark.parametrize("seed", range(4))
def test_random_configs_match_ignition_validate(seed: int) -> None:
    rng = random.Random(1000 + seed)
    mismatches = []
    compared = 0
    for _ in range(40):
        version = rng.choice(["3.0.0", "3.1.0", "3.2.0", "3.3.0"])
        cfg = random_config(rng, version)
        mine = [e for e in ours(cfg) if e[0] == "error"]
        if any(e[2] == ONLY_HEAD for e in mine):
            continue
        _, entries = oracle(cfg)
        theirs = [e for e in entries if e[0] == "error" and e[2] != ONLY_2_14]
        compared += 1
        if mine != theirs:
            mismatches.append((cfg, mine, theirs))
    assert compared > 20
    assert not mismatches, mismatches[0]


VERSIONS = ["3.0.0", "3.1.0", "3.2.0", "3.3.0", "3.4.0", "3.5.0", "3.6.0", "3.7.0-experimental"]


def test_random_configs_of_every_version_never_crash_validate_or_translate() -> None:
    from ignite.config.translate.v3 import downgrade, upgrade
    from ignite.config.validate import validate

    rng = random.Random(42)
    translated = 0
    for _ in range(1500):
        version = rng.choice(VERSIONS)
        cfg = random_config(rng, version)
        report = validate(cfg, version)
        if report.is_fatal:
            continue
        newest = upgrade(cfg, version)
        assert not validate(newest, newest["ignition"]["version"]).is_fatal
        translated += 1
        for target in VERSIONS[:7]:
            lowered, _ = downgrade(newest, target)
            assert not validate(lowered, target).is_fatal, (cfg, target, validate(lowered, target).errors())
    assert translated > 25
