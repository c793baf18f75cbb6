"""tests/README.md's table of features stays true: every test file it names exists."""
from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_every_file_the_feature_table_names_exists() -> None:
    rows = [line for line in (TESTS / "README.md").read_text().splitlines() if line.startswith("| ")]
    named = [name for row in rows[1:] for name in re.findall(r"`([\w/]+\.py)`", row.split("|")[2])]
    assert len(rows) > 30 and len(named) > len(rows), "the table lost its rows"
    missing = sorted({name for name in named if not (TESTS / name).is_file()})
    assert not missing, f"tests/README.md names files that do not exist: {missing}"
