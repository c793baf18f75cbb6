"""Shared by the 3.x validator and translator tests: run our validator and Debian's
ignition-validate 2.14 on the same config and compare."""
from __future__ import annotations

import json
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ignite.config.report import format_path
from ignite.config.validate import validate

REPO = Path(__file__).resolve().parents[2]
ORACLE = REPO / ".cache" / "ignition" / "usr" / "bin" / "ignition-validate"
ORACLE_VERSIONS = ("3.0.0", "3.1.0", "3.2.0", "3.3.0")
_LINE = re.compile(r"^(error|warning|info) at (\$[^,:]*)(?:, line \d+ col \d+)?: (.*)$")

Entry = tuple[str, str, str]


def ours(cfg: dict[str, Any], version: str | None = None) -> list[Entry]:
    version = version or cfg["ignition"]["version"]
    return [(e.kind, format_path(e.path), e.message) for e in validate(cfg, version).entries]


def oracle(cfg: dict[str, Any] | str) -> tuple[bool, list[Entry]]:
    """(valid, entries) from ignition-validate; unused-key warnings are dropped."""
    text = cfg if isinstance(cfg, str) else json.dumps(cfg)
    with tempfile.NamedTemporaryFile("w", suffix=".ign") as f:
        f.write(text)
        f.flush()
        proc = subprocess.run([str(ORACLE), f.name], capture_output=True, text=True, timeout=30)
    entries = []
    for line in proc.stdout.splitlines():
        m = _LINE.match(line)
        if m and not m.group(3).lower().startswith("unused key"):
            entries.append((m.group(1), m.group(2), m.group(3)))
    return proc.returncode == 0, entries


@dataclass
class Case:
    """One rule, one side. `oracle`: "same" = 2.14 gives the same error entries in the
    same order; "verdict" = only the valid/invalid verdict agrees; any other string is
    why 2.14 and HEAD differ (HEAD wins, nothing compared)."""

    id: str
    version: str
    sections: dict[str, Any]
    expected: list[Entry] = field(default_factory=list)
    oracle: str = "same"

    @property
    def cfg(self) -> dict[str, Any]:
        return {"ignition": {"version": self.version}, **self.sections}


def E(path: str, message: str) -> Entry:
    return ("error", path, message)


def W(path: str, message: str) -> Entry:
    return ("warning", path, message)


def check_case(case: Case) -> None:
    assert ours(case.cfg) == case.expected


def check_oracle(case: Case) -> None:
    valid, entries = oracle(case.cfg)
    mine = ours(case.cfg)
    if case.oracle not in ("same", "verdict"):
        return
    assert valid == (not any(k == "error" for k, _, _ in mine)), (entries, mine)
    if case.oracle == "same":
        assert [e for e in entries if e[0] == "error"] == [e for e in mine if e[0] == "error"]


def oracle_cases(cases: list[Case]) -> list[Case]:
    return [c for c in cases if c.version in ORACLE_VERSIONS and c.oracle in ("same", "verdict")]


def rule_tests(cases: list[Case]) -> tuple[Any, Any]:
    """The two tests every rule table gets: ignite's entries are the table's, and where
    Debian's ignition-validate 2.14 judges the version, its verdict (and errors) agree.
    A test module binds them: `test_rule, test_rule_agrees_with_ignition_validate = rule_tests(CASES)`."""

    def ids(case: Case) -> str:
        return f"{case.id}@{case.version}"

    @pytest.mark.parametrize("case", cases, ids=ids)
    def test_rule(case: Case) -> None:
        check_case(case)

    @pytest.mark.oracle
    @pytest.mark.skipif(not ORACLE.exists(), reason="Debian's ignition-validate is not unpacked (run `make oracle`)")
    @pytest.mark.parametrize("case", oracle_cases(cases), ids=ids)
    def test_rule_agrees_with_ignition_validate(case: Case) -> None:
        check_oracle(case)

    return test_rule, test_rule_agrees_with_ignition_validate
