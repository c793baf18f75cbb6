"""JSON decoding with Go's semantics and lazy positions (ignite/config/jsonpos.py)."""
from __future__ import annotations

import subprocess

import pytest

from ignite.config import jsonpos
from ignite.config.jsonpos import JsonSyntaxError, load


def syntax_error(data: bytes) -> JsonSyntaxError:
    with pytest.raises(JsonSyntaxError) as info:
        load(data)
    return info.value


@pytest.mark.parametrize(
    "data, message, line, column",
    [
        (b'{"a":1,}', "invalid character '}' looking for beginning of object key string", 1, 8),
        (b'{"a":1}\n  "x"', "invalid character '\"' after top-level value", 2, 3),
        (b'{"a":1\n  "x":2}', "invalid character '\"' after object key:value pair", 2, 3),
        (b'[1 2]', "invalid character '2' after array element", 1, 4),
        (b'{"a" 1}', "invalid character '1' after object key", 1, 6),
        (b'{"a":1', "unexpected end of JSON input", 1, 7),
        (b'{"a":"x', "unexpected end of JSON input", 1, 8),
        (b"   \n ", "unexpected end of JSON input", 2, 2),
        (b'{"a":tru}', "invalid character '}' in literal true (expecting 'e')", 1, 9),
        (b'{"a":nul', "unexpected end of JSON input", 1, 9),
        (b'{"a":-}', "invalid character '}' in numeric literal", 1, 7),
        (b'{"a":NaN}', "invalid character 'N' looking for beginning of value", 1, 6),
        (b'{"a":Infinity}', "invalid character 'I' looking for beginning of value", 1, 6),
        (b'{"a":-Infinity}', "invalid character 'I' in numeric literal", 1, 7),
        (b'{"a":"x\x01y"}', "invalid character '\\x01' in string literal", 1, 8),
        (b'{"a":"x\x00y"}', "invalid character '\\x00' in string literal", 1, 8),
        (b'{"a":"x\ny"}', "invalid character '\\n' in string literal", 1, 8),
        (b'{"a":"\\q"}', "invalid character 'q' in string escape code", 1, 8),
        (b'{"a":"\\u12G4"}', "invalid character 'G' in \\u hexadecimal character escape", 1, 11),
        (b"{'a':1}", "invalid character '\\'' looking for beginning of object key string", 1, 2),
        (b'{"a":1}\xff', "invalid character '\xff' after top-level value", 1, 8),
        (b'{\xff"a":1}', "invalid character '\xff' looking for beginning of object key string", 1, 2),
    ],
)
def test_syntax_errors_have_gos_wording_and_the_position_of_the_offending_character(data, message, line, column):
    e = syntax_error(data)
    assert (e.message, e.line, e.column) == (message, line, column)


def test_a_byte_order_mark_is_a_syntax_error_that_says_so():
    e = syntax_error(b'\xef\xbb\xbf{"ignition":{"version":"3.0.0"}}')
    assert e.message.startswith("invalid character '\xef' looking for beginning of value")
    assert "byte order mark" in e.message
    assert (e.line, e.column) == (1, 1)


def test_invalid_utf8_inside_strings_is_replaced_as_go_does():
    value, _ = load(b'{"x":"a\xff\xfeb","\xff":1}')
    assert value == {"x": "a\ufffd\ufffdb", "\ufffd": 1}


def test_lone_surrogate_escapes_become_replacement_characters():
    value, _ = load(b'{"x":"\\ud800", "\\udc00y":["\\ud83d\\ude00", "ok"]}')
    assert value == {"x": "\ufffd", "\ufffdy": ["\U0001F600", "ok"]}
    # and they can be encoded (written to a file) afterwards
    "".join([value["x"], *value["\ufffdy"]]).encode("utf-8")


def test_surrogate_replacement_survives_deep_nesting():
    data = b'{"x":["\\ud800",' + b"[" * 5000 + b'"\\udfff"' + b"]" * 5000 + b"]}"
    value, _ = load(data)
    inner = value["x"][1]
    for _ in range(4999):
        inner = inner[0]
    assert value["x"][0] == "\ufffd" and inner == ["\ufffd"]


def nested(depth: int) -> bytes:
    """A config whose deepest value is `depth` levels down, counting the top object."""
    inner = depth - 1
    return b'{"ignition":{"version":"3.0.0"},"x":' + b"[" * inner + b"]" * inner + b"}"


@pytest.mark.parametrize("depth", [100, 999, 1001, 10000])
def test_nesting_up_to_gos_limit_loads(depth):
    value, _ = load(nested(depth))
    level, inner = 1, value["x"]
    while inner:
        inner = inner[0]
        level += 1
    assert level == depth - 1


@pytest.mark.parametrize("depth", [10001, 100000])
def test_nesting_beyond_gos_limit_is_an_error_not_a_recursion_error(depth):
    e = syntax_error(nested(depth))
    assert e.message == "invalid character '[' exceeded max depth"
    # the 10000th '[' is the 10001st level
    assert (e.line, e.column) == (1, len('{"ignition":{"version":"3.0.0"},"x":') + 10000)


def test_integer_literals_beyond_pythons_digit_limit_still_load():
    value, _ = load(b'{"a":1' + b"0" * 5000 + b', "b": 7}')
    assert value["b"] == 7 and isinstance(value["a"], float)  # never an integer: a type error wherever one is wanted


def test_numbers_keep_their_json_kind():
    value, _ = load(b'{"i":420,"f":420.0,"e":1e3,"n":-9223372036854775808}')
    assert value == {"i": 420, "f": 420.0, "e": 1000.0, "n": -(2**63)}
    assert type(value["i"]) is int and type(value["f"]) is float and type(value["e"]) is float


def test_duplicate_keys_last_scalar_wins_objects_merge_and_each_repeat_is_reported():
    data = b'{"a":{"b":1,"c":1},\n "z":1,\n "a":{"c":2},\n "z":[2]}'
    value, doc = load(data)
    assert value == {"a": {"b": 1, "c": 2}, "z": [2]}
    dups = doc.duplicate_keys()
    assert [(d.path, d.line, d.column, d.merged) for d in dups] == [(("a",), 3, 2, True), (("z",), 4, 2, False)]
    assert dups[0].message() == "duplicate key 'a': the objects are merged, the later keys win"
    assert dups[1].message() == "duplicate key 'z': the last value is used"


def test_duplicate_keys_in_deep_text_are_found_by_the_fallback_parser_too():
    data = b'{"x":' + b"[" * 2000 + b"]" * 2000 + b',"x":1,"y":{"k":1,"k":2}}'
    value, doc = load(data)
    assert value == {"x": 1, "y": {"k": 2}}
    assert [d.path for d in doc.duplicate_keys()] == [("x",), ("y", "k")]


def test_no_duplicates_no_scan():
    _, doc = load(b'{"a":1,"b":{"a":2}}')
    assert doc.duplicate_keys() == []
    assert doc._duplicates is None and doc._root is None


POSITIONS = b"""{
  "ignition": {"Version": "3.0.0"},
  "storage": {
    "files": [
      {"path": "rel"},
      {"path": "/b", "mode": 420}
    ]
  }
}"""


@pytest.mark.parametrize(
    "path, key, expected",
    [
        ((), False, (1, 1)),
        (("storage", "files", 0, "path"), False, (5, 16)),
        (("storage", "files", 1, "mode"), False, (6, 30)),
        (("storage", "files", 1, "mode"), True, (6, 22)),
        # canonical key, written differently in the text: matched case-insensitively
        (("ignition", "version"), False, (2, 27)),
        (("ignition", "Version"), True, (2, 16)),
        # deepest existing node stands in for a path that is not in the text
        (("storage", "files", 0, "contents", "source"), False, (5, 7)),
        (("storage", "files", 7), False, (4, 14)),
        (("passwd", "users"), False, (1, 1)),
        # a key position asked for a missing path falls back to the deepest node's value
        (("storage", "nope"), True, (3, 14)),
    ],
)
def test_positions_of_json_paths(path, key, expected):
    _, doc = load(POSITIONS)
    assert doc.position(path, key=key) == expected


def test_positions_are_computed_lazily_and_only_along_the_path_asked_for():
    _, doc = load(POSITIONS)
    assert doc._root is None
    doc.position(("storage",))
    root = doc._root
    assert set(root.children) == {"ignition", "storage"}
    assert root.children["storage"].children is None and root.children["ignition"].children is None
    doc.position(("ignition", "version"))
    assert doc._root is root and set(root.children["ignition"].children) == {"Version"}
    assert root.children["storage"].children is None


def test_siblings_too_deep_or_too_long_for_the_c_scanner_are_stepped_over():
    data = (b'{"a":' + b"[" * 3000 + b'"]\\"["' + b"]" * 3000 + b',"b":1' + b"0" * 5000
            + b',"c":"x","d":{"e":[1,{"f":"}"}]}}')
    _, doc = load(data)
    assert doc.position(("c",)) == (1, data.index(b'"x"') + 1)
    assert doc.position(("d", "e", 1, "f")) == (1, data.index(b'"}"') + 1)


def test_a_position_in_a_large_config_costs_little():
    import json
    import time

    files = [{"path": f"/etc/f{i}", "mode": 420, "contents": {"source": f"data:,{i}"}} for i in range(5000)]
    data = json.dumps({"ignition": {"version": "3.6.0"}, "storage": {"files": files}, "x": 1}, indent=2).encode()
    _, doc = load(data)
    start = time.perf_counter()
    assert doc.position(("x",), key=True)[0] == data.count(b"\n")
    assert doc.position(("storage", "files", 4999, "mode"))[0] > 5000
    # A guard against a hang, not a speed test (the shared CI machine makes timings noisy):
    # bench/validate_bench.py measures speed.
    assert time.perf_counter() - start < 5


def test_positions_of_a_case_variant_duplicate_use_the_last_spelling():
    _, doc = load(b'{"ignition":{"version":"3.0.0","VERSION":"3.1.0"}}')
    assert doc.position(("ignition", "version")) == (1, 24)
    assert doc.position(("ignition", "Version")) == (1, 42)


def test_a_50_mb_config_loads_and_positions_without_a_hang():
    import time

    big = b'{"ignition":{"version":"3.0.0"},"storage":{"files":[{"path":"/big","contents":{"source":"data:,' \
        + b"a" * 50_000_000 + b'"}}],"x":1}}'
    start = time.perf_counter()
    value, doc = load(big)
    assert doc.position(("storage", "x"), key=True) == (1, len(big) - 6)
    assert time.perf_counter() - start < 10
    assert len(value["storage"]["files"][0]["contents"]["source"]) == 50_000_006
    e = syntax_error(big[:-2])
    assert e.message == "unexpected end of JSON input" and e.column == len(big) - 1


def test_positions_of_a_text_that_failed_to_load_cover_what_came_before_the_error():
    doc = jsonpos.Document('{"a":1,"b":[1,2,')
    assert doc.position(("a",)) == (1, 6)
    assert doc.position(("b", 1)) == (1, 15)
    assert doc.position(("b", 2)) == (1, 12)  # not there: b stands in


# What Go's decoder accepts, asked of the real thing: each input is a valid 3.0.0 config
# apart from its JSON, so ignition-validate's verdict is the JSON verdict.
ORACLE_INPUTS = {
    "plain": b'{"ignition":{"version":"3.0.0"}}',
    "invalid utf-8 in a string": b'{"ignition":{"version":"3.0.0"},"x":"\xff\xfe"}',
    "invalid utf-8 in a key": b'{"ignition":{"version":"3.0.0"},"\xff":1}',
    "invalid utf-8 outside strings": b'{"ignition":{"version":"3.0.0"},\xff"x":1}',
    "bom": b'\xef\xbb\xbf{"ignition":{"version":"3.0.0"}}',
    "nul in string": b'{"ignition":{"version":"3.0.0"},"x":"a\x00b"}',
    "escaped nul": b'{"ignition":{"version":"3.0.0"},"x":"a\\u0000b"}',
    "lone surrogate escape": b'{"ignition":{"version":"3.0.0"},"x":"\\ud800"}',
    "tab in string": b'{"ignition":{"version":"3.0.0"},"x":"a\tb"}',
    "del in string": b'{"ignition":{"version":"3.0.0"},"x":"a\x7fb"}',
    "trailing comma": b'{"ignition":{"version":"3.0.0"},}',
    "NaN": b'{"ignition":{"version":"3.0.0"},"x":NaN}',
    "leading zero": b'{"ignition":{"version":"3.0.0"},"x":01}',
    "huge exponent": b'{"ignition":{"version":"3.0.0"},"x":1e999}',
    "huge integer": b'{"ignition":{"version":"3.0.0"},"x":1' + b"0" * 5000 + b"}",
    "form feed whitespace": b'{"ignition":{"version":"3.0.0"},\x0c"x":1}',
    "crlf": b'{"ignition":{"version":"3.0.0"},\r\n"x":1}',
    "duplicate key": b'{"ignition":{"version":"3.0.0"},"x":1,"x":2}',
    "depth 10000": nested(10000),
    "depth 10001": nested(10001),
    "trailing garbage": b'{"ignition":{"version":"3.0.0"}}x',
    "two values": b'{"ignition":{"version":"3.0.0"}} {}',
    "trailing newline": b'{"ignition":{"version":"3.0.0"}}\n\n',
    "single quotes": b"{'ignition':{'version':'3.0.0'}}",
}


@pytest.mark.oracle
@pytest.mark.parametrize("name", sorted(ORACLE_INPUTS))
def test_json_verdicts_match_ignition_validate(name, oracle_validate, tmp_path):
    data = ORACLE_INPUTS[name]
    f = tmp_path / "c.ign"
    f.write_bytes(data)
    out = subprocess.run([str(oracle_validate), str(f)], capture_output=True, timeout=60)
    go_accepts = out.returncode == 0
    try:
        load(data)
        ours = True
    except JsonSyntaxError:
        ours = False
    assert ours == go_accepts, out.stdout.decode(errors="replace") + out.stderr.decode(errors="replace")
