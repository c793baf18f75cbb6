"""The structural pass: decoded JSON + the version's schema -> a normalized config dict.

`normalize(obj, version)` decodes like Go's encoding/json decodes into Ignition's types:
- keys match field names exactly or, failing that, case-insensitively; when several keys
  land on one field the later one wins, and two objects for one field are merged (Go
  decodes the second into the struct the first filled);
- JSON null means "absent" (the key is dropped); a null list element becomes the zero
  value of the element type (`""`, `0`, `false`, `{}`), as Go's decoder makes it;
- a key that is not exactly a field name is a warning `unused key <key>` at its path
  (so `Version` is both used *and* warned about, as Ignition does); like Ignition, keys
  below such a key are not warned about;
- every type mismatch is an error with its JSON path; all of them are listed (Go stops
  at the first; the verdict is the same).

The schemas (schemas/<version>.json, JSON Schema draft 2020-12) are interpreted at runtime
in this subset, which every schema the engine loads must keep to:
- `type`: one name or a list of names among object, array, string, integer, number,
  boolean, null. `integer` means a JSON integer literal in int64 range (`420.0`, `1e3`,
  `"420"` and `true` are type errors). Absent `type` accepts anything. `null` in a list
  documents an optional field with no default; null is accepted for every field anyway.
- `properties`: the known keys of an object, each with its subschema.
- `additionalProperties: false`: other keys are dropped and warned about (Ignition
  treats unknown keys as warnings). Without it, other keys are kept as they are.
- `items`: the schema of every list element (one schema, not a tuple).
- `$defs` at the top and `$ref: "#/$defs/<Name>"`; keywords next to a `$ref` override
  the referenced ones (the generated 3.x schemas put `type` at the use site).
Anything else (`enum`, `pattern`, `minimum`, `required`, `description`, ...) documents the
schema for outside users and is ignored here: the semantic validator owns those rules and
their exact messages.
"""
from __future__ import annotations

from ignite.config.gojson import fold_key, merge_objects
from ignite.config.report import JsonPath, Report
from ignite.config.schemas import load_schema

TYPE_CHECKING = False  # not typing's: every fetch stage validates its config
if TYPE_CHECKING:
    from typing import Any

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

_PY_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}
_ZERO = {"object": dict, "array": list, "string": str, "integer": int, "number": int, "boolean": bool}


class _Node:
    """One compiled schema: what the walk needs, precomputed."""

    __slots__ = ("types", "type_names", "integer", "props", "folded", "closed", "items", "zero", "leaf_types")

    def __init__(self) -> None:
        self.types: tuple[type, ...] | None = None
        self.type_names = ""
        self.integer = False
        self.props: dict[str, _Node] | None = None
        self.folded: dict[str, str] = {}
        self.closed = False
        self.items: _Node | None = None
        self.zero: Any = None
        self.leaf_types: tuple[type, ...] = ()  # a typed scalar's types (no properties, no items); else empty


def _compile(schema: dict[str, Any], defs: dict[str, Any], depth: int = 0) -> _Node:
    if depth > 64:
        raise ValueError("schema nests deeper than 64 levels (a $ref cycle?)")
    while "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/$defs/"):
            raise ValueError(f"unsupported $ref {ref!r} (only #/$defs/<name>)")
        target = defs[ref[len("#/$defs/"):]]
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    node = _Node()
    names = schema.get("type")
    if names is not None:
        names = [names] if isinstance(names, str) else list(names)
        types: list[type] = []
        for name in names:
            types.extend(_PY_TYPES[name])
        # bool is an int subclass in Python, never in JSON: the walk compares exact types.
        node.types = tuple(dict.fromkeys(types))
        node.type_names = " or ".join(n for n in names if n != "null")
        node.integer = "integer" in names and "number" not in names
        first = next((n for n in names if n != "null"), "null")
        node.zero = _ZERO.get(first, type(None))
    if "properties" in schema:
        node.props = {k: _compile(v, defs, depth + 1) for k, v in schema["properties"].items()}
        for name in node.props:
            node.folded[fold_key(name)] = name
    node.closed = schema.get("additionalProperties") is False
    if node.props is None and node.closed:
        node.props = {}
    if isinstance(schema.get("items"), dict):
        node.items = _compile(schema["items"], defs, depth + 1)
    if node.types is not None and node.props is None and node.items is None \
            and dict not in node.types and list not in node.types:
        node.leaf_types = node.types
    return node


_COMPILED: dict[str, _Node] = {}


def compiled(version: str) -> _Node:
    """The schema walk of `version`, compiled once per process (a dict rather than
    functools.cache: functools and collections are ~2 ms of every fetch stage's start)."""
    node = _COMPILED.get(version)
    if node is None:
        schema = load_schema(version)
        node = _COMPILED[version] = _compile(schema, schema.get("$defs", {}))
    return node


def normalize(obj: Any, version: str) -> tuple[dict[str, Any], Report]:
    """The normalized config dict of `obj` for `version`, and a report of type errors
    and unused keys. When the report has errors the dict leaves out the bad values."""
    report = Report()
    out = _Walker(report).walk(obj, compiled(version), ())
    return (out if isinstance(out, dict) else {}), report


_BAD = object()


class _Walker:
    __slots__ = ("report", "quiet")

    def __init__(self, report: Report):
        self.report = report
        self.quiet = False  # inside a value reached through a case-insensitive match

    def walk(self, value: Any, node: _Node, path: JsonPath) -> Any:
        kind = type(value)
        if node.types is not None and kind not in node.types:
            self.report.error(f"cannot use {_describe(value)} as {node.type_names}", path)
            return _BAD
        if kind is int:
            if node.integer and not INT64_MIN <= value <= INT64_MAX:
                self.report.error(f"number {value} is out of range for a 64-bit integer", path)
                return _BAD
            return value
        if kind is dict:
            return self.walk_object(value, node, node.props, path) if node.props is not None else value
        if kind is list:
            return self.walk_list(value, node.items, path) if node.items is not None else value
        return value

    def walk_object(self, value: dict, node: _Node, props: dict[str, _Node], path: JsonPath) -> dict:
        out: dict[str, Any] = {}
        folded = False  # once a key matched only case-insensitively, later keys may repeat a field
        for key, item in value.items():
            sub = props.get(key)
            name = key
            if sub is None:
                name = node.folded.get(fold_key(key))
                if (node.closed or name is not None) and not self.quiet:
                    self.report.warning(f"unused key {key}", path + (key,))
                if name is None:
                    if not node.closed:
                        out[key] = item
                    continue
                sub = props[name]
                folded = True
            if item is None:
                out.pop(name, None)
                continue
            kind = type(item)
            if kind in sub.leaf_types and not folded and (
                    kind is not int or INT64_MIN <= item <= INT64_MAX):
                out[name] = item  # the common case, without a call
                continue
            if name != key and not self.quiet:
                # Ignition's unused-key check does not descend into a key it did not match
                # exactly, so nothing below one is warned about either.
                self.quiet = True
                try:
                    result = self.walk(item, sub, path + (key,))
                finally:
                    self.quiet = False
            else:
                result = self.walk(item, sub, path + (key,))
            if result is _BAD:
                continue
            if folded:
                previous = out.get(name)
                if type(previous) is dict and type(result) is dict:
                    result = merge_objects(previous, result)
            out[name] = result
        return out

    def walk_list(self, value: list, items: _Node, path: JsonPath) -> list:
        out = []
        for i, item in enumerate(value):
            if item is None:
                item = items.zero() if items.zero is not None else None
            result = self.walk(item, items, path + (i,))
            if result is not _BAD:
                out.append(result)
        return out


def _describe(value: Any) -> str:
    """The JSON value as an error message names it: `number 420.0`, `string '420'`, `true`,
    `an object`, `an array`."""
    kind = type(value)
    if kind is int or kind is float:
        return f"number {value!r}"
    if kind is str:
        return f"string {value if len(value) <= 40 else value[:37] + '...'!r}"
    if kind is bool:
        return "true" if value else "false"
    if kind is dict:
        return "an object"
    return "an array" if kind is list else "null"
