#!/usr/bin/env python3
"""By hand, not in CI: the corpus's legacy cases (v1, 2.0.0-2.4.0) against an
ignition-validate of Ignition 0.x (its spec2x branch), the last Ignition that read those
versions itself.

    .venv/bin/python tests/conformance/check_legacy_against_0x.py /path/to/ignition-validate

Verdicts only (0.x prints its errors with source excerpts). Known, deliberate differences:
2.5.0-experimental, which 0.x accepted and ignite (like Flatcar's 2.4-topped chain) rejects;
a filesystem given only by `path`, which 0.x accepted and ignite rejects (no 3.x form).
"""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import conformance_oracle as oracle  # noqa: E402
from conformance_corpus import CASES, LEGACY  # noqa: E402

KNOWN = {"v2.5-exp"} | {f"fs-path-only@{v}" for v in ("2.0.0", "2.1.0", "2.2.0", "2.3.0", "2.4.0")}


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    binary = Path(sys.argv[1])
    cases = [c for c in CASES if c.version == LEGACY or c.name in ("version-2.x-is-legacy", "version-1-is-legacy")]
    wrong = []
    for case in cases:
        said = oracle.judge(binary, case.data)["valid"]
        if said != case.valid and case.name not in KNOWN:
            wrong.append(f"{case.name}: corpus {case.valid}, 0.x {said} ({case.rule})")
    for examples in sorted((HERE.parent.parent / "examples").glob("legacy-*.ign")):
        if not oracle.judge(binary, examples.read_bytes())["valid"]:
            wrong.append(f"{examples.name}: 0.x rejects it")
    print(f"legacy: {len(cases)} cases and the legacy examples, {len(wrong)} disagreements")
    for w in wrong:
        print("  " + w)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
