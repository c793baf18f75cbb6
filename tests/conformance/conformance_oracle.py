"""Verdicts of Debian's ignition-validate 2.14 on the corpus, cached in a committed file
keyed by the sha256 of the bytes it judged, so the suite does not start ~1,300 processes
each run. Missing verdicts are computed when needed; to recompute them all (e.g. in CI
after changing the oracle), set IGNITE_REFRESH_ORACLE=1 or run:

    .venv/bin/python tests/conformance/conformance_oracle.py --refresh
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE_FILE = HERE / "oracle_verdicts.json"
REPO = HERE.parent.parent
ORACLE = REPO / ".cache" / "ignition" / "usr" / "bin" / "ignition-validate"


def refresh_requested() -> bool:
    return os.environ.get("IGNITE_REFRESH_ORACLE", "") not in ("", "0")


def judge(binary: Path, data: bytes) -> dict[str, object]:
    """The oracle's verdict on `data`: exit 0 = valid, 1 = invalid; anything else is a failure."""
    proc = subprocess.run([str(binary), "-"], input=data, capture_output=True, timeout=60)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{binary} exited {proc.returncode}: {proc.stderr.decode(errors='replace')}")
    out = (proc.stdout + proc.stderr).decode(errors="replace").strip().splitlines()
    # 2.14 orders some warnings by Go map iteration: sort, so a refresh gives the same file.
    return {"valid": proc.returncode == 0, "output": sorted(out)[:50]}


def load() -> dict[str, dict[str, object]]:
    if CACHE_FILE.exists():
        return json.loads(CACHE_FILE.read_text())
    return {}


def save(verdicts: dict[str, dict[str, object]]) -> None:
    tmp = CACHE_FILE.with_suffix(".tmp")
    tmp.write_text(json.dumps(dict(sorted(verdicts.items())), indent=1, sort_keys=True) + "\n")
    os.replace(tmp, CACHE_FILE)


def verdicts_for(cases, binary: Path = ORACLE, refresh: bool = False) -> dict[str, dict[str, object]]:
    """Cached verdicts for every case the oracle can judge; missing ones are computed and saved."""
    cached = {} if refresh else load()
    todo = {c.key: c.oracle_data for c in cases if c.oracle_data is not None and c.key not in cached}
    if todo:
        with ThreadPoolExecutor(max_workers=2) as pool:
            for key, verdict in zip(todo, pool.map(lambda d: judge(binary, d), todo.values()), strict=True):
                cached[key] = verdict
        wanted = {c.key for c in cases if c.oracle_data is not None}
        save({k: v for k, v in cached.items() if k in wanted})
    return cached


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    from conformance_corpus import CASES

    if not ORACLE.exists():
        sys.exit(f"{ORACLE} is missing: run `make oracle`")
    result = verdicts_for(CASES, refresh="--refresh" in sys.argv or refresh_requested())
    print(f"{len(result)} oracle verdicts in {CACHE_FILE}")
