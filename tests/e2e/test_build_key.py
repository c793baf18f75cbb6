"""The initramfs cache key of tools/e2e/build.sh: a change of contents or only of a file's
mode (made executable) gives another key, so a stale initramfs is never reused."""
from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "tools" / "e2e" / "build.sh"


def digest(base: Path) -> str:
    done = subprocess.run(["bash", str(BUILD), "--inputs-digest", str(base), "module", "pkg"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_key_follows_contents_and_modes(tmp_path: Path) -> None:
    (tmp_path / "module").mkdir()
    (tmp_path / "pkg").mkdir()
    hook = tmp_path / "module" / "hook.sh"
    hook.write_text("#!/bin/sh\necho hi\n")
    hook.chmod(0o644)
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    first = digest(tmp_path)
    assert len(first) == 16 and digest(tmp_path) == first
    hook.chmod(0o755)  # only the mode changes
    executable = digest(tmp_path)
    assert executable != first
    (tmp_path / "pkg" / "a.py").write_text("x = 2\n")
    edited = digest(tmp_path)
    assert edited not in (first, executable)
    (tmp_path / "pkg" / "a.pyc").write_bytes(b"bytecode is not an input")
    assert digest(tmp_path) == edited
