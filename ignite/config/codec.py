"""Between the model's records and JSON-shaped dicts.

`from_json` trusts its input: it is fed configs that parse() has already validated
and upgraded, or the cached config a previous stage wrote. It never imports jsonschema.
"""
from __future__ import annotations

import sys

from ignite.config import model
from ignite.config.model import json_name
from ignite.config.record import Record, fields, is_record

TYPE_CHECKING = False  # not typing's: 3 ms of every stage's start-up
if TYPE_CHECKING:
    from typing import Any, TypeVar

    T = TypeVar("T")


class FieldSpec:
    """How one field of a record class goes to and from JSON. (Not a namedtuple: the
    collections and functools imports cost every stage's start-up ~2 ms.)"""

    __slots__ = ("attr", "key", "kind", "cls", "legacy", "optional")

    def __init__(self, attr: str, key: str, kind: int, cls: type | None, legacy: bool, optional: bool) -> None:
        self.attr, self.key, self.kind, self.cls, self.legacy, self.optional = attr, key, kind, cls, legacy, optional

    def __repr__(self) -> str:
        return (f"FieldSpec(attr={self.attr!r}, key={self.key!r}, kind={self.kind!r}, cls={self.cls!r}, "
                f"legacy={self.legacy!r}, optional={self.optional!r})")

# Field kinds
SCALAR, OBJECT, OBJECT_LIST, SCALAR_LIST = range(4)


def _field_specs(cls: type) -> tuple[FieldSpec, ...]:
    # The model's annotations are strings (`str | None`, `tuple[File, ...]`, `Ignition`):
    # reading them directly avoids importing typing's evaluation machinery at every start.
    namespace = vars(sys.modules[cls.__module__])
    specs = []
    for f in fields(cls):
        hint = f.annotation
        optional = hint.endswith(" | None")
        base = hint.removesuffix(" | None")
        if base.startswith("tuple["):
            inner = namespace.get(base[len("tuple[") :].split(",")[0].strip())
            kind, sub = (OBJECT_LIST, inner) if _is_record_class(inner) else (SCALAR_LIST, None)
        elif _is_record_class(namespace.get(base)):
            kind, sub = OBJECT, namespace[base]
        else:
            kind, sub = SCALAR, None
        specs.append(FieldSpec(f.name, json_name(f.name), kind, sub, f.legacy, optional))
    return tuple(specs)


_SPECS: dict[type, tuple[FieldSpec, ...]] = {}


def field_specs(cls: type) -> tuple[FieldSpec, ...]:
    """The field specs of a record class, computed once per class."""
    specs = _SPECS.get(cls)
    if specs is None:
        specs = _SPECS[cls] = _field_specs(cls)
    return specs


def _is_record_class(obj: Any) -> bool:
    return isinstance(obj, type) and is_record(obj)


def from_json(cls: type[T], data: dict[str, Any] | None) -> T:
    """Builds `cls` from a dict with canonical JSON keys. Unknown keys are ignored."""
    if not data:
        return cls()
    kwargs = {}
    for spec in field_specs(cls):
        value = data.get(spec.key)
        if value is None:
            continue
        # spec.cls is the record class for the object kinds (None only for scalars)
        if spec.kind == OBJECT:
            value = from_json(spec.cls, value)  # type: ignore[arg-type]
        elif spec.kind == OBJECT_LIST:
            value = tuple(from_json(spec.cls, item) for item in value)  # type: ignore[arg-type]
        elif spec.kind == SCALAR_LIST:
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
        if spec.kind == OBJECT:
            value = to_json(value, legacy=legacy)
            if not value:
                continue
        elif spec.kind == OBJECT_LIST:
            if not value:
                continue
            value = [to_json(item, legacy=legacy) for item in value]
        elif spec.kind == SCALAR_LIST:
            if not value:
                continue
            value = list(value)
        elif value is None:
            continue
        elif not spec.optional and value == spec_default(type(obj), spec.attr):
            continue
        out[spec.key] = value
    return out


def spec_default(cls: type[Record], attr: str) -> Any:
    return cls._record_defaults[attr]


def legacy_fields(obj: Any, path: tuple = ()) -> list[tuple[tuple, Any]]:
    """Every legacy-only field that is set, as (JSON path, value): what 3.x JSON cannot say."""
    found = []
    for spec in field_specs(type(obj)):
        value = getattr(obj, spec.attr)
        if spec.legacy:
            if value is not None:
                found.append((path + (spec.key,), value))
        elif spec.kind == OBJECT:
            found.extend(legacy_fields(value, path + (spec.key,)))
        elif spec.kind == OBJECT_LIST:
            for i, item in enumerate(value):
                found.extend(legacy_fields(item, path + (spec.key, i)))
    return found


def config_from_json(data: dict[str, Any]) -> model.Config:
    return from_json(model.Config, data)
