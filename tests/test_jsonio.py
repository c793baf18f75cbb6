"""ignite.jsonio against json itself: the same values from the same texts, the same errors
(message and position) from the same bad texts, the same bytes out of dumps; and that
importing it loads neither json nor re."""
from __future__ import annotations

import json
import json.decoder
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ignite import jsonio

REPO = Path(__file__).resolve().parents[1]
CHECK = settings(max_examples=300, deadline=timedelta(seconds=5), database=None,
                 suppress_health_check=[HealthCheck.too_slow])

# Floats with their corners (nan, inf, -0.0, subnormals), ints past 64 bits, every kind of
# character: escapes, non-ASCII, astral, lone surrogates.
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**200), max_value=2**200), st.floats(),
    st.text(), st.sampled_from(["", "\ud800", "\udfff x", "\U0001f600", "é\u2028\x00\x1f\"\\/"]),
)
keys = st.text()
values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=5), st.dictionaries(keys, children, max_size=5)),
    max_leaves=40,
)
# dict keys json converts: int, float, bool, None (as "1", "NaN", "true", "null").
odd_keys = st.one_of(keys, st.integers(), st.floats(), st.booleans(), st.none())
dump_values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=5), st.lists(children, max_size=3).map(tuple),
                               st.dictionaries(odd_keys, children, max_size=5)),
    max_leaves=40,
)
# Texts made of JSON's own characters (and a few others), mostly invalid, to hit every error.
json_chars = st.text(alphabet=list('[]{}",:0123456789.eE+- \t\n\r\\/ubfnrtaslNIyé\x00\x1f\ud800\ufeff'),
                     max_size=40)


def same(mine: object, theirs: object) -> bool:
    """Equal values of equal types; repr tells nan, -0.0 and 1 from 1.0 and True apart."""
    return repr(mine) == repr(theirs)


def outcome(parse: object, data: bytes | str) -> tuple[str, object]:
    try:
        return "value", repr(parse(data))  # type: ignore[operator]
    except (json.JSONDecodeError, jsonio.JSONError) as e:
        return "error", (e.msg, e.pos, e.lineno, e.colno, str(e))
    except ValueError as e:  # UnicodeDecodeError, int() past its digit limit
        return type(e).__name__, str(e)
    except RecursionError:
        return "RecursionError", None


def assert_like_json(data: bytes | str) -> None:
    assert outcome(jsonio.loads, data) == outcome(json.loads, data)


@contextmanager
def json_decoder_unloaded() -> Iterator[None]:
    """As in a boot stage: json not loaded, so _json's scanner cannot build its error and
    jsonio must import json to ask it."""
    loaded = {name: module for name, module in sys.modules.items() if name == "json" or name.startswith("json.")}
    for name in loaded:
        del sys.modules[name]
    try:
        yield
    finally:
        sys.modules.update(loaded)


# --- loads ------------------------------------------------------------------------------------


@CHECK
@given(values, st.sampled_from([None, 2]), st.booleans())
def test_loads_reads_what_json_writes(value: object, indent: int | None, ensure_ascii: bool) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=ensure_ascii)
    assert same(jsonio.loads(text), json.loads(text))
    data = text.encode("utf-8", "surrogatepass")
    assert same(jsonio.loads(data), json.loads(data))
    assert same(jsonio.loads(b"\xef\xbb\xbf" + data), json.loads(b"\xef\xbb\xbf" + data))


@CHECK
@given(json_chars)
def test_loads_random_text_like_json(text: str) -> None:
    assert_like_json(text)


@CHECK
@given(json_chars)
def test_loads_errors_without_json_decoder_loaded(text: str) -> None:
    with json_decoder_unloaded():
        mine = outcome(jsonio.loads, text)
    assert mine == outcome(json.loads, text)


@CHECK
@given(values, st.integers(min_value=0), st.sampled_from(["", "x", ",", "]", "}", '"', " ", "\\", "1", "\ud800"]),
       st.booleans())
def test_loads_damaged_json_like_json(value: object, at: int, insert: str, delete: bool) -> None:
    text = json.dumps(value, ensure_ascii=False)
    at %= len(text) + 1
    damaged = text[:at] + insert + text[at + delete:]
    assert_like_json(damaged)


@CHECK
@given(st.binary(max_size=40))
def test_loads_random_bytes_as_utf8(data: bytes) -> None:
    """Bytes are UTF-8 (json guesses UTF-16 and UTF-32 from zero bytes too, which ignite's
    files never are): json's answer for the same bytes decoded as UTF-8."""
    try:
        text = data.decode("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8", "surrogatepass")
    except UnicodeDecodeError:
        with pytest.raises(UnicodeDecodeError):
            jsonio.loads(data)
        return
    assert outcome(jsonio.loads, data) == outcome(json.loads, text)
    if json.detect_encoding(data).startswith("utf-8"):  # type: ignore[attr-defined]
        assert outcome(jsonio.loads, data) == outcome(json.loads, data)


@pytest.mark.parametrize("text", [
    "", " ", " \t\n\r", "nul", "[1,", "[1,]", "[1 2]", '{"a" 1}', '{"a": 1,}', '{1: 2}', '"abc', '"\\x"',
    '"\\ud800"', '"\x01"', "1 2", " [1] \n x", "\ufeff[]", "01", "-", "1.", "1e", "NaN", "-Infinity",
    "Infinity", "nan", "1" * 5000, " \n [true, false, null] \r\n", '"\\u00e9\\ud83d\\ude00"',
])
def test_loads_corners_like_json(text: str) -> None:
    assert_like_json(text)
    assert_like_json(text.encode("utf-8", "surrogatepass"))


def test_loads_error_is_a_value_error_with_position() -> None:
    with pytest.raises(ValueError, match=r"^Expecting ',' delimiter: line 2 column 4 \(char 9\)$") as caught:
        jsonio.loads('{"a":\n[1 2]}')
    assert isinstance(caught.value, jsonio.JSONError)
    assert (caught.value.lineno, caught.value.colno, caught.value.pos) == (2, 4, 9)


def test_loads_deep_nesting() -> None:
    for depth in (1, 100, 500):
        text = "[" * depth + "]" * depth
        assert_like_json(text)
        assert_like_json('{"a":' * depth + "{}" + "}" * depth)
    with pytest.raises(RecursionError):
        jsonio.loads("[" * 100_000 + "]" * 100_000)


def test_loads_rejects_other_types() -> None:
    with pytest.raises(TypeError, match="must be str, bytes or bytearray, not int"):
        jsonio.loads(1)  # type: ignore[arg-type]
    assert jsonio.loads(bytearray(b"[1]")) == [1]


# --- dumps ------------------------------------------------------------------------------------

SEPARATORS = st.sampled_from([None, (",", ":"), (", ", ": "), (",", ": ")])


@CHECK
@given(dump_values, st.sampled_from([None, 0, 2, 4, "\t"]), SEPARATORS, st.booleans())
def test_dumps_like_json(value: object, indent: int | str | None, separators: tuple[str, str] | None,
                         ensure_ascii: bool) -> None:
    mine = jsonio.dumps(value, indent=indent, separators=separators, ensure_ascii=ensure_ascii)
    assert mine == json.dumps(value, indent=indent, separators=separators, ensure_ascii=ensure_ascii)


@CHECK
@given(values, st.sampled_from([None, 2]), SEPARATORS)
def test_dumps_sorted_like_json(value: object, indent: int | None, separators: tuple[str, str] | None) -> None:
    mine = jsonio.dumps(value, indent=indent, separators=separators, sort_keys=True)
    assert mine == json.dumps(value, indent=indent, separators=separators, sort_keys=True)


@pytest.mark.parametrize("indent", [None, 2])
def test_dumps_corners_like_json(indent: int | None) -> None:
    for value in ([], {}, [[]], {"a": {}}, [{}, []], (), ((),), "é\ud800", 2**100, -0.0, 1e300, 5e-324,
                  [float("nan"), float("inf"), float("-inf")], {1.5: 1, True: 2, None: 3, 7: 4}):
        for ensure_ascii in (True, False):
            assert (jsonio.dumps(value, indent=indent, ensure_ascii=ensure_ascii)
                    == json.dumps(value, indent=indent, ensure_ascii=ensure_ascii))


def test_dumps_deep_nesting_indented() -> None:
    value: list[object] = []
    for depth in range(300):
        value = [depth, {"k": value, "e": []}]
    assert jsonio.dumps(value, indent=2) == json.dumps(value, indent=2)
    assert jsonio.dumps(value) == json.dumps(value)


@pytest.mark.parametrize("indent", [None, 2])
def test_dumps_refuses_like_json(indent: int | None) -> None:
    circular: list[object] = [1]
    circular.append({"again": circular})
    for value, error in ((circular, ValueError), ({1, 2}, TypeError), ({(1, 2): 3}, TypeError),
                         ([b"bytes"], TypeError)):
        with pytest.raises(error) as theirs:
            json.dumps(value, indent=indent)
        with pytest.raises(error) as mine:
            jsonio.dumps(value, indent=indent)
        assert str(mine.value) == str(theirs.value)
    # a failure leaves nothing behind that a later call would take for a circle
    shared = [1]
    assert jsonio.dumps([shared, shared], indent=indent) == json.dumps([shared, shared], indent=indent)


@CHECK
@given(st.text())
def test_encode_string(text: str) -> None:
    assert jsonio.encode_string(text) == json.dumps(text, ensure_ascii=False)
    assert jsonio.encode_string(text, ensure_ascii=True) == json.dumps(text)


# --- what importing it costs ---------------------------------------------------------------------


def test_import_loads_neither_json_nor_re() -> None:
    probe = (
        "import sys\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "from ignite import jsonio\n"
        "assert jsonio.loads(b'{\"a\": [1, 2.5, null]}') == {'a': [1, 2.5, None]}\n"
        "assert jsonio.dumps({'a': [1]}, indent=2) == '{\\n  \"a\": [\\n    1\\n  ]\\n}'\n"
        "assert jsonio.dumps({'a': [1]}, separators=(',', ':')) == '{\"a\":[1]}'\n"
        "loaded = sorted(m for m in ('re', 'json', 'json.decoder', 'enum', 'functools', 'collections')"
        " if m in sys.modules)\n"
        "try:\n"
        "    jsonio.loads('[1 2]')\n"
        "except jsonio.JSONError as e:\n"
        "    error = str(e)\n"
        "print(loaded, error)\n"
    )
    done = subprocess.run([sys.executable, "-I", "-S", "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[] Expecting ',' delimiter: line 1 column 4 (char 3)"
