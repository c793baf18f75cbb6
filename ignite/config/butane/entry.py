"""Where Butane meets the rest of ignite: config parsing (every place a config is read) and
`ignite translate` of a Butane file."""
from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ignite.config.report import Entry, Report, format_path

if TYPE_CHECKING:
    from ignite.config.parse import ParseResult

PREFIX = "Butane config: "


def parse_butane(raw: bytes, source: str, parse_json: Callable[..., ParseResult]) -> ParseResult:
    """A ParseResult for a Butane config: translated at boot's terms (non-strict, no files
    directory), then parsed as the Ignition config it became. Butane's entries carry their
    YAML line and column and the Butane path; the verdict names Butane."""
    from ignite.config.butane.translate import translate
    from ignite.config.parse import ParseResult

    result = translate(_text(raw), check_output=False)
    report = Report([_named(e) for e in result.entries])
    if result.config is None or result.locate is None:
        return ParseResult(None, report, result.ignition_version, PREFIX + (result.error or "not valid"))
    # Ignition's rules on the generated config, as Butane runs them, placed in the YAML
    inner = parse_json(render(result.config).encode(), source=source)
    report.entries += [_named(result.locate(e)) for e in inner.report.entries]
    if not inner.valid:
        return ParseResult(None, report, inner.source_version, PREFIX + "config generated was invalid")
    inner.report = report
    return inner


def _named(e: Entry) -> Entry:
    """The entry, saying it comes from the Butane translation."""
    return Entry(e.kind, "butane: " + e.message, e.path, e.line, e.column)


def _text(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    return raw.decode("utf-8", "surrogateescape")


def render(config: dict[str, Any], pretty: bool = False) -> str:
    """Butane's JSON: compact (or two-space indented), with Go's escaping of <, > and &."""
    if pretty:
        text = json.dumps(config, indent=2, ensure_ascii=False)
    else:
        text = json.dumps(config, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def translate_command(data: bytes, shown: str, files_dir: str | None, strict: bool, pretty: bool,
                      output: Callable[[str], object]) -> int:
    """`ignite translate` of a Butane config, as `butane [-d DIR] [--strict] [-p]`: the
    Ignition JSON on success, every diagnostic on stderr, exit 1 on an error (or, with
    --strict, on a warning)."""
    from ignite.config.butane.translate import translate

    result = translate(_text(data), files_dir=files_dir, strict=strict)
    for e in result.entries:
        where = f"{shown}:{e.line}:{e.column or 1}: " if e.line is not None else f"{shown}: "
        print(f"{where}{e.kind}: {e.message} (at {format_path(e.path)})", file=sys.stderr)
    if result.config is None:
        print(f"ignite: {shown}: not translated: {result.error}", file=sys.stderr)
        return 1
    output(render(result.config, pretty) + "\n")
    return 0
