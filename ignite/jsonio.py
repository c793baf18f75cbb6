"""JSON as the json module reads and writes it, without importing json.

`import json` loads `re` (json.decoder and json.encoder compile patterns at import), and
`re` loads enum, functools and collections: ~7 ms of every boot stage's start-up. The
work is done by the same C accelerator json uses (`_json`), so results are the same:
`loads(data)` is `json.loads(data)` for UTF-8 input, `dumps(obj, ...)` is
`json.dumps(obj, ...)` byte for byte.

Only a failed parse imports json: `_json`'s scanner builds its errors from
json.decoder's class, so the position and wording of an error come from json itself
(then raised as JSONError, a ValueError like json.JSONDecodeError).
"""
from __future__ import annotations

import sys
from _json import encode_basestring, encode_basestring_ascii, make_encoder, make_scanner

TYPE_CHECKING = False  # not typing's: this module is on every stage's start-up path
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any, NoReturn

WHITESPACE = " \t\n\r"  # JSON's, and json's
_CONSTANTS = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


class JSONError(ValueError):
    """A text that is not JSON: json.JSONDecodeError's message and attributes (msg, doc,
    pos, lineno, colno), so code that read those reads these."""

    def __init__(self, msg: str, doc: str, pos: int) -> None:
        lineno = doc.count("\n", 0, pos) + 1
        colno = pos - doc.rfind("\n", 0, pos)
        super().__init__(f"{msg}: line {lineno} column {colno} (char {pos})")
        self.msg, self.doc, self.pos, self.lineno, self.colno = msg, doc, pos, lineno, colno

    def __reduce__(self) -> tuple[type[JSONError], tuple[str, str, int]]:
        return self.__class__, (self.msg, self.doc, self.pos)


class _Context:
    """What `_json.make_scanner` reads from a json.JSONDecoder, with json.loads's defaults."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = _CONSTANTS.__getitem__


_scan = make_scanner(_Context())  # type: ignore[arg-type]  # typeshed wants a scanner; _json reads attributes


def _scanner(object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None,
             parse_constant: Callable[[str], Any] | None) -> Callable[[str, int], tuple[Any, int]]:
    if object_pairs_hook is None and parse_constant is None:
        return _scan
    context = _Context()
    context.object_pairs_hook = object_pairs_hook  # type: ignore[assignment]
    if parse_constant is not None:
        context.parse_constant = parse_constant  # type: ignore[method-assign]
    return make_scanner(context)  # type: ignore[arg-type]


def loads(data: bytes | bytearray | str, *, object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None,
          parse_constant: Callable[[str], Any] | None = None) -> Any:
    """json.loads(data, object_pairs_hook=..., parse_constant=...): bytes are UTF-8 (a
    leading byte order mark dropped, encoded surrogates kept, as json does; json's guess
    of UTF-16 or UTF-32 from zero bytes is not made: ignite's files are UTF-8); raises
    JSONError, or UnicodeDecodeError for bytes that are not UTF-8. What a hook raises
    passes as it is."""
    if isinstance(data, str):
        if data.startswith("\ufeff"):
            raise JSONError("Unexpected UTF-8 BOM (decode using utf-8-sig)", data, 0)
        text = data
    elif not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"the JSON object must be str, bytes or bytearray, not {data.__class__.__name__}")
    else:
        text = bytes(data).decode("utf-8-sig" if data[:3] == b"\xef\xbb\xbf" else "utf-8", "surrogatepass")
    idx, end = 0, len(text)
    while idx < end and text[idx] in WHITESPACE:
        idx += 1
    try:
        value, idx = _scanner(object_pairs_hook, parse_constant)(text, idx)
    except StopIteration as stop:
        raise JSONError("Expecting value", text, stop.value) from None
    except (SystemError, ValueError) as exc:  # see _reraise
        _reraise(exc, text)
    if idx != end:
        tail = text[idx:]
        rest = tail.lstrip(WHITESPACE)
        if rest:
            raise JSONError("Extra data", text, idx + len(tail) - len(rest))
    return value


def _reraise(exc: BaseException, text: str) -> NoReturn:
    """The scanner's own error as a JSONError. Python 3.11's `_json` looks json.decoder up
    in sys.modules to build it and, not finding it, raises SystemError instead: json then
    parses the text again to say what and where (3.12's imports json.decoder itself). Any
    other error (a RecursionError, int()'s digit limit) passes as it is."""
    decoder = sys.modules.get("json.decoder")
    error_type = getattr(decoder, "JSONDecodeError", None)
    if error_type is not None and isinstance(exc, error_type):
        raise JSONError(exc.msg, text, exc.pos) from None
    if isinstance(exc, SystemError):
        import json

        try:
            json.loads(text)
        except json.JSONDecodeError as e:
            raise JSONError(e.msg, text, e.pos) from None
    raise exc


def _unserializable(obj: object) -> NoReturn:
    raise TypeError(f"Object of type {obj.__class__.__name__} is not JSON serializable")


def encode_string(s: str, ensure_ascii: bool = False) -> str:
    """`s` as a quoted JSON string, as json.dumps writes it. (Loops that write many call
    the C function itself: `encode_basestring`, or `encode_basestring_ascii`.)"""
    return encode_basestring_ascii(s) if ensure_ascii else encode_basestring(s)


def dumps(obj: Any, *, indent: int | str | None = None, separators: tuple[str, str] | None = None,
          ensure_ascii: bool = True, sort_keys: bool = False) -> str:
    """json.dumps(obj, indent=..., separators=..., ensure_ascii=..., sort_keys=...) for
    dicts, lists, tuples, str, int, float (NaN and Infinity as json writes them), bool and
    None; dict keys may also be int, float, bool or None, written as json does. A circular
    reference raises ValueError, any other type TypeError, as json."""
    if separators is not None:
        item_separator, key_separator = separators
    else:
        item_separator, key_separator = (", " if indent is None else ","), ": "
    encoder = encode_basestring_ascii if ensure_ascii else encode_basestring
    if isinstance(obj, str):
        return encoder(obj)
    if indent is None:
        # A fresh markers dict per call: the C encoder leaves entries behind when it fails.
        c_encode = make_encoder({}, _unserializable, encoder, None, key_separator, item_separator,
                                sort_keys, False, True)
        return "".join(c_encode(obj, 0))
    chunks: list[str] = []
    _Indented(chunks, encoder, indent if isinstance(indent, str) else " " * indent,
              item_separator, key_separator, sort_keys).value(obj, 0)
    return "".join(chunks)


def _float_text(value: float) -> str:
    if value != value:
        return "NaN"
    if value == _INFINITY:
        return "Infinity"
    if value == -_INFINITY:
        return "-Infinity"
    return float.__repr__(value)


_INFINITY = float("inf")


class _Indented:
    """json's pure-Python encoder (json.dumps uses it whenever indent is given), in the same
    order of checks, so that its output is json's byte for byte."""

    def __init__(self, out: list[str], encoder: Callable[[str], str], indent: str,
                 item_separator: str, key_separator: str, sort_keys: bool) -> None:
        self.out, self.encoder, self.indent = out, encoder, indent
        self.item_separator, self.key_separator, self.sort_keys = item_separator, key_separator, sort_keys
        self.markers: dict[int, object] = {}

    def value(self, obj: Any, level: int) -> None:
        text = self.scalar(obj)
        if text is not None:
            self.out.append(text)
        else:
            self._container(obj, level)

    def scalar(self, obj: Any) -> str | None:
        """The text of a str, None, bool, int or float; None for anything else."""
        if isinstance(obj, str):
            return self.encoder(obj)
        if obj is None:
            return "null"
        if obj is True:
            return "true"
        if obj is False:
            return "false"
        if isinstance(obj, int):
            return int.__repr__(obj)
        if isinstance(obj, float):
            return _float_text(obj)
        return None

    def _enter(self, obj: object) -> None:
        if id(obj) in self.markers:
            raise ValueError("Circular reference detected")
        self.markers[id(obj)] = obj

    def _container(self, obj: Any, level: int) -> None:
        """An array's items or an object's members, one per line at `level` + 1. The items'
        dispatch is inline: one Python frame per nesting level, as json's encoder, so that
        both reach the recursion limit at the same depth."""
        entries: Iterator[tuple[str | None, Any]]
        if isinstance(obj, (list, tuple)):
            opening, closing, entries = "[", "]", ((None, item) for item in obj)
        elif isinstance(obj, dict):
            opening, closing, entries = "{", "}", self._members(obj)
        else:
            _unserializable(obj)
        out, scalar = self.out, self.scalar
        if not obj:
            out.append(opening + closing)
            return
        self._enter(obj)
        newline_indent = "\n" + self.indent * (level + 1)
        separator = self.item_separator + newline_indent
        out.append(opening + newline_indent)
        first = True
        for name, item in entries:
            if not first:
                out.append(separator)
            first = False
            if name is not None:
                out.append(name)
            text = scalar(item)
            if text is not None:
                out.append(text)
            else:
                self._container(item, level + 1)
        out.append("\n" + self.indent * level + closing)
        del self.markers[id(obj)]

    def _members(self, members: dict[Any, Any]) -> Iterator[tuple[str, Any]]:
        """(name and key separator, value) of each member, as json writes the names: keys
        that are not str converted first, sorted when asked."""
        for key, item in sorted(members.items()) if self.sort_keys else members.items():
            if isinstance(key, str):
                pass
            elif isinstance(key, float):
                key = _float_text(key)
            elif key is True:
                key = "true"
            elif key is False:
                key = "false"
            elif key is None:
                key = "null"
            elif isinstance(key, int):
                key = int.__repr__(key)
            else:
                raise TypeError(f"keys must be str, int, float, bool or None, not {key.__class__.__name__}")
            yield self.encoder(key) + self.key_separator, item
