"""Random files, directories and links (modes, owners, overwrite, appends, hard and soft
links, targets inside and outside the config) over random nodes already in the root,
applied by Debian's Ignition 2.14 and by ignite to two copies of the root: both fail, or
both succeed with the same tree. Every run of ignite is planned first, and the plan must
fail as the stage does (tests/plan_check.py via run_ignite).

At most one symlink is planted per root: a link whose target is itself a link is where
ignite means to differ (it follows the chain inside the root, as root.py says; 2.14
follows one level and lets the kernel follow the rest, which can leave the root)."""
from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from differential_helpers import require_oracle
from files_helpers import diff_manifests, make_root, manifest, run_ignite, run_oracle

from ignite.config.validate import validate
from ignite.errors import IgniteError

PATHS = ["/etc/a", "/etc/a/b", "/etc/d", "/etc/d/x", "/etc/l", "/etc/l/y", "/opt/f", "/opt", "/var/z", "/etc/d/x/y"]
TARGETS = ["/etc/a", "/etc/d", "../a", "/nonexistent", "x", "/opt/f", "/etc/d/x"]
MODES = [None, 0o644, 0o600, 0o755, 0o1777, 0o2750, 0o444, 0o700]
OWNERS = [{"id": 0}, {"name": "root"}, {"id": 1000}]


def node(rng: random.Random, kind: str, path: str) -> dict[str, Any]:
    n: dict[str, Any] = {"path": path}
    if rng.random() < 0.4:
        n["overwrite"] = rng.choice([True, False])
    if rng.random() < 0.3:
        n["user"] = rng.choice(OWNERS)
    if rng.random() < 0.3:
        n["group"] = rng.choice(OWNERS)
    if kind == "link":
        n["target"] = rng.choice(TARGETS)
        if rng.random() < 0.3:
            n["hard"] = rng.choice([True, False])
        return n
    mode = rng.choice(MODES)
    if mode is not None:
        n["mode"] = mode
    if kind == "file":
        if rng.random() < 0.6:
            n["contents"] = {"source": "data:," + quote(rng.choice(["hello\n", "", "x" * 50]))}
        if rng.random() < 0.25:
            n["append"] = [{"source": "data:,more%0A"}]
    return n


def random_config(rng: random.Random) -> dict[str, Any]:
    paths = rng.sample(PATHS, len(PATHS))
    storage: dict[str, Any] = {}
    for section, kind in (("files", "file"), ("directories", "directory"), ("links", "link")):
        if rng.random() < 0.8:
            storage[section] = [node(rng, kind, paths.pop()) for _ in range(rng.randint(1, 3))]
    return {"ignition": {"version": "3.3.0"}, "storage": storage}


def plant(rng: random.Random, root: Path) -> None:
    """Nodes already in the root: files and directories, and at most one symlink."""
    linked = False
    for _ in range(rng.randint(0, 3)):
        path = root / rng.choice(PATHS).lstrip("/")
        kind = rng.choice(["file", "directory", "link"])
        if kind == "link" and linked:
            kind = "file"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if kind == "file":
                path.write_text("old\n")
            elif kind == "directory":
                path.mkdir(exist_ok=True)
            else:
                os.symlink(rng.choice(TARGETS), path)
                linked = True
        except OSError:
            continue  # a file already where a parent should be: that root stays as it is


def differences(seed: int, work: Path) -> str | None:
    rng = random.Random(seed)
    config = random_config(rng)
    if validate(config, "3.3.0").is_fatal:
        return None  # what validation refuses is compared by tests/config
    theirs, ours = make_root(work / "theirs"), make_root(work / "ours")
    for root in (theirs, ours):
        plant(random.Random(seed * 7 + 1), root)
    done = run_oracle(config, theirs, work / "oracle")
    try:
        run_ignite(config, ours, work / "ignite")
        failed: IgniteError | None = None
    except IgniteError as exc:
        failed = exc
    if (done.returncode != 0) != (failed is not None):
        return f"seed {seed}: 2.14 exit {done.returncode}, ignite {failed!r}; config {config}"
    if failed is not None:
        return None

    def own(rel: str) -> bool:
        return rel == "/etc/ignite" or rel.startswith("/etc/ignite/")

    a, b = manifest(ours, own), manifest(theirs, own)
    for m in (a, b):
        m.pop("/etc/.ignition-result.json", None)  # a date and the boot id
    problems = diff_manifests(a, b)
    return f"seed {seed}: config {config}\n" + "\n".join(problems[:6]) if problems else None


@pytest.mark.oracle
@pytest.mark.parametrize("first", range(0, 200, 50))
def test_random_trees_match_ignition(first: int, work: Path) -> None:
    require_oracle()
    found = []
    for seed in range(first, first + 50):
        case = work / str(seed)
        case.mkdir()
        found += [d for d in [differences(seed, case)] if d]
    assert not found, "\n".join(found)
