"""Decoding a composed YAML tree into a Butane spec's structs, as go-yaml v3 does it.

The result is plain data: a struct is a dict of the keys the config set (a null leaves the
key out, as Go's nil pointer), a list is a list, scalars are str/int/bool. go-yaml's type
errors are collected (it reports all of them, by line) and raised together; unknown keys
are Butane's "unused key" warnings; every value's position is kept by its Butane path
for the diagnostics.
"""
from __future__ import annotations

import re
from typing import Any

from ignite.config.butane.yamltree import UNTAGGED, position

Path = tuple[Any, ...]
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_NULLS = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_YES = {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON"}
_NO = {"n", "N", "no", "No", "NO", "off", "Off", "OFF"}
_SCALAR_KINDS = {"string", "int", "bool"}
MAX_INT = 2**63 - 1


class UnmarshalError(Exception):
    """go-yaml's "yaml: unmarshal errors:" with one line per problem."""

    def __init__(self, problems: list[tuple[int, int, str]]):
        self.problems = problems
        super().__init__("yaml: unmarshal errors:\n" + "\n".join(f"  line {line}: {msg}" for line, _, msg in problems))


class AliasBombError(Exception):
    def __init__(self, line: int, column: int):
        super().__init__("document contains excessive aliasing")
        self.line = line
        self.column = column


def resolve(node: Any) -> tuple[str, Any]:
    """go-yaml v3's reading of a scalar: (short tag, value)."""
    tag, text = node.tag, node.value
    if tag != UNTAGGED:
        short = "!!" + tag.rsplit(":", 1)[-1] if tag.startswith("tag:yaml.org,2002:") else tag
        if short == "!!int":
            value = _int(text)
            return ("!!int", value) if value is not None else ("!!str", text)
        if short == "!!bool":
            return ("!!bool", text in _TRUE) if text in _TRUE | _FALSE else ("!!str", text)
        if short == "!!null":
            return "!!null", None
        if short == "!!float":
            return "!!float", _float(text)
        return short, text
    if node.style:  # quoted or block: always a string (plain is None, or "" from libyaml)
        return "!!str", text
    if text in _NULLS:
        return "!!null", None
    if text in _TRUE:
        return "!!bool", True
    if text in _FALSE:
        return "!!bool", False
    if text and text[0] in "+-0123456789.":
        value = _int(text)
        if value is not None:
            return "!!int", value
        if _FLOAT.match(text.replace("_", "")):
            return "!!float", float(text.replace("_", ""))
    if text in (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN"):
        return "!!float", float(text.replace(".", "").lower().replace("inf", "inf"))
    return "!!str", text


def _int(text: str) -> int | None:
    plain = text.replace("_", "")
    sign = 1
    body = plain
    if body[:1] in "+-":
        sign = -1 if body[0] == "-" else 1
        body = body[1:]
    if not body:
        return None
    try:
        low = body.lower()
        if low.startswith("0x"):
            value = int(body[2:], 16)
        elif low.startswith("0o"):
            value = int(body[2:], 8)
        elif low.startswith("0b"):
            value = int(body[2:], 2)
        elif len(body) > 1 and body[0] == "0":
            value = int(body[1:], 8)
        elif body.isdigit():
            value = int(body)
        else:
            return None
    except ValueError:
        return None
    value *= sign
    if value > 2**64 - 1 or value < -(2**63):
        return None
    return value


def _float(text: str) -> float:
    try:
        return float(text.replace("_", ""))
    except ValueError:
        return 0.0


def _short(value: str) -> str:
    return f" `{value[:7]}...`" if len(value) > 10 else f" `{value}`"


class Decoder:
    """One decode of a document against a spec (`structs`: struct name -> "key:type ..."),
    `package` names the Go package in go-yaml's messages ("v0_5")."""

    def __init__(self, structs: dict[str, str], package: str, variant_structs: dict[str, str] | None = None,
                 variant_package: str = ""):
        self.structs = structs
        self.package = package
        self.variant_structs = variant_structs or {}
        self.variant_package = variant_package
        self.problems: list[tuple[int, int, str]] = []
        self.problem_paths: list[Path] = []  # the Butane path of each problem (go-yaml gives only a line)
        self.unused: list[tuple[Path, int, int, str]] = []
        self.null_structs: list[tuple[Path, int, int]] = []
        self.positions: dict[Path, tuple[int, int]] = {}
        self.key_positions: dict[Path, tuple[int, int]] = {}
        self._seen: set[int] = set()
        self._decoded = 0
        self._aliases = 0
        self._depth = 0
        self._hidden = 0

    def fields(self, struct: str) -> list[tuple[str, str]]:
        text = self.variant_structs.get(struct)
        if text is None:
            text = self.structs[struct]
        return [(name, typ) for name, typ in (f.split(":", 1) for f in text.split())]  # each is "name:type"

    def type_name(self, typ: str) -> str:
        if typ.startswith("[]"):
            return "[]" + self.type_name(typ[2:])
        if typ.startswith("*"):
            return self.type_name(typ[1:])
        if typ in _SCALAR_KINDS:
            return typ
        if typ in self.variant_structs:
            return f"{self.variant_package}.{typ}"
        kind = self.structs.get(typ, "")
        if kind in _SCALAR_KINDS or kind.startswith("[]"):
            return f"{self.package}.{typ}"
        return f"{self.package}.{typ}"

    def _kind(self, typ: str) -> str:
        """A named scalar type (Device, Group, ...) is its Go kind."""
        base = typ.lstrip("*")
        named = self.structs.get(base)
        if named is not None and (named in _SCALAR_KINDS or named.startswith("[]")):
            return named
        return base

    def decode(self, node: Any, typ: str, path: Path) -> Any:
        alias = self._count(node)
        self._depth += alias
        try:
            return self._decode(node, typ, path)
        finally:
            self._depth -= alias

    def _decode(self, node: Any, typ: str, path: Path) -> Any:
        if not self._hidden:
            self.positions.setdefault(path, position(node))
        kind = self._kind(typ)
        if kind.startswith("[]"):  # a named list type (HTTPHeaders)
            typ = kind
        if typ.startswith("[]"):
            return self._list(node, typ, path)
        if kind in _SCALAR_KINDS:
            return self._scalar(node, kind, typ, path)
        return self._struct(node, kind, path)

    def _count(self, node: Any) -> int:
        """go-yaml's guard: every node decoded inside an alias's expansion counts as aliased,
        and too high a share of those fails the document. Returns 1 when `node` itself is
        an alias (every occurrence in the text is its own node: meeting one again is one)."""
        alias = int(id(node) in self._seen)
        self._seen.add(id(node))
        self._decoded += 1
        if alias or self._depth:
            self._aliases += 1
            if self._aliases > 100 and self._decoded > 1000 and self._aliases / self._decoded > _ratio(self._decoded):
                raise AliasBombError(*position(node))
        return alias

    def _error(self, node: Any, message: str, path: Path) -> None:
        line, column = position(node)
        self.problems.append((line, column, message))
        self.problem_paths.append(path)

    def _scalar(self, node: Any, kind: str, typ: str, path: Path) -> Any:
        if node.__class__.__name__ != "ScalarNode":
            tag = "!!seq" if node.__class__.__name__ == "SequenceNode" else "!!map"
            self._error(node, f"cannot unmarshal {tag} into {self.type_name(typ)}", path)
            return None
        tag, value = resolve(node)
        if tag == "!!null":
            return None
        if kind == "string":
            return node.value if tag != "!!binary" else value
        if kind == "int":
            if tag == "!!int" and -(2**63) <= value <= MAX_INT:
                return value
            if tag == "!!float" and value == value and abs(value) <= MAX_INT:
                return int(value)
        if kind == "bool":
            if tag == "!!bool":
                return value
            if tag == "!!str" and value in _YES:
                return True
            if tag == "!!str" and value in _NO:
                return False
        self._error(node, f"cannot unmarshal {tag}{_short(node.value)} into {self.type_name(typ)}", path)
        return None

    def _list(self, node: Any, typ: str, path: Path) -> Any:
        name = node.__class__.__name__
        if name == "ScalarNode" and resolve(node)[0] == "!!null":
            return None
        if name != "SequenceNode":
            tag = "!!map" if name == "MappingNode" else resolve(node)[0]
            value = _short(node.value) if name == "ScalarNode" else ""
            self._error(node, f"cannot unmarshal {tag}{value} into {self.type_name(typ)}", path)
            return None
        # go-yaml drops a null item of a struct or string list (it cannot set the zero value)
        items = [
            item
            for item in node.value
            if not (item.__class__.__name__ == "ScalarNode" and resolve(item)[0] == "!!null")
        ]
        return [self.decode(item, typ[2:], path + (i,)) for i, item in enumerate(items)]

    def _struct(self, node: Any, struct: str, path: Path) -> Any:
        name = node.__class__.__name__
        if name == "ScalarNode" and resolve(node)[0] == "!!null":
            if path:
                # Butane's position tree has a null where its struct is (vcontext's warning)
                self.null_structs.append((path, *position(node)))
            return None
        if name != "MappingNode":
            tag = "!!seq" if name == "SequenceNode" else resolve(node)[0]
            value = _short(node.value) if name == "ScalarNode" else ""
            self._error(node, f"cannot unmarshal {tag}{value} into {self.type_name(struct)}", path)
            return None
        known = dict(self.fields(struct))
        out: dict[str, Any] = {}
        seen: dict[str, int] = {}
        for key_node, value_node, merged in self._pairs(node):
            if key_node.__class__.__name__ != "ScalarNode":
                tag = "!!seq" if key_node.__class__.__name__ == "SequenceNode" else "!!map"
                self._error(key_node, f"cannot unmarshal {tag} into string", path)
                continue
            key = key_node.value
            if not merged:
                line = position(key_node)[0]
                if key in seen:
                    self._error(key_node, f'mapping key "{key}" already defined at line {seen[key]}', path + (key,))
                    continue
                seen[key] = line
                self.key_positions[path + (key,)] = position(key_node)
            if key not in known:
                if not merged:
                    self.unused.append((path + (key,), *position(key_node), key))
                continue
            if merged and key in out:
                continue
            # Butane's position tree has no place for a merged value: it is reported at the
            # mapping that merged it
            self._hidden += merged
            try:
                value = self.decode(value_node, known[key], path + (key,))
            finally:
                self._hidden -= merged
            if value is not None:
                out[key] = value
            elif merged is False:
                out.pop(key, None)
        return out

    def _pairs(self, node: Any) -> list[tuple[Any, Any, bool]]:
        """The mapping's own pairs, then those its `<<` merge keys bring (own keys win)."""
        own: list[tuple[Any, Any, bool]] = []
        merged: list[tuple[Any, Any, bool]] = []
        for key_node, value_node in node.value:
            if key_node.__class__.__name__ == "ScalarNode" and key_node.value == "<<" and not key_node.style:
                # go-yaml merges; Butane still reports the `<<` key itself as unused
                own.append((key_node, value_node, False))
                sources = value_node.value if value_node.__class__.__name__ == "SequenceNode" else [value_node]
                for source in sources:
                    if source.__class__.__name__ == "MappingNode":
                        alias = self._count(source)
                        self._depth += alias
                        try:
                            for k, v, _ in self._pairs(source):
                                self._count(k)  # go-yaml decodes each merged key and value
                                self._count(v)
                                merged.append((k, v, True))
                        finally:
                            self._depth -= alias
                continue
            own.append((key_node, value_node, False))
        own_keys = {k.value for k, _, _ in own if k.__class__.__name__ == "ScalarNode"}
        return own + [p for p in merged if p[0].value not in own_keys]


def _ratio(decoded: int) -> float:
    if decoded <= 400_000:
        return 0.99
    if decoded >= 4_000_000:
        return 0.10
    return 0.10 + (0.99 - 0.10) * (1 - (decoded - 400_000) / 3_600_000)
