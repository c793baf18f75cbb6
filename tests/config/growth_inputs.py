"""Configs that grow one way, for the growth tests (tests/config/test_growth.py) and the
growth benchmark (bench/growth_bench.py): each `make(n)` returns the bytes of a config with
n of one kind of entry. All are judged alike by Ignition 2.14 and ignite."""
from __future__ import annotations

import json
from collections.abc import Callable


def duplicate_keys(n: int) -> bytes:
    """n repeats of one key: n-1 warnings, each positioned."""
    body = ",".join(['"mode":420'] * n)
    return ('{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"/a",' + body + "}]}}").encode()


def type_errors(n: int) -> bytes:
    """n files whose path is a number: n errors, each positioned."""
    return json.dumps({"ignition": {"version": "3.3.0"},
                       "storage": {"files": [{"path": i} for i in range(n)]}}).encode()


def legacy_warnings(n: int) -> bytes:
    """A 2.2.0 config of n files with an unknown key each: n warnings, each positioned."""
    return json.dumps({"ignition": {"version": "2.2.0"}, "storage": {"files": [
        {"filesystem": "root", "path": f"/f{i}", "x": 1} for i in range(n)]}}).encode()


def links_and_files(n: int) -> bytes:
    """A valid config of n links and n files (every file checked against every link)."""
    return json.dumps({"ignition": {"version": "3.3.0"}, "storage": {
        "links": [{"path": f"/l/{i}", "target": "/t"} for i in range(n)],
        "files": [{"path": f"/f/{i}"} for i in range(n)]}}).encode()


def unit_continuations(n: int) -> bytes:
    """A unit whose one option runs over n continuation lines."""
    contents = "[Service]\nExecStart=/bin/true \\\n" + " a \\\n" * n + " b\n"
    return json.dumps({"ignition": {"version": "3.3.0"},
                       "systemd": {"units": [{"name": "a.service", "contents": contents}]}}).encode()


def data_url_parameters(n: int) -> bytes:
    """A file whose data URL has n `;a=b` parameters."""
    return json.dumps({"ignition": {"version": "3.3.0"}, "storage": {"files": [
        {"path": "/a", "contents": {"source": "data:text/plain" + ";a=b" * n + ",x"}}]}}).encode()


KINDS: dict[str, Callable[[int], bytes]] = {
    "duplicate keys": duplicate_keys,
    "type errors": type_errors,
    "legacy warnings": legacy_warnings,
    "links + files": links_and_files,
    "unit continuations": unit_continuations,
    "data URL parameters": data_url_parameters,
}
