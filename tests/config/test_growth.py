"""Validation work grows linearly with the input. No timings: report positions are counted
(one line index per document, never a scan per entry), and every kind of growing input
runs at 50,000 entries under a generous hang guard (seconds when linear; the quadratic
versions took many minutes)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from growth_inputs import KINDS, duplicate_keys, type_errors

from ignite.config import jsonpos
from ignite.config.parse import parse_report

REPO = Path(__file__).resolve().parents[2]
HANG_GUARD_S = 240


def _naive_line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


@pytest.mark.parametrize("make", [duplicate_keys, type_errors])
def test_positions_come_from_one_line_index(make, monkeypatch):
    scans = []
    built = []
    real_line_col, real_index = jsonpos._line_col, jsonpos.LineIndex

    def counting_line_col(text, offset):
        scans.append(offset)
        return real_line_col(text, offset)

    class CountingIndex(real_index):
        def __init__(self, text):
            built.append(len(text))
            super().__init__(text)

    monkeypatch.setattr(jsonpos, "_line_col", counting_line_col)
    monkeypatch.setattr(jsonpos, "LineIndex", CountingIndex)
    data = make(3000).replace(b",", b",\n")  # many lines, so positions mean something
    result = parse_report(data)
    entries = result.report.entries
    assert len(entries) >= 2999
    assert scans == []  # no entry scanned the text for its line
    assert len(built) == 1  # one index for the whole report
    text = data.decode()
    # the positions are the right ones: spot-check against a plain scan
    assert all(e.line is not None for e in entries)
    first = entries[0]
    assert (first.line, first.column) == _naive_line_col(text, _offset_of(text, first.line, first.column))
    assert entries[-1].line > entries[0].line + 2990


def _offset_of(text: str, line: int, column: int) -> int:
    start = 0
    for _ in range(line - 1):
        start = text.index("\n", start) + 1
    return start + column - 1


def test_line_index_matches_a_plain_scan():
    text = "a\nbc\n\n" + "x" * 10 + "\nlast"
    index = jsonpos.LineIndex(text)
    assert [index.line_col(o) for o in range(len(text) + 3)] == [
        _naive_line_col(text, min(o, len(text))) for o in range(len(text) + 3)]


# What each kind of input must get at n entries: (valid, number of report entries).
VERDICTS = {
    "duplicate keys": (True, lambda n: n - 1),  # a warning for each repeat
    "type errors": (False, lambda n: n),  # an error for each file
    "legacy warnings": (True, lambda n: 2 * n),  # unused key, and mode unset (2.x applied 0000)
    "links + files": (True, lambda n: 0),
    "unit continuations": (True, lambda n: 0),
    "data URL parameters": (True, lambda n: 0),
}


def test_every_kind_has_its_verdict():
    assert set(VERDICTS) == set(KINDS)


@pytest.mark.parametrize("kind", list(KINDS))
def test_fifty_thousand_entries_under_a_hang_guard(kind, tmp_path):
    config = tmp_path / "config.ign"
    config.write_bytes(KINDS[kind](50_000))
    code = ("import sys; from ignite.config.parse import parse_report; "
            "r = parse_report(open(sys.argv[1], 'rb').read()); print(len(r.report.entries), r.valid)")
    p = subprocess.run([sys.executable, "-c", code, str(config)], capture_output=True, text=True, cwd=REPO,
                       timeout=HANG_GUARD_S)
    assert p.returncode == 0, p.stderr[-2000:]
    entries, valid = p.stdout.split()
    expect_valid, expect_entries = VERDICTS[kind]
    assert (valid, int(entries)) == (str(expect_valid), expect_entries(50_000))


def _run_guarded(code: str, *args: str, memory_mib: int | None = None) -> subprocess.CompletedProcess[str]:
    preexec = None
    if memory_mib is not None:
        import resource

        def preexec() -> None:
            limit = memory_mib * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=REPO,
                          timeout=HANG_GUARD_S, preexec_fn=preexec)


def test_two_million_continuation_lines_under_a_hang_guard():
    """Joining continuation lines by `bytes +=` took minutes here (quadratic copying)."""
    code = ("from ignite.config.unitfile import deserialize_options as d; "
            "o = d('[Service]\\nExecStart=a \\\\\\n' + ' b \\\\\\n' * 2_000_000 + ' c\\n'); "
            "print(len(o), len(o[0].value))")
    p = _run_guarded(code)
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.split()[0] == "1"


def test_five_million_data_url_parameters_in_bounded_memory():
    """The lexer listed five items per parameter before checking them: gigabytes for a
    few million parameters. Now each is checked as it is found (and plain ones in C)."""
    code = ("from ignite.config.dataurl import decode_data_url as d; "
            "print(d('data:text/plain' + ';a=b' * 5_000_000 + ',x'))")
    p = _run_guarded(code, memory_mib=768)
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.strip() == "b'x'"


def test_parameter_errors_are_still_found_past_many_plain_ones():
    from ignite.config.dataurl import decode_data_url
    from ignite.errors import ConfigError

    plain = ";a=b" * 1000
    for bad, message in ((";a=%zz", "rfc2396: invalid char 0x25 in unescape sequence"),
                         (";a=%4", "rfc2396: unexpected end of unescape sequence"),
                         (";a=\u00e9", "invalid character for parameter value"),
                         (";=b", "unterminated parameter sequence"),
                         (";base64x", "expected base64, got base64x")):
        tail = "" if "base64" in bad else plain
        with pytest.raises(ConfigError, match=message):
            decode_data_url("data:text/plain" + plain + bad + tail + ",x")
    assert decode_data_url("data:text/plain" + plain + ';q="x";base64,YQ==') == b"a"


@pytest.mark.parametrize("payload", ["", "a", "file%20123", "%", "%4", "%zz", "<", "a b", "\u00e9", "YQ==", "YQ=",
                                     "YQ", "Y", "YQ==YQ==", "a\nb", "+/=="])
def test_common_headers_decode_as_the_lexer_does(payload):
    """`data:,` and `data:;base64,` skip the lexer: the same bytes or the same error as the
    lexer's path (reached here through a media type)."""
    from ignite.config.dataurl import decode_data_url
    from ignite.errors import ConfigError

    def outcome(url: str) -> object:
        try:
            return decode_data_url(url)
        except ConfigError as err:
            return err.message

    assert outcome("data:," + payload) == outcome("data:text/plain," + payload)
    assert outcome("data:;base64," + payload) == outcome("data:text/plain;base64," + payload)
