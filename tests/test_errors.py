"""Errors say what failed and where, on one line."""
from ignite.errors import CommandError, redact_url


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
