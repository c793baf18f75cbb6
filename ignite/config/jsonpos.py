"""JSON from bytes as Go's encoding/json sees it, with positions found only when needed.

`load(data)` returns the decoded value and a `Document` that can later say where a JSON
path is in the text (line, column; both 1-based, columns count characters). The typical
valid config pays for one parse (ignite.jsonio: json's C scanner without the json package,
whose import loads re); positions are looked up only when a report entry needs one,
expanding the text's tree along that path only, with json's own string reader.

Go semantics reproduced (what Ignition accepts, checked against ignition-validate):
- invalid UTF-8 is replaced by U+FFFD (inside strings that is accepted; elsewhere it is a
  syntax error), and so are lone UTF-16 surrogates from `\\u` escapes;
- a UTF-8 byte order mark, NaN/Infinity, control characters in strings are syntax errors;
- nesting deeper than 10000 is an error (`exceeded max depth`);
- duplicate keys: the later one wins, and when both values are objects they are merged
  (Go decodes the second object into the struct the first filled). Each repeat is a
  warning at its position.
Syntax errors raise `JsonSyntaxError` with Go's wording and the position of the offending
character (Go reports the byte after it).
"""
from __future__ import annotations

import codecs
from bisect import bisect_right

from ignite import jsonio
from ignite.config.gojson import fold_key, merge_objects
from ignite.config.report import JsonPath

TYPE_CHECKING = False  # not typing's: every fetch stage parses its config
if TYPE_CHECKING:
    import json
    import re
    from collections.abc import Callable
    from typing import Any, Protocol

    class _AlwaysMatches(Protocol):
        """A pattern that matches the empty string, so match() never returns None."""

        def match(self, string: str, pos: int = ..., /) -> re.Match[str]: ...

MAX_DEPTH = 10000  # Go's encoding/json limit
INDEX_DEPTH = 48  # repeated keys deeper than this are not reported (no report names such a path)


class JsonSyntaxError(Exception):
    def __init__(self, message: str, offset: int, line: int, column: int):
        self.message = message
        self.offset = offset
        self.line = line
        self.column = column
        super().__init__(f"{message} (line {line} col {column})")


class DuplicateKey:
    """A repeated key: its path (the parent's path + (key,)), position, and whether both
    values were objects (so they were merged)."""

    __slots__ = ("path", "line", "column", "merged")

    def __init__(self, path: JsonPath, line: int, column: int, merged: bool):
        self.path, self.line, self.column, self.merged = path, line, column, merged

    def message(self) -> str:
        key = self.path[-1]
        if self.merged:
            return f"duplicate key {key!r}: the objects are merged, the later keys win"
        return f"duplicate key {key!r}: the last value is used"


class Document:
    """The decoded text of a config, answering "where is this JSON path".

    Positions come from a tree of nodes that is expanded only along the paths asked for:
    the members of an object (or elements of an array) are listed once, each sibling value
    skipped by the C scanner of the json module, so a report about one key of a large
    config costs a few milliseconds."""

    def __init__(self, text: str, has_duplicates: bool = False):
        self.text = text
        self.has_duplicates = has_duplicates
        self._root: _Node | None = None
        self._duplicates: list[DuplicateKey] | None = None
        self._lines: LineIndex | None = None

    def line_col(self, offset: int) -> tuple[int, int]:
        if self._lines is None:
            self._lines = LineIndex(self.text)
        return self._lines.line_col(offset)

    def position(self, path: JsonPath, *, key: bool = False) -> tuple[int, int] | None:
        """Line and column of the value at `path` (of its key with key=True), or of the
        deepest node of `path` that exists. Keys match exactly, else case-insensitively
        (the last such key, as Go's decoder picks it)."""
        if self._root is None:
            start = _patterns().ws.match(self.text, 0).end()
            if start >= len(self.text):
                return None
            self._root = _Node(-1, start)
        node, exact = self._root, True
        for element in path:
            children = _children(self.text, node)
            child = None
            if isinstance(element, str) and isinstance(children, dict):
                child = children.get(element)
                if child is None:
                    raw = node.folded.get(fold_key(element))
                    child = children.get(raw) if raw is not None else None
            elif type(element) is int and isinstance(children, list) and 0 <= element < len(children):
                child = children[element]
            if child is None:
                exact = False
                break
            node = child
        offset = node.key_offset if key and exact and node.key_offset >= 0 else node.offset
        return self.line_col(offset)

    def duplicate_keys(self) -> list[DuplicateKey]:
        """Every repeated key, in text order (one full scan, only when load saw one)."""
        if not self.has_duplicates:
            return []
        if self._duplicates is None:
            scanner = _Scanner(self.text, track_paths=True, lines=self.line_col)
            scanner.parse()
            self._duplicates = scanner.duplicates
        return self._duplicates


class _Node:
    """One JSON value in the text: where its key and value start; its members once listed
    (a dict by raw key, the last of repeated keys winning as in Go; a list; or () for a
    scalar), and its raw keys by folded key."""

    __slots__ = ("key_offset", "offset", "children", "folded")

    def __init__(self, key_offset: int, offset: int):
        self.key_offset = key_offset
        self.offset = offset
        self.children: dict[str, _Node] | list[_Node] | tuple | None = None
        self.folded: dict[str, str] = {}


def _children(text: str, node: _Node) -> dict[str, _Node] | list[_Node] | tuple:
    if node.children is None:
        node.children = ()
        try:
            _list_members(text, node)
        except (ValueError, IndexError):
            pass  # only for text that did not load; what was listed before the error stays
    return node.children


def _list_members(text: str, node: _Node) -> None:
    ws = _patterns().ws
    opening = text[node.offset]
    if opening not in "{[":
        return
    is_object = opening == "{"
    pairs: dict[str, _Node] = {}
    items: list[_Node] = []
    node.children = pairs if is_object else items
    pos = ws.match(text, node.offset + 1).end()
    if text[pos] in "}]":
        return
    while pos < len(text):
        if is_object:
            key_offset = pos
            key, pos = _scanstring(text, pos + 1, True)
            pos = ws.match(text, ws.match(text, pos).end() + 1).end()  # past the colon
            if pos >= len(text):
                return
            member = _Node(key_offset, pos)
            pairs[key] = member
            node.folded[fold_key(key)] = key
        else:
            member = _Node(-1, pos)
            items.append(member)
        pos = ws.match(text, _skip_value(text, pos)).end()
        if text[pos] != ",":
            return
        pos = ws.match(text, pos + 1).end()


def _skip_value(text: str, pos: int) -> int:
    """Where the (valid) JSON value at pos ends."""
    try:
        return _c_scanner()(text, pos)[1]
    except (RecursionError, ValueError, StopIteration):
        # nesting deeper than Python's recursion limit, or an integer literal too long for
        # int(): count brackets instead, stepping over strings
        patterns = _patterns()
        if text[pos] not in "[{":
            return patterns.scalar.match(text, pos).end()
        depth = 0
        for m in patterns.brackets_or_string.finditer(text, pos):
            c = text[m.start()]
            if c in "[{":
                depth += 1
            elif c in "]}":
                depth -= 1
                if depth == 0:
                    return m.end()
        raise ValueError("unterminated value") from None


_scan_once: Callable[[str, int], tuple[Any, int]] | None = None


def _c_scanner() -> Callable[[str, int], tuple[Any, int]]:
    global _scan_once
    if _scan_once is None:
        # set by JSONDecoder.__init__ (the C scanner), not declared in typeshed
        import json

        _scan_once = json.JSONDecoder(parse_int=_skip_int).scan_once  # type: ignore[attr-defined]
    return _scan_once


def _skip_int(literal: str) -> int:
    return 0  # skipping only: no need to convert (nor to hit int()'s digit limit)


def _go_replace(error: UnicodeError) -> tuple[str, int]:
    # Go replaces every invalid byte on its own; Python's "replace" would make one
    # U+FFFD of a whole broken sequence.
    if not isinstance(error, UnicodeDecodeError):
        raise error  # a handler for decoding only
    return "\ufffd" * (error.end - error.start), error.end


codecs.register_error("ignite-go-replace", _go_replace)


def decode(data: bytes) -> str:
    return data.decode("utf-8", "ignite-go-replace")


def load(data: bytes) -> tuple[Any, Document]:
    """Decodes `data`; raises JsonSyntaxError for anything Go's decoder rejects."""
    text = decode(data)
    duplicates = False

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict:
        nonlocal duplicates
        obj = dict(pairs)
        if len(obj) != len(pairs):
            duplicates = True
            obj = _object_from_pairs(pairs)
        return obj

    try:
        value = jsonio.loads(text, object_pairs_hook=pairs_hook, parse_constant=_reject_constant)
    except (ValueError, RecursionError, _ConstantError):
        # Syntax errors get Go's wording and position from our own scanner; deep nesting
        # (Python's recursion limit is lower than Go's 10000) and huge integer literals
        # parse there too, iteratively.
        scanner = _Scanner(text, data)
        value = scanner.parse()
        duplicates = scanner.saw_duplicates
    if "\\u" in text and _patterns().surrogate_escape.search(text):
        value = _replace_surrogates(value)
    return value, Document(text, duplicates)


class _ConstantError(Exception):
    pass


def _reject_constant(name: str) -> Any:
    raise _ConstantError(name)


def _object_from_pairs(pairs: list[tuple[str, Any]]) -> dict:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        previous = obj.get(key)
        if type(previous) is dict and type(value) is dict:
            value = merge_objects(previous, value)
        obj[key] = value
    return obj


def _replace_surrogates(value: Any) -> Any:
    """Lone surrogates (from `\\ud800`-style escapes) become U+FFFD, as in Go. Iterative:
    the value may be nested 10000 deep."""
    fix = _fix_surrogates
    if isinstance(value, str):
        return fix(value)
    todo = [value]
    while todo:
        container = todo.pop()
        if isinstance(container, list):
            for i, item in enumerate(container):
                if isinstance(item, str):
                    container[i] = fix(item)
                elif isinstance(item, (list, dict)):
                    todo.append(item)
        else:
            items = list(container.items())
            container.clear()
            for key, item in items:
                if isinstance(item, str):
                    item = fix(item)
                elif isinstance(item, (list, dict)):
                    todo.append(item)
                container[fix(key)] = item
    return value


def _fix_surrogates(s: str) -> str:
    if s.isascii():
        return s
    return s.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


class LineIndex:
    """Line and column of any offset of `text` by bisection over the starts of its lines,
    found once: positioning every entry of a large report costs O(log lines) each."""

    __slots__ = ("starts", "length")

    def __init__(self, text: str):
        starts = [0]
        find = text.find
        newline = find("\n")
        while newline >= 0:
            starts.append(newline + 1)
            newline = find("\n", newline + 1)
        self.starts = starts
        self.length = len(text)

    def line_col(self, offset: int) -> tuple[int, int]:
        offset = max(0, min(offset, self.length))
        line = bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1


def _line_col(text: str, offset: int) -> tuple[int, int]:
    """For one position (a syntax error): no index needed."""
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return line, offset - start + 1


class _Patterns:
    """Compiled on first use: the fast path of a valid config needs none of them (nor `re`)."""

    def __init__(self) -> None:
        import re

        self.ws: _AlwaysMatches = re.compile(r"[ \t\n\r]*")  # type: ignore[assignment]
        self.number = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
        self.surrogate_escape = re.compile(r"\\u[dD][89a-fA-F]")
        self.scalar: _AlwaysMatches = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[^ \t\n\r,\]}]*')  # type: ignore[assignment]
        self.brackets_or_string = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


_compiled: _Patterns | None = None


def _patterns() -> _Patterns:
    global _compiled
    if _compiled is None:
        _compiled = _Patterns()
    return _compiled


_LITERALS = {"t": ("true", True), "f": ("false", False), "n": ("null", None)}


def _scanstring(text: str, end: int, strict: bool) -> tuple[str, int]:
    """json's string reader (the C one): (text, after the quote, strict) -> (string, end).
    Imported on first use: only positions and syntax errors need it."""
    import json.decoder

    return json.decoder.scanstring(text, end, strict)  # type: ignore[attr-defined,no-any-return]


def _string_error_type() -> type[json.JSONDecodeError]:
    """What _scanstring raises (json is loaded once it ran)."""
    import json

    return json.JSONDecodeError


class _Frame:
    __slots__ = ("is_object", "path", "pairs", "items", "key", "key_offset", "seen", "indexed")

    def __init__(self, is_object: bool, path: JsonPath, indexed: bool):
        self.is_object = is_object
        self.path = path
        self.pairs: list[tuple[str, Any]] = []
        self.items: list[Any] = []
        self.key = ""
        self.key_offset = -1
        self.seen: dict[str, Any] = {}  # an object's values by key (empty for an array)
        self.indexed = indexed


class _Scanner:
    """An iterative JSON parser: Go's grammar, messages and depth limit; optionally
    records the paths of repeated keys."""

    def __init__(self, text: str, data: bytes | None = None, track_paths: bool = False,
                 lines: Callable[[int], tuple[int, int]] | None = None):
        self.text = text
        self.lines = lines if lines is not None else LineIndex(text).line_col if track_paths else None
        self.track_paths = track_paths  # to report repeated keys with their paths
        self.duplicates: list[DuplicateKey] = []
        self.data = data  # the original bytes, to name an invalid byte in an error
        patterns = _patterns()
        self.ws, self.number = patterns.ws, patterns.number
        self.saw_duplicates = False

    def fail(self, what: str, pos: int) -> JsonSyntaxError:
        text = self.text
        if pos >= len(text):
            message = "unexpected end of JSON input"
        else:
            char = text[pos]
            if char == "\ufffd" and self.data is not None:
                original = self.data.decode("utf-8", "surrogateescape")[pos]  # same offsets: one char per bad byte
                if "\udc80" <= original <= "\udcff":
                    char = chr(ord(original) - 0xDC00)
            message = f"invalid character {_quote_char(char)} {what}"
            if pos == 0 and text[0] == "\ufeff":
                message += " (the file starts with a UTF-8 byte order mark, which JSON does not allow)"
        line, col = _line_col(text, pos)
        return JsonSyntaxError(message, pos, line, col)

    def parse(self) -> Any:
        text, n = self.text, len(self.text)
        stack: list[_Frame] = []
        pos = self.ws.match(text, 0).end()
        while True:
            # A value starts at pos.
            path = self._child_path(stack)
            if pos >= n:
                raise self.fail("", pos)
            ch = text[pos]
            complete = True
            if ch == "{" or ch == "[":
                if len(stack) >= MAX_DEPTH:
                    raise self.fail("exceeded max depth", pos)
                frame = _Frame(ch == "{", path if path is not None else (), path is not None)
                stack.append(frame)
                pos = self.ws.match(text, pos + 1).end()
                close = "}" if frame.is_object else "]"
                if pos < n and text[pos] == close:
                    pos += 1
                    value = self._close(stack.pop())
                elif frame.is_object:
                    pos = self._key(frame, pos)
                    complete = False
                else:
                    complete = False
                if not complete:
                    continue
            elif ch == '"':
                try:
                    value, pos = _scanstring(text, pos + 1, True)
                except _string_error_type() as e:
                    raise self._string_error(e) from None
            elif ch == "-" or "0" <= ch <= "9":
                m = self.number.match(text, pos)
                if m is None:
                    raise self.fail("in numeric literal", pos + 1)
                literal = m.group()
                if m.group(1) or m.group(2):
                    value = float(literal)
                else:
                    value = int(literal) if len(literal) <= 4000 else float(literal)
                pos = m.end()
            elif ch in _LITERALS:
                word, value = _LITERALS[ch]
                for i, expected in enumerate(word):
                    if pos + i >= n:
                        raise self.fail("", n)
                    if text[pos + i] != expected:
                        raise self.fail(f"in literal {word} (expecting {_quote_char(expected)})", pos + i)
                pos += len(word)
            else:
                raise self.fail("looking for beginning of value", pos)
            # A value ended at pos: hand it to its container, closing containers as they end.
            while True:
                if not stack:
                    pos = self.ws.match(text, pos).end()
                    if pos < n:
                        raise self.fail("after top-level value", pos)
                    return value
                frame = stack[-1]
                if frame.is_object:
                    self._add_pair(frame, value)
                else:
                    frame.items.append(value)
                pos = self.ws.match(text, pos).end()
                c = text[pos] if pos < n else ""
                if c == ",":
                    pos = self.ws.match(text, pos + 1).end()
                    if frame.is_object:
                        pos = self._key(frame, pos)
                    break
                if c == ("}" if frame.is_object else "]"):
                    pos += 1
                    value = self._close(stack.pop())
                    continue
                raise self.fail("after object key:value pair" if frame.is_object else "after array element", pos)

    def _key(self, frame: _Frame, pos: int) -> int:
        text = self.text
        if pos >= len(text) or text[pos] != '"':
            raise self.fail("looking for beginning of object key string", pos)
        try:
            key, end = _scanstring(text, pos + 1, True)
        except _string_error_type() as e:
            raise self._string_error(e) from None
        frame.key, frame.key_offset = key, pos
        end = self.ws.match(text, end).end()
        if end >= len(text) or text[end] != ":":
            raise self.fail("after object key", end)
        return self.ws.match(text, end + 1).end()

    def _child_path(self, stack: list[_Frame]) -> JsonPath | None:
        if not self.track_paths:
            return None
        if not stack:
            return ()
        frame = stack[-1]
        if not frame.indexed or len(stack) >= INDEX_DEPTH:
            return None
        return frame.path + ((frame.key,) if frame.is_object else (len(frame.items),))

    def _add_pair(self, frame: _Frame, value: Any) -> None:
        key = frame.key
        if key in frame.seen:
            self.saw_duplicates = True
            merged = type(frame.seen[key]) is dict and type(value) is dict
            if frame.indexed:
                line, col = self.lines(frame.key_offset) if self.lines else _line_col(self.text, frame.key_offset)
                self.duplicates.append(DuplicateKey(frame.path + (key,), line, col, merged))
        frame.seen[key] = value
        frame.pairs.append((key, value))

    def _close(self, frame: _Frame) -> Any:
        if not frame.is_object:
            return frame.items
        if len(frame.seen) == len(frame.pairs):
            return frame.seen
        return _object_from_pairs(frame.pairs)

    def _string_error(self, e: json.JSONDecodeError) -> JsonSyntaxError:
        if e.msg.startswith("Unterminated string"):
            return self.fail("", len(self.text))
        if e.msg.startswith("Invalid control character"):
            return self.fail("in string literal", e.pos)
        # Invalid \escape / \uXXXX: e.pos is the backslash; Go names the character after it.
        bad = e.pos + 1
        if e.msg.startswith("Invalid \\uXXXX"):
            bad = e.pos + 2
            while bad < len(self.text) and self.text[bad] in "0123456789abcdefABCDEF":
                bad += 1
        return self.fail("in string escape code" if "XXXX" not in e.msg else r"in \u hexadecimal character escape",
                         bad)


def _quote_char(c: str) -> str:
    """Go's quoteChar: the character as a Go rune literal (non-ASCII shown as Go shows the
    first byte of its UTF-8 encoding, e.g. 'ï' for a byte order mark)."""
    if c == "'":
        return "'\\''"
    if c == '"':
        return "'\"'"
    if not c.isascii():
        if ord(c) > 0xFF:
            c = chr(c.encode("utf-8", "surrogatepass")[0])
        return f"'{c}'"
    if c.isprintable():
        return f"'{c}'"
    names = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f", "\x00": "\\x00"}
    return "'" + names.get(c, f"\\x{ord(c):02x}") + "'"
