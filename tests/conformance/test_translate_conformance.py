"""`ignite translate --to VERSION` against ignition-validate 2.14, over the corpus.

Every 3.0.0-3.3.0 corpus config that 2.14 accepts is translated to 3.0.0 and to 3.3.0.
The promise of `ignite translate`: either the output is accepted by Ignition of the target
version, or every reason it would not be is reported (and the exit code is then 1).

2.14's verdicts on the translated outputs are cached in translate_verdicts.json keyed by
the sha256 of the output, so only outputs that changed are judged again.
"""
from __future__ import annotations

import hashlib
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import conformance_oracle as oracle  # noqa: E402
from conformance_corpus import CASES  # noqa: E402

pytestmark = pytest.mark.oracle

CACHE = HERE / "translate_verdicts.json"
TARGETS = ("3.0.0", "3.3.0")
SOURCES = [c for c in CASES if c.version in ("3.0.0", "3.1.0", "3.2.0", "3.3.0") and c.valid and not c.differs]


def _judged(outputs: dict[str, bytes]) -> dict[str, bool]:
    cached: dict[str, bool] = {} if oracle.refresh_requested() or not CACHE.exists() else json.loads(CACHE.read_text())
    todo = {k: v for k, v in outputs.items() if k not in cached}
    if todo:
        if not oracle.ORACLE.exists():
            pytest.skip(f"{len(todo)} translated outputs are not judged yet and {oracle.ORACLE} is missing")
        with ThreadPoolExecutor(max_workers=2) as pool:
            for key, verdict in zip(
                todo, pool.map(lambda d: oracle.judge(oracle.ORACLE, d), todo.values()), strict=True
            ):
                cached[key] = bool(verdict["valid"])
        kept = {k: cached[k] for k in sorted(outputs)}
        CACHE.write_text(json.dumps(kept, indent=0, sort_keys=True) + "\n")
    return cached


def test_translated_corpus_is_accepted_by_the_target_or_the_loss_is_reported():
    from ignite.config.translate.target import translate_bytes

    results = []
    for case in SOURCES:
        for target in TARGETS:
            out, problems = translate_bytes(case.data, case.name, target)
            assert out["ignition"]["version"] == target
            data = json.dumps(out).encode()
            results.append((case, target, problems, hashlib.sha256(data).hexdigest(), data))
    assert len(results) >= 600
    verdicts = _judged({key: data for _, _, _, key, data in results})
    silent_rejections = [f"{case.name} --to {target}" for case, target, problems, key, _ in results
                         if not verdicts[key] and not problems]
    assert not silent_rejections, "2.14 rejects these translations, and ignite reported nothing:\n" + "\n".join(
        silent_rejections
    )
    # The reports are not cried wolf either: most translations between these versions lose nothing.
    lossless_and_accepted = sum(1 for _, _, problems, key, _ in results if not problems and verdicts[key])
    assert lossless_and_accepted >= 0.9 * len(results)

