"""`ignite validate` against Debian's ignition-validate 2.14 and the spec, on the corpus.

- Cases 2.14 can judge (3.0.0-3.3.0; 3.4.0 spelled 3.4.0-experimental): ignite's verdict
  must equal the oracle's, except the cases listed with `differs` (HEAD semantics), where
  it must equal the spec's.
- The rest (3.5.0, 3.6.0, 3.7.0-experimental, legacy): ignite's verdict must equal the
  verdict written next to the case, with the rule it tests.
- The corpus itself is checked against the oracle, so a wrong expectation in it shows.

Oracle verdicts come from oracle_verdicts.json (see conformance_oracle.py: IGNITE_REFRESH_ORACLE=1
recomputes them all; missing ones are computed on the fly).
"""
from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import conformance_oracle as oracle  # noqa: E402
from conformance_corpus import CASES, LEGACY, ORACLE_VERSIONS, VERSIONS, Case  # noqa: E402

pytestmark = pytest.mark.oracle


@pytest.fixture(scope="session")
def oracle_verdicts() -> dict[str, dict[str, object]]:
    cached = {} if oracle.refresh_requested() else oracle.load()
    missing = [c for c in CASES if c.oracle_data is not None and c.key not in cached]
    if missing or oracle.refresh_requested():
        if not oracle.ORACLE.exists():
            pytest.skip(
                f"{len(missing)} oracle verdicts are not cached and {oracle.ORACLE} is missing (run `make oracle`)"
            )
        return oracle.verdicts_for(CASES, refresh=oracle.refresh_requested())
    return cached


@pytest.fixture(scope="session")
def ignite_validate():
    from ignite.cli import validate_bytes

    return validate_bytes


def test_corpus_is_large_and_covers_every_version_section_and_verdict():
    assert len(CASES) >= 300
    by_version = Counter(c.version for c in CASES)
    for v in (*VERSIONS, LEGACY):
        assert by_version[v] >= 20, v
        assert any(c.valid for c in CASES if c.version == v) and any(not c.valid for c in CASES if c.version == v), v
    text = b"\n".join(c.data for c in CASES)
    for section in (b'"merge"', b'"replace"', b'"proxy"', b'"certificateAuthorities"', b'"timeouts"',
                    b'"files"', b'"directories"', b'"links"', b'"disks"', b'"partitions"', b'"raid"',
                    b'"filesystems"', b'"luks"', b'"clevis"', b'"cex"', b'"units"', b'"dropins"',
                    b'"users"', b'"groups"', b'"kernelArguments"', b'"httpHeaders"', b'"verification"'):
        assert section in text, section
    assert len({c.name for c in CASES}) == len(CASES)
    # each case says its rule in words; no numbering of a document outside this repository
    assert all(c.rule and "§" not in c.rule for c in CASES)


def test_corpus_expectations_agree_with_the_oracle(oracle_verdicts):
    """Where 2.14 can judge, the spec verdict written in the corpus is 2.14's, except the
    listed deliberate differences, where 2.14 must really disagree (else the entry is stale)."""
    wrong = []
    for c in CASES:
        if c.oracle_data is None:
            continue
        said = oracle_verdicts[c.key]["valid"]
        if c.differs and said == c.valid:
            wrong.append(f"{c.name}: listed as a difference, but 2.14 agrees ({c.differs})")
        elif not c.differs and said != c.valid:
            wrong.append(f"{c.name}: corpus says {'valid' if c.valid else 'invalid'}, 2.14 says "
                         f"{'valid' if said else 'invalid'}: {oracle_verdicts[c.key]['output'][:2]} ({c.rule})")
    assert not wrong, "\n".join(wrong)


def test_oracle_judges_the_3_4_cases_as_3_4_0_experimental():
    c = next(c for c in CASES if c.version == "3.4.0")
    assert json.loads(c.oracle_data)["ignition"]["version"] == "3.4.0-experimental"
    assert json.loads(c.data)["ignition"]["version"] == "3.4.0"
    assert sum(c.oracle_data is not None for c in CASES) >= 300
    assert {c.version for c in CASES if c.oracle_data is not None} >= set(ORACLE_VERSIONS)


def _expected(case: Case, verdicts: dict[str, dict[str, object]]) -> tuple[bool, str]:
    if case.oracle_data is not None and not case.differs:
        return bool(verdicts[case.key]["valid"]), "ignition-validate 2.14"
    why = f"spec: {case.rule}" + (f"; differs from 2.14 on purpose: {case.differs}" if case.differs else "")
    return case.valid, why


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_ignite_gives_the_reference_verdict(case: Case, oracle_verdicts, ignite_validate):
    expected, authority = _expected(case, oracle_verdicts)
    entries, valid = ignite_validate(case.data, case.name)
    errors = [f"{e['message']} at {e['path']}" for e in entries if e["kind"] == "error"]
    assert valid == expected, (
        f"{case.name}: ignite says {'valid' if valid else 'invalid'}, {authority} says "
        f"{'valid' if expected else 'invalid'}; rule: {case.rule}; ignite errors: {errors}")
    assert valid == (not errors), "an invalid verdict must come with at least one error entry, and only then"


_ORACLE_ENTRY = re.compile(r"^error at (\$[^,]*)(?:, line \d+ col \d+)?: (.*)$")
_CACHED = oracle.load()


def _reports_paths(case: Case) -> bool:
    """Whether 2.14 reported errors at JSON paths (not JSON syntax/type errors or an
    unparseable version); a case not judged yet is included and judged when the test runs."""
    verdict = _CACHED.get(case.key)
    return verdict is None or any(_ORACLE_ENTRY.match(line) for line in verdict["output"])


_REPORTED = [c for c in CASES if c.oracle_data is not None and not c.differs and not c.valid and _reports_paths(c)]


@pytest.mark.parametrize("case", _REPORTED, ids=[c.name for c in _REPORTED])
def test_ignite_reports_the_same_errors_as_the_oracle(case: Case, oracle_verdicts, ignite_validate):
    """Not only the verdict: where 2.14 reports errors at JSON paths, ignite reports the same
    errors (path and message) — no more, no fewer. Positions are not compared: 2.14 places
    them by its own conventions (one column into an object; for a case-folded key, at the
    parent, as its lookup is case-sensitive)."""
    said = {m.groups() for m in map(_ORACLE_ENTRY.match, oracle_verdicts[case.key]["output"]) if m}
    entries, _ = ignite_validate(case.data, case.name)
    ours = {("$" + "".join(f".{p}" for p in e["path"]), e["message"]) for e in entries if e["kind"] == "error"}
    assert ours == said, f"{case.name} ({case.rule})"

