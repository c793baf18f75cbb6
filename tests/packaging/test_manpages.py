"""tools/install/manpages.py renders the parser ignite.cli builds: every option of every
command is on its page, nested commands get pages, text cannot turn into roff requests."""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest
from debpkg import REPO

sys.path.insert(0, str(REPO / "tools" / "install"))
import manpages

sys.path.pop(0)


def all_parsers(name: str, parser: argparse.ArgumentParser) -> list[tuple[str, argparse.ArgumentParser]]:
    out = [(name, parser)]
    for cmd, _, sub in manpages.subcommands(parser):
        out += all_parsers(f"{name}-{cmd}", sub)
    return out


def test_every_option_of_every_command_is_on_its_page() -> None:
    from ignite.cli import build_parser

    pages = manpages.pages("9.9.9", "2026-01-01")
    for name, parser in all_parsers("ignite", build_parser()):
        page = pages[name]
        assert page.startswith(f'.TH {manpages.roff(name.upper())} 1 "2026-01-01" "ignite 9.9.9"')
        for action in parser._actions:
            if action.help == argparse.SUPPRESS or isinstance(action, argparse._SubParsersAction):
                continue
            for option in action.option_strings:
                assert f"\\fB{manpages.roff(option)}\\fR" in page, (name, option)
            if action.help:
                first_words = " ".join(str(action.help).split()[:3])
                if "%(" not in first_words:
                    assert manpages.roff(first_words) in page, (name, action.help)


def test_nested_commands_get_their_own_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    import ignite.cli as cli

    build = cli.build_parser

    def with_nested() -> argparse.ArgumentParser:
        parser = build()
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        fleet = sub.add_parser("fleet", help="a stand-in command with subcommands")
        fleet.add_subparsers(dest="what").add_parser("report", help="print the report")
        return parser

    monkeypatch.setattr(cli, "build_parser", with_nested)
    pages = manpages.pages("0", "d")
    assert {"ignite-fleet", "ignite-fleet-report"} <= set(pages)
    assert "\\fBignite\\-fleet\\-report\\fR(1)" in pages["ignite-fleet"]


def test_roff_escapes_requests_backslashes_and_hyphens() -> None:
    assert manpages.roff(".SH not a heading\n'also not") == "\\&.SH not a heading\n\\&'also not"
    assert manpages.roff("a\\b --x") == "a\\eb \\-\\-x"


def test_pages_render_without_groff_warnings(tmp_path: Path) -> None:
    if subprocess.run(["sh", "-c", "command -v groff"], capture_output=True).returncode:
        pytest.skip("needs groff")
    for name, text in manpages.pages("0", "2026-01-01").items():
        page = tmp_path / f"{name}.1"
        page.write_text(text)
        done = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", str(page)], capture_output=True, text=True)
        assert done.returncode == 0 and not done.stderr, (name, done.stderr)
