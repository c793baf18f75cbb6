#!/usr/bin/env python3
"""By hand, not in CI: check the corpus against an ignition-validate built from Ignition's
HEAD, which (unlike Debian's 2.14) knows 3.4.0, 3.5.0, 3.6.0 and 3.7.0-experimental.

    .venv/bin/python tests/conformance/check_against_head.py /path/to/ignition-validate

1. every 3.x case's written verdict is HEAD's, and wherever HEAD reports errors at JSON
   paths, ignite reports the same (path, message) pairs;
2. every valid 3.x case translated by ignite to each 3.x target is accepted by HEAD, or
   ignite reported why not.
"""
from __future__ import annotations

import json
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent))

import conformance_oracle as oracle  # noqa: E402
from conformance_corpus import CASES, LEGACY  # noqa: E402

from ignite.cli import validate_bytes  # noqa: E402
from ignite.config.translate.target import translate_bytes  # noqa: E402

ENTRY = re.compile(r"^error at (\$[^,]*)(?:, line \d+ col \d+)?: (.*)$")
TARGETS = ("3.0.0", "3.1.0", "3.2.0", "3.3.0", "3.4.0", "3.5.0", "3.6.0")


def judge_all(binary: Path, datas: list[bytes]) -> list[dict[str, object]]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda d: oracle.judge(binary, d), datas))


def check_verdicts(binary: Path) -> list[str]:
    # legacy configs: ignite accepts them on purpose, Ignition 3.x does not
    cases = [c for c in CASES if c.version != LEGACY and c.name not in ("version-2.x-is-legacy", "version-1-is-legacy")]
    wrong = []
    for case, verdict in zip(cases, judge_all(binary, [c.data for c in cases]), strict=True):
        if verdict["valid"] != case.valid:
            wrong.append(f"{case.name}: corpus {case.valid}, HEAD {verdict['valid']} ({case.rule})")
            continue
        said = {m.groups() for m in map(ENTRY.match, verdict["output"]) if m}
        if said and not case.valid:
            entries, _ = validate_bytes(case.data, case.name)
            ours = {("$" + "".join(f".{p}" for p in e["path"]), e["message"]) for e in entries if e["kind"] == "error"}
            if ours != said:
                wrong.append(f"{case.name}: HEAD reports {sorted(said)}, ignite {sorted(ours)}")
    print(f"verdicts: {len(cases)} cases, {len(wrong)} disagreements")
    return wrong


def check_translations(binary: Path) -> list[str]:
    jobs = []
    for case in CASES:
        if case.valid and case.version.startswith("3."):
            for target in TARGETS:
                out, problems = translate_bytes(case.data, case.name, target)
                jobs.append((f"{case.name} --to {target}", problems, json.dumps(out).encode()))
    unique = sorted({data for _, _, data in jobs})
    verdict = {d: v["valid"] for d, v in zip(unique, judge_all(binary, unique), strict=True)}
    silent = [f"{name}: HEAD rejects it and ignite reported nothing" for name, problems, data in jobs
              if not verdict[data] and not problems]
    print(f"translations: {len(jobs)} ({len(unique)} distinct outputs), {len(silent)} silently rejected")
    return silent


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    binary = Path(sys.argv[1])
    problems = check_verdicts(binary) + check_translations(binary)
    for p in problems:
        print("  " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
