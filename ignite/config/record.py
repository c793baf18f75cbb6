"""Frozen records for the config model: what `@dataclass(frozen=True)` gives the model
(keyword and positional construction, defaults, equality, hashing, repr, immutability,
`replace`), without generating and compiling code for every class.

Why not dataclasses: they compile half a dozen functions per class, about 0.7 ms each
class, so the model's ~40 classes cost ~30 ms at import — paid by every boot stage,
each its own process. Here the methods are shared and a class costs microseconds.

Every field of a record has a default (the spec's zero value or None), so a record can
always be built from a partial dict.
"""
from __future__ import annotations

TYPE_CHECKING = False  # not typing's: 3 ms of every stage's start-up
if TYPE_CHECKING:
    from typing import Any, ClassVar, TypeVar, dataclass_transform

    R = TypeVar("R", bound="Record")
    T = TypeVar("T")
else:

    def dataclass_transform(**_: object) -> object:
        """typing.dataclass_transform is for type checkers only: here it changes nothing."""
        return lambda cls: cls


class FrozenRecordError(AttributeError):
    pass


class LegacyDefault:
    """A field's default, marked: the field exists only for a v1/2.x meaning (see model.py)."""

    __slots__ = ("default",)

    def __init__(self, default: Any = None) -> None:
        self.default = default


def legacy(*, default: T) -> T:
    """`name: str | None = legacy(default=None)`: the field's default, marked as legacy-only. Typed
    as the default itself, so the model's declarations type-check."""
    return LegacyDefault(default)  # type: ignore[return-value]


class Field:
    __slots__ = ("name", "default", "annotation", "legacy")

    def __init__(self, name: str, default: Any, annotation: str, legacy: bool) -> None:
        self.name = name
        self.default = default
        self.annotation = annotation
        self.legacy = legacy

    def __repr__(self) -> str:
        return f"Field({self.name!r}, default={self.default!r}, annotation={self.annotation!r})"


@dataclass_transform(frozen_default=True, field_specifiers=(legacy,))
class Record:
    """A frozen record; type checkers see each subclass as a frozen dataclass, so a
    misspelled field in a constructor call is an error there."""

    _record_fields: ClassVar[tuple[Field, ...]] = ()
    _record_defaults: ClassVar[dict[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields = []
        for name, annotation in cls.__dict__.get("__annotations__", {}).items():
            default = cls.__dict__[name]
            is_legacy = isinstance(default, LegacyDefault)
            if is_legacy:
                default = default.default
            fields.append(Field(name, default, annotation, is_legacy))
            delattr(cls, name)  # the instance's own value is always set
        cls._record_fields = tuple(fields)
        cls._record_defaults = {f.name: f.default for f in fields}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        cls = type(self)
        if len(args) > len(cls._record_fields):
            raise TypeError(f"{cls.__name__}() takes at most {len(cls._record_fields)} positional arguments")
        values = self.__dict__
        values.update(cls._record_defaults)
        for f, arg in zip(cls._record_fields, args, strict=False):  # fewer args than fields
            values[f.name] = arg
        if kwargs:
            unknown = kwargs.keys() - cls._record_defaults.keys()
            if unknown:
                raise TypeError(f"{cls.__name__}() got unexpected arguments: {', '.join(sorted(unknown))}")
            values.update(kwargs)

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenRecordError(f"cannot assign to field {name!r} of a frozen {type(self).__name__}")

    def __delattr__(self, name: str) -> None:
        raise FrozenRecordError(f"cannot delete field {name!r} of a frozen {type(self).__name__}")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        # Field order is the insertion order of __init__: the defaults' order.
        return hash((type(self), *self.__dict__.values()))

    def __repr__(self) -> str:
        values = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())
        return f"{type(self).__name__}({values})"

    def __reduce__(self) -> tuple:
        return (_rebuild, (type(self), dict(self.__dict__)))


def _rebuild(cls: type[Record], values: dict[str, Any]) -> Record:
    return cls(**values)


def fields(cls_or_record: type[Record] | Record) -> tuple[Field, ...]:
    return cls_or_record._record_fields


def is_record(obj: Any) -> bool:
    cls = obj if isinstance(obj, type) else type(obj)
    return issubclass(cls, Record)


def replace(record: R, **changes: Any) -> R:
    """A copy of `record` with `changes` applied (like dataclasses.replace)."""
    return type(record)(**{**record.__dict__, **changes})
