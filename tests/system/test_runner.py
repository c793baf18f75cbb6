"""The one runner (ignite/system/run.py) spawns without subprocess: what subprocess.Popen
did for ignite still holds (PATH lookup on the command's own environment, stdin from
/dev/null, large input and output, a command that stops reading, no inherited
descriptors, SIGPIPE at its default, typed errors)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from ignite.errors import CommandError, ToolMissingError
from ignite.system.run import run


@pytest.fixture
def tool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Makes IGNITE_TOOL_SGDISK a Python script with `body`."""

    def make(body: str) -> None:
        script = tmp_path / "tool"
        script.write_text(f"#!{sys.executable}\nimport os, sys\n{body}\n")
        script.chmod(0o755)
        monkeypatch.setenv("IGNITE_TOOL_SGDISK", str(script))

    return make


def test_large_input_and_output_pass_whole(tool) -> None:
    tool("data = sys.stdin.buffer.read()\nsys.stdout.buffer.write(data * 3)\nsys.stderr.write('e' * 300000)")
    data = os.urandom(1 << 20).hex()
    done = run("sgdisk", input=data)
    assert done.stdout == data * 3 and done.stderr == "e" * 300000 and done.returncode == 0


def test_without_input_stdin_is_dev_null_and_nothing_is_inherited(tool) -> None:
    tool("print(os.readlink('/proc/self/fd/0'))\nprint(sorted(int(f) for f in os.listdir('/proc/self/fd')))\n"
         "print([line for line in open(f'/proc/{os.getppid()}/status') if line.startswith('SigIgn')][0])")
    script = Path(os.environ["IGNITE_TOOL_SGDISK"])
    wrapper = script.with_name("wrapper")
    wrapper.write_text(f"#!/bin/sh\n{script}; exit $?\n")  # sh waits: the Python reads the shell's status
    wrapper.chmod(0o755)
    os.environ["IGNITE_TOOL_SGDISK"] = str(wrapper)
    inherited = os.open(os.devnull, os.O_RDONLY)
    os.set_inheritable(inherited, True)
    try:
        lines = run("sgdisk").stdout.splitlines()
    finally:
        os.close(inherited)
    assert lines[0] == "/dev/null"
    assert str(inherited) not in lines[1].strip("[]").split(", ")
    # What the command starts with (its parent here, a shell, as spawned: Python ignores
    # SIGPIPE itself at start-up): SIGPIPE (13) and SIGXFSZ (25) not ignored, as this process does.
    ignored = int(lines[2].split()[1], 16)
    assert not ignored & (1 << 12 | 1 << 24)


def test_a_command_that_stops_reading_its_input_is_no_error(tool) -> None:
    tool("sys.stdin.buffer.read(10)\nprint('read')")
    assert run("sgdisk", input=b"x" * (4 << 20)).stdout == "read\n"


def test_failure_and_signal_are_typed_with_argv_and_stderr(tool) -> None:
    tool("sys.stderr.write('bad thing\\n')\nsys.exit(int(sys.argv[1]))")
    with pytest.raises(CommandError, match=r"exit code 4: bad thing") as failed:
        run("sgdisk", "4")
    assert failed.value.returncode == 4 and failed.value.argv[1:] == ["4"]
    assert run("sgdisk", "5", check=False).returncode == 5
    tool("import signal\nos.kill(os.getpid(), signal.SIGTERM)")
    with pytest.raises(CommandError, match="killed by SIGTERM"):
        run("sgdisk")


def test_the_path_searched_is_the_command_environment_s(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sgdisk").write_text("#!/bin/sh\necho from-bin \"$@\"\n")
    (bin_dir / "sgdisk").chmod(0o755)
    monkeypatch.delenv("IGNITE_TOOL_SGDISK", raising=False)
    assert run("sgdisk", "-p", env={"PATH": str(bin_dir)}).stdout == "from-bin -p\n"
    with pytest.raises(ToolMissingError):
        run("sgdisk", env={"PATH": str(tmp_path / "nowhere")})


def test_a_missing_absolute_tool_is_tool_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("IGNITE_TOOL_SGDISK", str(tmp_path / "absent"))
    with pytest.raises(ToolMissingError):
        run("sgdisk")
    fds = set(os.listdir("/proc/self/fd"))
    with pytest.raises(ToolMissingError):
        run("sgdisk", input="x")
    assert set(os.listdir("/proc/self/fd")) == fds  # no pipe left open
