"""`storage.directories` against Debian's ignition 2.14 (differential_helpers.py): defaults,
modes and owners by id and name, nested entries, an existing directory changed, special bits
of a 3.2 config. Replacing a file in the way: test_overwrite.py."""
from __future__ import annotations

from pathlib import Path

import pytest
from differential_helpers import Case, case_ids, files, mkdir, put, same_tree_as_ignition

CASES = [
    Case("spec-3.2.0-dir-special-bits", files(dirs=({"path": "/var/shared", "mode": 0o3775},), version="3.2.0")),
    Case("dir-default", files(dirs=({"path": "/var/lib/app"},))),
    Case("dir-mode-owner-name",
         files(dirs=({"path": "/var/lib/private", "mode": 0o700, "user": {"name": "daemon"},
                      "group": {"name": "daemon"}},))),
    Case("dirs-nested-modes",
         files(dirs=({"path": "/srv/a/b", "mode": 0o750}, {"path": "/srv/a", "mode": 0o711},
                     {"path": "/srv/a/b/c", "mode": 0o700}))),
    Case("dir-existing-mode-change", files(dirs=({"path": "/var/log", "mode": 0o750, "group": {"id": 4}},)),
         prep=(mkdir("/var/log"), put("/var/log/syslog"))),
]


@pytest.mark.oracle
@pytest.mark.root
@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_same_tree_as_ignition(case: Case, work: Path, http_files) -> None:
    same_tree_as_ignition(case, work, http_files)
