"""Errors say what failed and where, on one line."""
import signal
import sys

import pytest

from ignite.errors import CommandError, DeviceError, NodeError, format_path, redact_url
from ignite.system import run as runner


def test_command_error_keeps_the_cause_not_only_the_last_hint():
    err = CommandError(
        ["mount", "/dev/loop0p1", "/sysroot/var"],
        32,
        "mount: /sysroot/var: wrong fs type, bad option, bad superblock on /dev/loop0p1.\n"
        "       dmesg(1) may have more information after failed mount system call.\n",
    )
    text = str(err)
    assert "wrong fs type" in text and "dmesg(1)" in text
    assert "exit code 32" in text and "(command: mount /dev/loop0p1 /sysroot/var)" in text
    assert "\n" not in text


def test_command_error_without_output_and_long_output():
    assert "no error output" in str(CommandError(["true"], 1, "  \n"))
    long = str(CommandError(["x"], 1, "e" * 2000))
    assert len(long) < 500 and "..." in long


def test_credentials_are_stripped_from_urls():
    assert redact_url("https://user:secret@example.com/c.ign") == "https://***@example.com/c.ign"
    assert redact_url("https://example.com/c.ign") == "https://example.com/c.ign"


def test_command_error_quotes_its_argv_as_a_shell_would_need_it():
    text = str(CommandError(["sgdisk", "--change-name=1:my data", "/dev/loop0"], 4, "boom"))
    assert "(command: sgdisk '--change-name=1:my data' /dev/loop0)" in text


def test_a_killed_tool_is_named_with_its_signal(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real process killed by a real signal, through the one runner."""
    monkeypatch.setenv("IGNITE_TOOL_SGDISK", sys.executable)
    with pytest.raises(CommandError) as exc:
        runner.run("sgdisk", "-c", "import os, signal; os.kill(os.getpid(), signal.SIGTERM)")
    assert exc.value.returncode == -signal.SIGTERM
    assert "was killed by SIGTERM" in str(exc.value) and "exit code" not in str(exc.value)


def test_a_timed_out_tool_says_so_and_names_the_kill(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IGNITE_TOOL_SGDISK", sys.executable)
    with pytest.raises(CommandError) as exc:
        runner.run("sgdisk", "-c", "import time; time.sleep(60)", timeout=0.5)
    assert "was killed by SIGKILL: timed out after 0.5 s" in str(exc.value)


def test_device_and_node_errors_share_one_json_path_notation() -> None:
    device = DeviceError("/dev/vdb", "partition 1 didn't match", ("storage", "disks", 0, "partitions", 1))
    node = NodeError("/etc/motd", "cannot write", "$.storage.files.0")
    legacy_spelling = DeviceError("/dev/vdb", "busy", "storage.disks.0")
    assert str(device) == "/dev/vdb: partition 1 didn't match (at $.storage.disks.0.partitions.1)"
    assert str(node) == "/etc/motd: cannot write (at $.storage.files.0)"
    assert legacy_spelling.json_path == node.json_path.replace("files", "disks") == "$.storage.disks.0"
    assert format_path(()) == "$" and DeviceError("/dev/x", "gone").json_path == ""
