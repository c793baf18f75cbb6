"""The one runner names a long command on the console while it runs, kills one past its
timeout, and still returns output and exit code as before."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ignite.errors import CommandError
from ignite.system.run import run


def slow_tool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seconds: float, code: int = 0) -> None:
    script = tmp_path / "mkfs.ext4"
    script.write_text(f"#!{sys.executable}\nimport sys, time\nsys.stdin.read()\ntime.sleep({seconds})\n"
                      f"print('made', *sys.argv[1:])\nsys.stderr.write('warn\\n')\nsys.exit({code})\n")
    script.chmod(0o755)
    monkeypatch.setenv("IGNITE_TOOL_MKFS_EXT4", str(script))
    monkeypatch.setattr("ignite.progress.FIRST_AFTER", 0.2)
    monkeypatch.setattr("ignite.progress.PROGRESS_INTERVAL", 0.3)


def test_a_long_command_is_named_while_it_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd) -> None:
    slow_tool(tmp_path, monkeypatch, 1.0)
    done = run("mkfs.ext4", "-F", "/dev/vdb1", input="y\n")
    assert done.stdout == "made -F /dev/vdb1\n" and done.stderr == "warn\n" and done.returncode == 0
    lines = [line for line in capfd.readouterr().err.splitlines() if "still running" in line]
    assert lines and all(f"still running: {tmp_path}/mkfs.ext4 -F /dev/vdb1 (" in line for line in lines)


def test_a_quick_command_is_not_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd) -> None:
    slow_tool(tmp_path, monkeypatch, 0.0)
    run("mkfs.ext4", "/dev/vdb1")
    assert "still running" not in capfd.readouterr().err


def test_a_command_past_its_timeout_is_killed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    slow_tool(tmp_path, monkeypatch, 30.0)
    with pytest.raises(CommandError, match="timed out after 0.5 s"):
        run("mkfs.ext4", "/dev/vdb1", timeout=0.5)


def test_a_failing_command_still_raises_with_its_stderr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    slow_tool(tmp_path, monkeypatch, 0.0, code=3)
    with pytest.raises(CommandError, match="exit code 3: warn"):
        run("mkfs.ext4", "/dev/vdb1")
