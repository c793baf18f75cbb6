"""Bad Butane input: always a clear error with a YAML position, never a traceback, and
bounded memory for documents built to exhaust it."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ignite.config.parse import parse_report

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).resolve().parent / "corpus"
HEAD = "variant: fcos\nversion: 1.5.0\n"


@pytest.mark.parametrize("text, line, column, words", [
    (HEAD + "storage:\n\tfiles: []\n", 4, 1, "cannot start any token"),
    (HEAD + "storage:\n  files:\n    - path: \"/etc/a\n", 6, 1, "end of stream"),
    (HEAD + "storage:\n  files:\n    - path: /etc/a\n   mode: 0644\n", 6, 4, "expected key"),
    (HEAD + "storage: {files: [\n", 4, 1, "expected node content"),
    (HEAD + "storage:\n  files:\n    - path: *nope\n", 5, 13, "nope"),
])
def test_malformed_yaml_is_one_positioned_error(text: str, line: int, column: int, words: str) -> None:
    result = parse_report(text.encode())
    assert not result.valid and result.error and result.error.startswith("Butane config: ")
    [entry] = result.report.errors()
    assert (entry.line, entry.column) == (line, column), entry
    assert words in entry.message


@pytest.mark.parametrize("text, words, path", [
    ("variant: fcos\nversion: 9.0.0\n", "No translator exists for variant fcos with version 9.0.0", ("version",)),
    ("variant: ubuntu\nversion: 1.0.0\n", "No translator exists for variant ubuntu", ("version",)),
    ("variant: fcos\nversion: one\n", "must be a valid semver", ("version",)),
    ("variant: fcos\nversion: 1.8.0\n", "No translator exists for variant fcos with version 1.8.0", ("version",)),
    ("variant: ''\nversion: 1.5.0\n", "error parsing variant", ("variant",)),
])
def test_unknown_variants_and_versions_say_so(text: str, words: str, path: tuple) -> None:
    result = parse_report(text.encode())
    assert not result.valid
    [entry] = result.report.errors()
    assert words in entry.message and entry.path == path


def test_type_errors_give_their_lines() -> None:
    text = HEAD + "storage:\n  files:\n    - path: /a\n      mode: x\n      overwrite: maybe\n"
    result = parse_report(text.encode())
    errors = result.report.errors()
    assert [(e.line, e.column, e.path, e.message) for e in errors] == [
        (6, 13, ("storage", "files", 0, "mode"), "butane: cannot unmarshal !!str `x` into int"),
        (7, 18, ("storage", "files", 0, "overwrite"), "butane: cannot unmarshal !!str `maybe` into bool")]


def laughs(levels: int) -> str:
    """The billion laughs through merge keys (the one way YAML nests aliases into a struct
    Butane reads): each level merges nine of the one below into a file entry."""
    text = HEAD + "a: &a {path: /lol, mode: 0644}\n"
    prev = "a"
    for n in "bcdefghijklmnop"[:levels]:
        text += f"{n}: &{n} {{<<: [" + ", ".join([f"*{prev}"] * 9) + "]}\n"
        prev = n
    return text + f"storage:\n  files:\n    - <<: *{prev}\n"


def run_bounded(code: str, data: bytes) -> subprocess.CompletedProcess[bytes]:
    """`code` in a fresh interpreter limited to 1 GiB of address space, reading `data` on
    stdin; the timeout is a hang guard only."""
    prelude = ("import resource, sys\n"
               "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
               f"sys.path.insert(0, {str(REPO)!r})\n")
    return subprocess.run([sys.executable, "-c", prelude + code], input=data, capture_output=True, timeout=300,
                          env={**os.environ, "PYTHONHASHSEED": "0"})


def test_a_billion_laughs_used_in_a_field_is_refused_within_bounded_memory() -> None:
    done = run_bounded(
        "from ignite.config.parse import parse_report\n"
        "r = parse_report(sys.stdin.buffer.read())\n"
        "e = r.report.errors()[0]\n"
        "print(r.valid, e.line, e.column, e.message)\n", laughs(9).encode())
    assert done.returncode == 0, done.stderr
    valid, line, _column, message = done.stdout.decode().split(" ", 3)
    assert valid == "False" and "excessive aliasing" in message and int(line) >= 3


def test_a_billion_laughs_not_used_by_any_field_is_harmless_as_in_butane() -> None:
    text = (CORPUS / "yaml-billion-laughs.bu").read_bytes()
    result = parse_report(text)
    assert result.valid and {e.message for e in result.report.warnings()} >= {"butane: unused key i"}


def test_a_50_mb_yaml_file_is_refused_with_a_position() -> None:
    big = (HEAD + "storage:\n  files:\n" + "    - path: /etc/x\n      mode: 0644\n" * 1_400_000).encode()
    assert len(big) > 50_000_000
    done = run_bounded(
        "from ignite.config.parse import parse_report\n"
        "r = parse_report(sys.stdin.buffer.read())\n"
        "e = r.report.errors()[0]\n"
        "print(r.valid, e.line, e.column, e.message)\n", big)
    assert done.returncode == 0, done.stderr
    valid, line, _column, message = done.stdout.decode().split(" ", 3)
    assert valid == "False" and int(line) > 1 and "bytes" in message


def test_many_small_nodes_are_refused_before_they_are_composed() -> None:
    text = (HEAD + "x:\n" + "  - k: v\n" * 300_000).encode()
    done = run_bounded(
        "from ignite.config.parse import parse_report\n"
        "r = parse_report(sys.stdin.buffer.read())\n"
        "e = r.report.errors()[0]\n"
        "print(r.valid, e.line, e.column, e.message)\n", text)
    assert done.returncode == 0, done.stderr
    valid, line, _, message = done.stdout.decode().split(" ", 3)
    assert valid == "False" and "YAML nodes" in message and int(line) > 3


@pytest.mark.parametrize("name", ["fcos-1_5_0-kitchen", "boot-1_5_0-luks-tang-threshold", "yaml-anchors", "grub-users",
                                  "fs-mount-unit-options", "yaml-block-folded"])
def test_every_truncation_of_a_config_gets_a_verdict_not_a_traceback(name: str) -> None:
    text = (CORPUS / f"{name}.bu").read_bytes()
    for cut in range(len(text)):
        result = parse_report(text[:cut])
        assert result.valid or result.error, cut


def test_the_cli_never_shows_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.bu"
    bad.write_text(HEAD + "storage:\n  files:\n    - path: [\n")
    done = subprocess.run([sys.executable, "-m", "ignite.cli", "validate", str(bad)], capture_output=True, text=True,
                          cwd=REPO, timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"{bad}:6:" in done.stdout
