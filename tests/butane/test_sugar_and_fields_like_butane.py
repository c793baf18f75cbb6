"""ignite's Butane translation against what the real butane did with the same configs.

The fixtures (fixtures/butane-<version>.json) were recorded by regen_fixtures.py from a
butane binary built from coreos/butane's public source; CI cannot build it, so it checks
the recordings. Each config is run three ways, as butane was: plain, --strict, and with
a files directory (-d files/)."""
from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from ignite.config.butane.translate import translate

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "fixtures" / "butane-v0.29.0.json"
# regen_fixtures.py records butane's absolute paths of the files directory as {FILES_DIR}
RECORDED = json.loads(FIXTURE.read_text().replace("{FILES_DIR}", str(HERE / "files")))
CASES = RECORDED["cases"]
MODES = {"plain": {}, "strict": {"strict": True}, "files_dir": {"files_dir": str(HERE / "files")}}
# Where ignite departs from butane on purpose: an openshift config is a MachineConfig, not
# an Ignition config, and Ignition (hence ignite) refuses it.
REFUSED = {"err-openshift"}


def corpus_text(name: str) -> str:
    raw = (HERE / "corpus" / f"{name}.bu").read_bytes()
    return raw.decode("utf-8")


def comparable(obj: Any) -> Any:
    """The config with gzip data URLs unpacked: Go's and zlib's deflate streams differ, the
    contents they carry do not."""
    if isinstance(obj, dict):
        out = {k: comparable(v) for k, v in obj.items()}
        source = out.get("source")
        if out.get("compression") == "gzip" and isinstance(source, str) and source.startswith("data:;base64,"):
            out["source"] = ("gunzipped", gzip.decompress(base64.b64decode(source[len("data:;base64,"):])))
        return out
    if isinstance(obj, list):
        return [comparable(v) for v in obj]
    return obj


def test_the_corpus_is_large_and_covers_every_spec() -> None:
    assert RECORDED["butane"] == "v0.29.0"
    assert len(CASES) >= 150
    assert len(PRINTED) >= 150  # the byte-for-byte comparison covers most of the corpus
    from ignite.config.butane.specs import SPECS

    for variant, version in SPECS:
        tag = f"{variant}-{version.replace('.', '_')}"
        assert f"{tag}-minimal" in CASES and f"{tag}-kitchen" in CASES, tag


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(set(CASES) - REFUSED))
def test_same_verdict_and_config_as_butane(name: str, mode: str) -> None:
    expected = CASES[name][mode]
    result = translate(corpus_text(name), **MODES[mode])
    assert (result.config is not None) == (expected["rc"] == 0), (result.error, result.entries, expected)
    if result.config is not None and expected["output"] is not None:
        assert comparable(result.config) == comparable(expected["output"])


GZIP_URL = '"compression":"gzip","source":"data:'
# butane printed a config, and no gzip stream in it (another deflate may differ byte for byte)
PRINTED = sorted(name for name in set(CASES) - REFUSED if CASES[name]["files_dir"]["rc"] == 0
                 and GZIP_URL not in CASES[name]["files_dir"].get("stdout", GZIP_URL))


@pytest.mark.parametrize("name", PRINTED)
def test_byte_identical_output_where_no_gzip_stream_is_involved(name: str) -> None:
    """What `ignite translate -d` prints is what `butane -d` printed, key order and Go's
    escaping included; only a gzip stream (a different deflate) may differ."""
    from ignite.config.butane.entry import render

    expected = CASES[name]["files_dir"]
    result = translate(corpus_text(name), **MODES["files_dir"])
    assert result.config is not None
    assert render(result.config) + "\n" == expected["stdout"]


@pytest.mark.parametrize("mode", ["plain", "files_dir"])
@pytest.mark.parametrize("name", sorted(set(CASES) - REFUSED))
def test_same_diagnostics_as_butane(name: str, mode: str) -> None:
    """Every error and warning butane reported: kind, Butane path, YAML line and column,
    message. (A rejection butane reports in one final line, such as a YAML syntax error,
    has no entries to compare: its verdict is compared above.)"""
    expected = CASES[name][mode]
    result = translate(corpus_text(name), **MODES[mode])
    ours = sorted((e.kind, "$" + "".join(f".{p}" for p in e.path), e.line, e.column, e.message)
                  for e in result.entries)
    theirs = sorted((d["kind"], d["path"], d["line"], d["column"], d["message"]) for d in expected["diagnostics"])
    if theirs or result.config is not None:
        assert ours == theirs


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_openshift_is_refused_though_butane_makes_a_machineconfig(name: str) -> None:
    assert CASES[name]["plain"]["rc"] == 0 and "MachineConfig" in CASES[name]["plain"]["stdout"]
    result = translate(corpus_text(name))
    assert result.config is None and "openshift" in (result.error or "")
