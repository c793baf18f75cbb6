"""The systemd unit-file syntax check (go-systemd's unit.DeserializeOptions) and its texts."""
from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from v3_validate_helpers import ORACLE, oracle, ours

from ignite.config.unitfile import UnitOption, deserialize_options, go_quote, has_install_section, parse_unit_contents
from ignite.errors import ConfigError


def test_options_in_order_with_sections() -> None:
    opts = deserialize_options("[Unit]\nDescription=hello world \n\n[Service]\nExecStart=/bin/a\nExecStart=/bin/b\n")
    assert opts == [UnitOption("Unit", "Description", "hello world"),
                    UnitOption("Service", "ExecStart", "/bin/a"), UnitOption("Service", "ExecStart", "/bin/b")]


def test_continuation_lines_keep_newlines() -> None:
    assert deserialize_options("[S]\nA=one \\\n  two\n") == [UnitOption("S", "A", "one \\\n  two")]


def test_comments_and_text_before_first_section_are_skipped() -> None:
    assert deserialize_options("junk = here\n# c\n; c\n[S]\n# x\nA=b") == [UnitOption("S", "A", "b")]


def test_crlf_lines() -> None:
    assert deserialize_options("[S]\r\nA=b\r\n") == [UnitOption("S", "A", "b")]


def test_empty_value_and_spaces_around_name() -> None:
    assert deserialize_options("[S]\n  Key  =  \n") == [UnitOption("S", "Key", "")]


@pytest.mark.parametrize("text, message", [
    ("[S]\nfoo\n", "unexpected newline encountered while parsing option name"),
    ("[S]\nfoo", "EOF"),
    ("[S", "unable to find end of section"),
    ("[S] x y\n", 'found garbage after section name : "x y"'),
    ("[S]\tz\n", 'found garbage after section name : "z"'),
    ("[S]\nA=" + "x" * 2100, "line too long (max 2048 bytes)"),
])
def test_errors_carry_go_systemd_texts(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        deserialize_options(text)
    assert err.value.message == message


def test_line_of_exactly_2047_bytes_is_fine() -> None:
    assert deserialize_options("[S]\nA=" + "x" * 2045 + "\n")[0].value == "x" * 2045


def test_parse_unit_contents_prefixes_errors_and_accepts_none() -> None:
    assert parse_unit_contents(None) == []
    with pytest.raises(ConfigError, match="^invalid unit content: EOF$"):
        parse_unit_contents("[S]\nx")


def test_install_section_needs_an_option() -> None:
    assert has_install_section(deserialize_options("[Install]\nWantedBy=a\n"))
    assert not has_install_section(deserialize_options("[Install]\n"))


def test_go_quote() -> None:
    assert go_quote('a"b\\c\n\x01é') == '"a\\"b\\\\c\\n\\x01é"'
    assert go_quote(b"\xff") == '"\\xff"'


def _random_units(count: int) -> list[str]:
    rng = random.Random(85308)
    pieces = ["[", "]", "Unit", "Install", "=", "\n", "\r\n", " ", "\t", "#", ";", "\\", "A", "b=c", "x", "[Service]\n",
              "Key=Value\n", "\\\n", "é"]
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))) for _ in range(count)]


@pytest.mark.oracle
@pytest.mark.skipif(not ORACLE.exists(), reason="Debian's ignition-validate is not unpacked (run `make oracle`)")
def test_random_unit_contents_judged_like_ignition_validate() -> None:
    contents = _random_units(500) + ["[A]\n" + "k=" + "v" * 2046, "[A]\n" + "k=" + "v" * 2046 + "\n"]
    cfg = {
        "ignition": {"version": "3.3.0"},
        "systemd": {
            "units": [{"name": f"u{i}.service", "contents": c, "enabled": True} for i, c in enumerate(contents)]
        },
    }
    _, theirs = oracle(cfg)
    mine = ours(cfg)
    assert sorted(e for e in mine if e[0] == "error") == sorted(e for e in theirs if e[0] == "error")
    assert sum(1 for e in mine if e[0] == "error") > 50  # the sample does exercise the errors
    # the [Install] warning agrees too
    assert sorted(e for e in mine if e[0] == "warning") == sorted(e for e in theirs if e[0] == "warning")
