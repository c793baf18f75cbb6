"""`ignite apply` renders a config exactly as the fetch stage does."""
from __future__ import annotations

import hashlib
import json
import urllib.parse

import pytest

from ignite.apply import load
from ignite.errors import ConfigError, FetchError


def _child(version: str = "3.3.0") -> str:
    child = {"ignition": {"version": version}, "storage": {"files": [{"path": "/child", "mode": 384}]}}
    return "data:," + urllib.parse.quote(json.dumps(child))


def test_merge_references_are_fetched_verified_and_merged(tmp_path):
    url = _child()
    digest = hashlib.sha512(urllib.parse.unquote_to_bytes(url[len("data:,"):])).hexdigest()
    cfg = {"ignition": {"version": "3.3.0", "config": {"merge": [
        {"source": url, "verification": {"hash": f"sha512-{digest}"}}]}},
        "storage": {"files": [{"path": "/parent"}]}}
    path = tmp_path / "c.ign"
    path.write_text(json.dumps(cfg))
    config = load(path)
    assert [f.path for f in config.storage.files] == ["/parent", "/child"]


def test_upper_case_hash_of_a_referenced_config_fails_as_in_ignition(tmp_path):
    # Referenced configs compare the hex string as written (docs/spec/config.md#resources).
    url = _child()
    digest = hashlib.sha512(urllib.parse.unquote_to_bytes(url[len("data:,"):])).hexdigest().upper()
    cfg = {"ignition": {"version": "3.3.0", "config": {"replace":
        {"source": url, "verification": {"hash": f"sha512-{digest}"}}}}}
    path = tmp_path / "c.ign"
    path.write_text(json.dumps(cfg))
    with pytest.raises(FetchError):
        load(path)


def test_a_merge_that_makes_the_config_invalid_is_refused(tmp_path):
    child = {"ignition": {"version": "3.3.0"}, "storage": {"filesystems": [{"device": "/dev/vdb", "format": ""}]}}
    cfg = {"ignition": {"version": "3.3.0", "config": {"merge": [
        {"source": "data:," + urllib.parse.quote(json.dumps(child))}]}},
        "storage": {"filesystems": [{"device": "/dev/vdb", "format": "ext4", "path": "/var"}]}}
    path = tmp_path / "c.ign"
    path.write_text(json.dumps(cfg))
    with pytest.raises(ConfigError, match="merging configs resulted in an invalid config"):
        load(path)


def test_the_rendered_config_is_validated_as_the_records_tree_never_parsed_again(tmp_path, monkeypatch):
    """The rules read the merged records as codec.to_json's tree: no JSON text of the result
    and no parse of it (the only configs parsed are the two inputs), with the errors and
    JSON paths of the merged config."""
    from ignite.config import codec, parse

    built: list[str] = []
    real_parse, real_build = parse.parse_report, codec.config_from_json
    monkeypatch.setattr(parse, "parse_report", lambda data, **kw: built.append("parsed") or real_parse(data, **kw))
    monkeypatch.setattr(codec, "config_from_json", lambda data: built.append("built") or real_build(data))
    path = tmp_path / "valid.ign"
    path.write_text(json.dumps({"ignition": {"version": "3.3.0", "config": {"merge": [{"source": _child()}]}}}))
    assert [f.path for f in load(path).storage.files] == ["/child"]
    assert built == ["parsed", "built"] * 2  # the user config and its merge child, nothing else
    built.clear()
    child = {"ignition": {"version": "3.3.0"}, "storage": {"filesystems": [{"device": "/dev/vdb", "format": ""}]}}
    cfg = {"ignition": {"version": "3.3.0", "config": {"merge": [
        {"source": "data:," + urllib.parse.quote(json.dumps(child))}]}},
        "storage": {"filesystems": [{"device": "/dev/vdb", "format": "ext4", "path": "/var"}]}}
    path = tmp_path / "c.ign"
    path.write_text(json.dumps(cfg))
    with pytest.raises(ConfigError) as err:
        load(path)
    assert built == ["parsed", "built"] * 2
    assert err.value.report is not None
    assert [(e.message, e.path) for e in err.value.report.errors()] == [
        ("format cannot be empty when path, label, uuid, wipeFilesystem, options, or mountOptions is specified",
         ("storage", "filesystems", 0, "format")),
    ]
