"""Input that no stage can use gets a clear one-line error (exit 1), never exit 70.

Ignition 2.14's validator accepts every config below (checked with the oracle in
test_oracle_accepts_what_ignite_refuses); its stages then fail at the first system call or
URL parse. ignite refuses them when validating, before anything is changed: a NUL in any
name or path, a path longer than PATH_MAX, a URL whose port or host the fetchers cannot
parse. Objects nested deeper than Python's recursion limit, repeated so they are merged,
are read like any other config."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

REPO = Path(__file__).resolve().parents[2]
ORACLE = REPO / ".cache" / "ignition" / "usr" / "bin" / "ignition-validate"


def v3(**parts) -> dict:
    return {"ignition": {"version": "3.3.0"}, **parts}


def file_from(source: str) -> dict:
    return v3(storage={"files": [{"path": "/etc/a", "contents": {"source": source}}]})


class Refused(NamedTuple):
    config: dict
    where: str  # the JSON path `ignite validate` reports
    lines: int = 1  # entries `ignite validate` prints
    apply_at: str = ""  # what `ignite apply`'s one line names; "" for `where` without its ".source"


LONG = "/" + "a/" * 2100 + "x"
CASES = {
    "nul-in-file-path": Refused(v3(storage={"files": [{"path": "/etc/a\x00b"}]}), "$.storage.files.0.path"),
    "nul-in-link-target": Refused(v3(storage={"links": [{"path": "/etc/l", "target": "/x\x00"}]}),
                                  "$.storage.links.0.target"),
    "nul-in-user-name": Refused(v3(passwd={"users": [{"name": "a\x00b"}]}), "$.passwd.users.0.name"),
    "nul-in-user-gecos": Refused(v3(passwd={"users": [{"name": "ab", "gecos": "x\x00"}]}), "$.passwd.users.0.gecos"),
    "nul-in-group-name": Refused(v3(passwd={"groups": [{"name": "g\x00"}]}), "$.passwd.groups.0.name"),
    "nul-in-unit-name": Refused(v3(systemd={"units": [{"name": "a\x00b.service", "contents": "[Unit]"}]}),
                                "$.systemd.units.0.name"),
    "nul-in-dropin-name": Refused(v3(systemd={"units": [{"name": "a.service", "dropins": [
        {"name": "x\x00.conf", "contents": "[Unit]"}]}]}), "$.systemd.units.0.dropins.0.name"),
    "nul-in-legacy-user": Refused({"ignition": {"version": "2.2.0"}, "passwd": {"users": [{"name": "a\x00"}]}},
                                  "$.passwd.users.0.name"),
    "path-over-path-max": Refused(v3(storage={"files": [{"path": LONG}]}), "$.storage.files.0.path"),
    "directory-over-path-max": Refused(v3(storage={"directories": [{"path": LONG}]}), "$.storage.directories.0.path"),
    "tftp-port-over-65535": Refused(file_from("tftp://host:99999/x"), "$.storage.files.0.contents.source"),
    "tftp-bracket-in-host": Refused(file_from("tftp://ho]st/x"), "$.storage.files.0.contents.source"),
    "s3-port-over-65535": Refused(file_from("s3://bucket:65536/x"), "$.storage.files.0.contents.source"),
    "s3-bracket-in-host": Refused(file_from("s3://buc]ket/x"), "$.storage.files.0.contents.source"),
    "http-bracketed-non-address": Refused(file_from("http://[host]/x"), "$.storage.files.0.contents.source"),
    "merge-port-over-65535": Refused(v3(ignition={"version": "3.3.0", "config": {"merge": [
        {"source": "http://h:70000/c.ign"}]}}), "$.ignition.config.merge.0.source",
        # reported at the reference and at its source, as upstream; apply names the reference
        lines=2, apply_at="$.ignition.config.merge.0)"),
}


def run_ignite(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ignite", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120, env={"PYTHONPATH": str(REPO), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})


def write(tmp_path: Path, cfg: dict | str) -> Path:
    path = tmp_path / "config.ign"
    path.write_text(cfg if isinstance(cfg, str) else json.dumps(cfg))
    return path


@pytest.mark.parametrize("name", list(CASES))
def test_validate_refuses_with_one_line(name, tmp_path):
    case = CASES[name]
    p = run_ignite("validate", str(write(tmp_path, case.config)), cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    lines = (p.stdout + p.stderr).strip().splitlines()
    assert len(lines) == case.lines, lines  # one line per entry
    assert all(": error: " in line for line in lines) and f"(at {case.where})" in lines[-1], lines


@pytest.mark.parametrize("name", list(CASES))
def test_apply_refuses_before_changing_anything(name, tmp_path):
    case = CASES[name]
    root = tmp_path / "root"
    root.mkdir()
    p = run_ignite("apply", str(write(tmp_path, case.config)), "--root", str(root), cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "config is not valid" in lines[0], lines
    assert (case.apply_at or case.where.removesuffix(".source")) in lines[0]
    assert "internal error" not in p.stderr
    assert list(root.iterdir()) == []


def _nested_twice(depth: int, prefix: str) -> str:
    deep = '{"a":' * depth + "1" + "}" * depth
    return prefix + f',"x":{deep},"x":{deep}' + "}"


@pytest.mark.parametrize("prefix", ['{"ignition":{"version":"3.3.0"}', '{"ignition":{"version":"2.2.0"}',
                                    '{"ignitionVersion":1'])
def test_repeated_keys_nested_deeper_than_recursion_limit(prefix, tmp_path):
    """Two 5000-deep objects under one key are merged, as Go does (no RecursionError)."""
    text = _nested_twice(5000, prefix)
    p = run_ignite("validate", str(write(tmp_path, text)), cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-500:]
    assert "duplicate key 'x': the objects are merged" in p.stdout + p.stderr
    assert "internal error" not in p.stderr


def test_merge_objects_deeper_than_recursion_limit():
    from ignite.config.structure import merge_objects

    def nest(depth: int, leaf: dict) -> dict:
        value = leaf
        for _ in range(depth):
            value = {"a": value}
        return value

    merged = merge_objects(nest(5000, {"b": 1}), nest(5000, {"c": 2}))
    for _ in range(5000):
        merged = merged["a"]
    assert merged == {"b": 1, "c": 2}


@pytest.mark.skipif(not ORACLE.exists(), reason="needs the Ignition 2.14 oracle (make oracle)")
@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.config["ignition"]["version"].startswith("3.")])
def test_oracle_accepts_what_ignite_refuses(name, tmp_path):
    """ignite is stricter than 2.14 here on purpose: 2.14 has no rule, and fails later."""
    cfg = CASES[name].config
    p = subprocess.run([str(ORACLE), str(write(tmp_path, cfg))], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
