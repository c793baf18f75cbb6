"""`storage.links` against Debian's ignition 2.14 (differential_helpers.py): symbolic links
(absolute, relative, owners, an existing link with the same or another target) and hard
links (to a deeper file, a target relative to the root), made through a linked directory.
Links that try to leave the root: test_hostile.py and test_root.py; their order:
test_order.py; replacing a file: test_overwrite.py."""
from __future__ import annotations

from pathlib import Path

import pytest
from differential_helpers import Case, case_ids, files, mkdir, plain, same_tree_as_ignition, symlink

CASES = [
    Case("symlink-absolute", files(links=({"path": "/etc/localtime", "target": "/usr/share/zoneinfo/UTC"},))),
    Case("symlink-relative-owner-from-target", files(
        {"path": "/srv/data/owned", "user": {"name": "daemon"}, "group": {"name": "daemon"},
         "contents": {"source": plain("d")}},
        links=({"path": "/srv/data/alias", "target": "owned"},))),
    Case("symlink-explicit-owner",
         files(links=({"path": "/home/l", "target": "/nowhere", "user": {"id": 2}, "group": {"id": 2}},))),
    Case("symlink-existing-same-target", files(links=({"path": "/etc/same", "target": "/x/y"},)),
         prep=(symlink("/etc/same", "/x/y/"),)),
    Case("symlink-existing-other-target-fails", files(links=({"path": "/etc/same", "target": "/x/y"},)),
         prep=(symlink("/etc/same", "/x/z"),), fails=True),
    Case("hardlink-to-deeper-file",
         files({"path": "/a/b/c/target", "mode": 0o600, "contents": {"source": plain("linked")}},
               links=({"path": "/hard", "hard": True, "target": "/a/b/c/target"},))),
    Case("hardlink-relative-target-from-root",
         files({"path": "/etc/orig", "contents": {"source": plain("o")}},
               links=({"path": "/usr/lib/hl", "hard": True, "target": "etc/orig"},))),
    Case("link-through-symlinked-dir", files(links=({"path": "/etc/alt/link", "target": "/etc/hostname"},)),
         prep=(mkdir("/real/dir"), symlink("/etc/alt", "/real/dir"))),
]


@pytest.mark.oracle
@pytest.mark.root
@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_same_tree_as_ignition(case: Case, work: Path, http_files) -> None:
    same_tree_as_ignition(case, work, http_files)
