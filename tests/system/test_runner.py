"""The one runner (ignite/system/run.py) spawns without subprocess: what subprocess.Popen
did for ignite still holds (PATH lookup on the command's own environment, stdin from
/dev/null, large input and output, a command that stops reading, no inherited
descriptors, SIGPIPE at its default, typed errors). And the work it does while a command
runs (`meanwhile`)."""
from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pytest

from ignite.errors import CommandError, ToolMissingError
from ignite.system.run import meanwhile, run


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


# --- work done while a command runs (files_alongside) ----------------------------------------


def test_steps_run_while_a_command_runs_and_its_output_is_whole(tool) -> None:
    tool("import time\ntime.sleep(0.3)\nsys.stdout.write('o' * 200000)")
    steps: list[float] = []

    def work():
        for _ in range(20):
            steps.append(time.monotonic())
            yield

    started = time.monotonic()
    with meanwhile(work()) as during:
        done = run("sgdisk")
    ended = time.monotonic()
    assert done.stdout == "o" * 200000 and during.error is None
    assert len(steps) == 20 and all(started < t < started + 0.3 for t in steps)
    assert ended - started < 1.0  # the command's end is noticed once the steps are done


def test_a_step_s_error_is_handed_over_and_the_command_ends_as_it_would(tool, tmp_path: Path) -> None:
    tool(f"import time\ntime.sleep(0.2)\nopen({str(tmp_path / 'ended')!r}, 'w').close()")
    taken: list[int] = []

    def work():
        for i in range(5):
            if i == 2:
                raise OSError(28, "No space left on device")
            taken.append(i)
            yield

    with meanwhile(work()) as during:
        run("sgdisk")
        run("sgdisk")  # no step is left for the next command
    assert isinstance(during.error, OSError) and taken == [0, 1]
    assert (tmp_path / "ended").exists()


def test_steps_wait_for_a_command_and_never_run_in_another_thread_s(tool) -> None:
    tool("import time\ntime.sleep(0.2)")
    steps: list[str] = []

    def work():
        while True:
            steps.append("step")
            yield

    with meanwhile(work()):
        assert steps == []
        thread = threading.Thread(target=run, args=("sgdisk",))
        thread.start()
        thread.join()
    assert steps == []


def test_a_command_a_step_runs_does_not_step_again(tool) -> None:
    tool("pass")
    nested: list[str] = []

    def work():
        nested.append(run("sgdisk").stdout)  # would raise "generator already executing"
        yield

    with meanwhile(work()) as during:
        run("sgdisk")
    assert during.error is None and nested == [""]
