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
