"""The schema-driven structural pass (ignite/config/structure.py)."""
from __future__ import annotations

import time

import pytest

from ignite.config.structure import INT64_MAX, INT64_MIN, compiled, fold_key, normalize


def errors(report) -> list[tuple[tuple, str]]:
    return [(e.path, e.message) for e in report.errors()]


def warnings(report) -> list[tuple[tuple, str]]:
    return [(e.path, e.message) for e in report.warnings()]


def test_a_canonical_config_comes_out_as_it_went_in():
    cfg = {
        "ignition": {"version": "3.4.0", "config": {"merge": [{"source": "http://x/y", "httpHeaders": [
            {"name": "A", "value": "b"}]}]}, "timeouts": {"httpTotal": 5}},
        "kernelArguments": {"shouldExist": ["a b"]},
        "storage": {"files": [{"path": "/a", "mode": 420, "overwrite": True, "user": {"id": 0},
                               "contents": {"source": "data:,x", "verification": {"hash": "sha256-00"}}}],
                    "luks": [{"name": "l", "device": "/dev/sda", "discard": True, "openOptions": ["--x"],
                              "clevis": {"tpm2": True, "tang": [{"url": "http://t", "advertisement": "{}"}]}}]},
    }
    out, report = normalize(cfg, "3.4.0")
    assert out == cfg and not report.entries
    assert out is not cfg


def test_keys_match_case_insensitively_and_case_variants_are_also_warned():
    out, report = normalize({"Ignition": {"VERSION": "3.3.0"}, "storage": {"Files": [{"PATH": "/a"}]}}, "3.3.0")
    assert out == {"ignition": {"version": "3.3.0"}, "storage": {"files": [{"path": "/a"}]}}
    # as in Ignition, nothing below a key matched only case-insensitively is warned about
    assert warnings(report) == [
        (("Ignition",), "unused key Ignition"),
        (("storage", "Files"), "unused key Files"),
    ]
    assert not report.errors()
    _, report = normalize({"ignition": {"version": "3.3.0"}, "Storage": {"files": [{"path": 5, "junk": 1}]}}, "3.3.0")
    assert warnings(report) == [(("Storage",), "unused key Storage")]
    assert errors(report) == [(("Storage", "files", 0, "path"), "cannot use number 5 as string")]


def test_go_folds_kelvin_and_long_s_onto_ascii():
    assert fold_key("\u212aernelArguments") == "kernelarguments"
    assert fold_key("\u017ftorage") == "storage"
    assert fold_key("Stra\u00dfe") == "stra\u00dfe"  # never expanded to "ss"
    out, _ = normalize({"ignition": {"version": "3.3.0"}, "\u017ftorage": {"files": [{"path": "/a"}]}}, "3.3.0")
    assert out["storage"] == {"files": [{"path": "/a"}]}


def test_unknown_keys_are_dropped_and_warned_at_their_path():
    obj = {"ignition": {"version": "3.0.0", "extra": {"deep": [1]}}, "networkd": {},
           "storage": {"files": [{"path": "/a", "contents": {"compression": "gzip", "httpHeaders": []}}],
                       "luks": []}}
    out, report = normalize(obj, "3.0.0")
    assert out == {"ignition": {"version": "3.0.0"},
                   "storage": {"files": [{"path": "/a", "contents": {"compression": "gzip"}}]}}
    assert warnings(report) == [
        (("ignition", "extra"), "unused key extra"),
        (("networkd",), "unused key networkd"),
        (("storage", "files", 0, "contents", "httpHeaders"), "unused key httpHeaders"),  # 3.1+
        (("storage", "luks"), "unused key luks"),  # 3.2+
    ]


def test_null_is_absent_and_null_list_elements_are_zero_values():
    obj = {"ignition": {"version": "3.2.0", "config": None}, "passwd": None,
           "storage": {"files": [None, {"path": "/a", "mode": None, "append": [None]}],
                       "raid": [{"name": "r", "devices": [None, "/dev/a"], "spares": None}],
                       "luks": [{"name": "l", "clevis": None}]}}
    out, report = normalize(obj, "3.2.0")
    assert not report.entries
    assert out == {"ignition": {"version": "3.2.0"},
                   "storage": {"files": [{}, {"path": "/a", "append": [{}]}],
                               "raid": [{"name": "r", "devices": ["", "/dev/a"]}],
                               "luks": [{"name": "l"}]}}


def test_every_type_error_is_listed_with_its_path():
    obj = {"ignition": {"version": "3.3.0", "timeouts": {"httpTotal": 1.5}},
           "storage": {"files": [{"path": "/a", "mode": 420.0}, {"path": 5, "mode": "420", "overwrite": "true"},
                                 {"path": "/c", "mode": True, "user": {"id": 1e3}}],
                       "disks": {"device": "/dev/sda"},
                       "raid": [{"name": "r", "devices": "/dev/a"}]},
           "systemd": {"units": [{"name": "a.service", "enabled": 1}]},
           "passwd": [],
           }
    out, report = normalize(obj, "3.3.0")
    # in the order of the text; the bad values are left out of the dict
    assert out["storage"]["files"] == [{"path": "/a"}, {}, {"path": "/c", "user": {}}]
    assert errors(report) == [
        (("ignition", "timeouts", "httpTotal"), "cannot use number 1.5 as integer"),
        (("storage", "files", 0, "mode"), "cannot use number 420.0 as integer"),
        (("storage", "files", 1, "path"), "cannot use number 5 as string"),
        (("storage", "files", 1, "mode"), "cannot use string '420' as integer"),
        (("storage", "files", 1, "overwrite"), "cannot use string 'true' as boolean"),
        (("storage", "files", 2, "mode"), "cannot use true as integer"),
        (("storage", "files", 2, "user", "id"), "cannot use number 1000.0 as integer"),
        (("storage", "disks"), "cannot use an object as array"),
        (("storage", "raid", 0, "devices"), "cannot use string '/dev/a' as array"),
        (("systemd", "units", 0, "enabled"), "cannot use number 1 as boolean"),
        (("passwd",), "cannot use an array as object"),
    ]


@pytest.mark.parametrize("value, ok", [(INT64_MAX, True), (INT64_MIN, True), (INT64_MAX + 1, False),
                                       (INT64_MIN - 1, False), (0, True), (-1, True)])
def test_integers_must_fit_in_int64(value, ok):
    _, report = normalize({"ignition": {"version": "3.0.0"}, "storage": {"files": [{"path": "/a", "mode": value}]}},
                          "3.0.0")
    assert (not report.errors()) == ok
    if not ok:
        assert errors(report) == [
            (("storage", "files", 0, "mode"), f"number {value} is out of range for a 64-bit integer")
        ]


def test_version_specific_shapes():
    # 3.2: clevis.custom pin/config are plain strings, raid.level a plain string, links.target a plain string
    _, r32 = normalize({"storage": {"luks": [{"name": "l", "clevis": {"custom": {"pin": None, "config": 5}}}],
                                    "links": [{"path": "/l", "target": None}]}}, "3.2.0")
    assert errors(r32) == [(("storage", "luks", 0, "clevis", "custom", "config"), "cannot use number 5 as string")]
    # 3.5 has cex, 3.4 does not
    assert warnings(normalize({"storage": {"luks": [{"name": "l", "cex": {"enabled": True}}]}}, "3.4.0")[1]) == [
        (("storage", "luks", 0, "cex"), "unused key cex")]
    assert not normalize({"storage": {"luks": [{"name": "l", "cex": {"enabled": True}}]}}, "3.5.0")[1].entries
    # 3.0 CA source is a plain string; merge entries are not full Resources yet
    _, r30 = normalize({"ignition": {"security": {"tls": {"certificateAuthorities": [{"source": 1}]}},
                                     "config": {"merge": [{"source": "x", "compression": "gzip"}]}}}, "3.0.0")
    assert errors(r30) == [(("ignition", "security", "tls", "certificateAuthorities", 0, "source"),
                            "cannot use number 1 as string")]
    assert warnings(r30) == [(("ignition", "config", "merge", 0, "compression"), "unused key compression")]


def test_case_variant_duplicates_follow_go_later_wins_and_objects_merge():
    obj = {"ignition": {"version": "3.0.0", "Version": "3.1.0", "config": {"replace": {"source": "a"}},
                        "CONFIG": {"merge": []}}}
    out, report = normalize(obj, "3.0.0")
    assert out["ignition"] == {"version": "3.1.0", "config": {"replace": {"source": "a"}, "merge": []}}
    assert [p for p, _ in warnings(report)] == [("ignition", "Version"), ("ignition", "CONFIG")]


def test_legacy_schemas_load_in_the_same_subset():
    out, report = normalize({"ignitionVersion": 1, "storage": {"filesystems": [
        {"device": "/dev/sda", "format": "ext4", "files": [{"path": "/a", "mode": "x"}]}]}}, "1")
    assert errors(report) == [(("storage", "filesystems", 0, "files", 0, "mode"), "cannot use string 'x' as integer")]
    for version in ("2.0.0", "2.1.0", "2.2.0", "2.3.0", "2.4.0"):
        out, report = normalize({"ignition": {"version": version}, "networkd": {"units": [{"name": "a.network"}]}},
                                version)
        assert not report.entries, version
        assert out["networkd"] == {"units": [{"name": "a.network"}]}


def test_each_schema_is_compiled_once():
    assert compiled("3.6.0") is compiled("3.6.0")


def test_unknown_version_has_no_schema():
    with pytest.raises(LookupError):
        normalize({}, "9.9.9")


def big_config(files: int) -> dict:
    return {"ignition": {"version": "3.6.0"},
            "storage": {"files": [{"path": f"/etc/f{i}", "mode": 420, "overwrite": True,
                                   "user": {"name": "core"}, "group": {"id": 0},
                                   "contents": {"source": f"data:,{i}", "verification": {"hash": "sha256-" + "0" * 64}}}
                                  for i in range(files)]}}


def test_a_5000_file_config_normalizes_fast():
    cfg = big_config(5000)
    normalize(cfg, "3.6.0")  # compile the schema outside the timing
    start = time.perf_counter()
    out, report = normalize(cfg, "3.6.0")
    elapsed = time.perf_counter() - start
    assert out == cfg and not report.entries
    assert elapsed < 10, f"{elapsed:.3f}s"  # a hang guard; bench/validate_bench.py measures speed
