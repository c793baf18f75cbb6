"""Between the model's dataclasses and JSON-shaped dicts.

`from_json` trusts its input: it is fed configs that parse() has already validated
and upgraded, or the cached config a previous stage wrote. It never imports jsonschema.
"""
from __future__ import annotations

import dataclasses
import sys
import types
import typing
from functools import cache
from typing import Any, TypeVar

from ignite.config import model
from ignite.config.model import json_name

T = TypeVar("T")

# Field kinds
_SCALAR, _OBJECT, _OBJECT_LIST, _SCALAR_LIST = range(4)


@dataclasses.dataclass(frozen=True, slots=True)
class FieldSpec:
    attr: str
    key: str
    kind: int
    cls: type | None
    legacy: bool
    optional: bool


@cache
def field_specs(cls: type) -> tuple[FieldSpec, ...]:
    hints = typing.get_type_hints(cls, vars(sys.modules[cls.__module__]))
    specs = []
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        origin = typing.get_origin(hint)
        args = typing.get_args(hint)
        optional = origin in (typing.Union, types.UnionType) and type(None) in args
        if origin is tuple:
            inner = args[0]
            if dataclasses.is_dataclass(inner):
                kind, sub = _OBJECT_LIST, inner
            else:
                kind, sub = _SCALAR_LIST, None
        elif dataclasses.is_dataclass(hint):
            kind, sub = _OBJECT, hint
        else:
            kind, sub = _SCALAR, None
        specs.append(FieldSpec(f.name, json_name(f.name), kind, sub, bool(f.metadata.get("legacy")), optional))
    return tuple(specs)


def from_json(cls: type[T], data: dict[str, Any] | None) -> T:
    """Builds `cls` from a dict with canonical JSON keys. Unknown keys are ignored."""
    if not data:
        return cls()
    kwargs = {}
    for spec in field_specs(cls):
        value = data.get(spec.key)
        if value is None:
            continue
        if spec.kind == _OBJECT:
            value = from_json(spec.cls, value)
        elif spec.kind == _OBJECT_LIST:
            value = tuple(from_json(spec.cls, item) for item in value)
        elif spec.kind == _SCALAR_LIST:
            value = tuple(value)
        kwargs[spec.attr] = value
    return cls(**kwargs)


def to_json(obj: Any, *, legacy: bool = True) -> dict[str, Any]:
    """A dict of the set fields: None, empty lists and all-default objects are left out.

    With legacy=False, the legacy-only fields are left out (see `legacy_fields`)."""
    out: dict[str, Any] = {}
    for spec in field_specs(type(obj)):
        if spec.legacy and not legacy:
            continue
        value = getattr(obj, spec.attr)
        if spec.kind == _OBJECT:
            value = to_json(value, legacy=legacy)
            if not value:
                continue
        elif spec.kind == _OBJECT_LIST:
            if not value:
                continue
            value = [to_json(item, legacy=legacy) for item in value]
        elif spec.kind == _SCALAR_LIST:
            if not value:
                continue
            value = list(value)
        elif value is None:
            continue
        elif not spec.optional and value == spec_default(type(obj), spec.attr):
            continue
        out[spec.key] = value
    return out


@cache
def spec_default(cls: type, attr: str) -> Any:
    return {f.name: f.default for f in dataclasses.fields(cls)}[attr]


def legacy_fields(obj: Any, path: tuple = ()) -> list[tuple[tuple, Any]]:
    """Every legacy-only field that is set, as (JSON path, value): what 3.x JSON cannot say."""
    found = []
    for spec in field_specs(type(obj)):
        value = getattr(obj, spec.attr)
        if spec.legacy:
            if value is not None:
                found.append((path + (spec.key,), value))
        elif spec.kind == _OBJECT:
            found.extend(legacy_fields(value, path + (spec.key,)))
        elif spec.kind == _OBJECT_LIST:
            for i, item in enumerate(value):
                found.extend(legacy_fields(item, path + (spec.key, i)))
    return found


def config_from_json(data: dict[str, Any]) -> model.Config:
    return from_json(model.Config, data)
