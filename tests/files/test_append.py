"""`append` against Debian's ignition 2.14 (differential_helpers.py): appending to a new
file, to contents written by the same entry (also gzip-compressed), to an existing file
(its mode and owner kept), and 3.1's appends. Elsewhere: test_modes_owners.py (mode and
owner kept, on a fake root), test_hostile.py (a failed hash leaves the file as it was),
tests/config/test_merge.py (appends are concatenated)."""
from __future__ import annotations

from pathlib import Path

import pytest
from differential_helpers import GZ, Case, case_ids, files, plain, put, same_tree_as_ignition
from files_helpers import data

CASES = [
    Case("append-only-new",
         files({"path": "/etc/appended", "append": [{"source": plain("one\n")}, {"source": plain("two\n")}]})),
    Case("contents-and-appends",
         files({"path": "/etc/both", "mode": 0o640, "contents": {"source": plain("base\n")},
                "append": [{"source": plain("more\n")}, {"source": data(GZ), "compression": "gzip"}]})),
    Case("append-to-existing", files({"path": "/etc/motd", "append": [{"source": plain("welcome\n")}]}),
         prep=(put("/etc/motd", "old motd\n", 0o640, 1, 4),)),
    Case("spec-3.1.0",
         files({"path": "/etc/v31", "append": [{"source": plain("a\n")}, {"source": plain("b\n")}]},
               version="3.1.0")),
]


@pytest.mark.oracle
@pytest.mark.root
@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_same_tree_as_ignition(case: Case, work: Path, http_files) -> None:
    same_tree_as_ignition(case, work, http_files)
