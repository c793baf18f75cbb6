"""Writes man pages for `ignite` and each of its commands, rendered from the argparse
parser that `ignite.cli.build_parser()` builds, so that the pages say what `--help` says
and cannot drift from it:

    python3 tools/install/manpages.py OUTDIR      -> OUTDIR/ignite.1, OUTDIR/ignite-CMD.1 ...

The date on the pages is SOURCE_DATE_EPOCH's (reproducible builds) or today's.
"""
from __future__ import annotations

import argparse
import os
import sys
import textwrap
import time
from pathlib import Path

SECTION = "1"
MANUAL = "ignite manual"


def roff(text: str) -> str:
    """Plain text as roff: backslashes and hyphens escaped, no line starting a request."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join("\\&" + line if line.startswith((".", "'")) else line for line in text.splitlines())


def subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, str, argparse.ArgumentParser]]:
    """(name, one-line help, parser) of each command, in the order --help lists them."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            return [(name, helps.get(name, ""), sub) for name, sub in action.choices.items()]
    return []


def _expanded_help(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    return parser._get_formatter()._expand_help(action) if action.help else ""


def _invocation(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    formatter = parser._get_formatter()
    if not action.option_strings:
        return "\\fI" + roff(formatter._metavar_formatter(action, action.dest)(1)[0]) + "\\fR"
    value = ""
    if action.nargs != 0:
        value = " \\fI" + roff(formatter._format_args(action, action.dest.upper())) + "\\fR"
    return ", ".join(f"\\fB{roff(opt)}\\fR{value}" for opt in action.option_strings)


def _options(parser: argparse.ArgumentParser) -> list[str]:
    positional, optional = [], []
    for action in parser._actions:
        if action.help == argparse.SUPPRESS or isinstance(action, argparse._SubParsersAction):
            continue
        entry = [".TP", _invocation(parser, action), roff(_expanded_help(parser, action))]
        (optional if action.option_strings else positional).append("\n".join(entry))
    out = []
    if positional:
        out += [".SH ARGUMENTS", *positional]
    if optional:
        out += [".SH OPTIONS", *optional]
    return out


def _usage(parser: argparse.ArgumentParser) -> str:
    # As --help prints it, wrapped at 80 columns (main() sets COLUMNS), indentation kept.
    usage = parser.format_usage().removeprefix("usage: ").rstrip()
    return ".nf\n" + roff(textwrap.dedent(usage)) + "\n.fi"


def render(name: str, summary: str, parser: argparse.ArgumentParser, version: str, date: str,
           commands: list[tuple[str, str, argparse.ArgumentParser]], see_also: list[str]) -> str:
    lines = [
        f'.TH {roff(name.upper())} {SECTION} "{date}" "ignite {roff(version)}" "{MANUAL}"',
        ".SH NAME",
        f"{roff(name)} \\- {roff(summary)}",
        ".SH SYNOPSIS",
        _usage(parser),
        ".SH DESCRIPTION",
        roff(parser.description or summary),
    ]
    if commands:
        lines.append(".SH COMMANDS")
        for cmd, helptext, _ in commands:
            sentence = helptext if helptext.endswith(".") else helptext + "."
            lines += [".TP", f"\\fB{roff(cmd)}\\fR",
                      roff(sentence) + f" See \\fB{roff(name)}\\-{roff(cmd)}\\fR({SECTION})."]
    lines += _options(parser)
    if parser.epilog:
        lines += [".SH NOTES", roff(parser.epilog)]
    lines += [".SH SEE ALSO", ",\n".join(f"\\fB{roff(page)}\\fR({SECTION})" for page in see_also)]
    return "\n".join(lines) + "\n"


def pages(version: str, date: str) -> dict[str, str]:
    """ignite, and ignite-CMD for each command (ignite-CMD-SUB for nested ones)."""
    from ignite.cli import build_parser

    out: dict[str, str] = {}

    def add(name: str, summary: str, parser: argparse.ArgumentParser, parent: str | None) -> None:
        commands = subcommands(parser)
        children = [f"{name}-{cmd}" for cmd, _, _ in commands]
        out[name] = render(name, summary, parser, version, date, commands,
                           ([parent] if parent else []) + children)
        for (_, helptext, sub), child in zip(commands, children, strict=True):
            add(child, helptext, sub, name)

    parser = build_parser()
    add("ignite", parser.description or "ignite", parser, None)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir", type=Path)
    args = ap.parse_args()
    os.environ["COLUMNS"] = "80"  # argparse wraps the usage line to the terminal's width
    from ignite import __version__

    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", time.time()))
    date = time.strftime("%Y-%m-%d", time.gmtime(epoch))
    args.outdir.mkdir(parents=True, exist_ok=True)
    for name, text in pages(__version__, date).items():
        path = args.outdir / f"{name}.{SECTION}"
        path.write_text(text)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
