"""Validation reports: every error and warning, with its JSON path and source position."""
from __future__ import annotations

from ignite.config.record import Record
from ignite.errors import format_path as format_path  # the one JSON path formatter, re-exported

PathElem = str | int
JsonPath = tuple[PathElem, ...]

ERROR = "error"
WARNING = "warning"
INFO = "info"
DEPRECATED = "deprecated"


class Entry(Record):
    """One finding, immutable: a config Record (not a dataclass, whose import with inspect
    and ast would cost every fetch stage ~6 ms of start-up)."""

    kind: str = ERROR
    message: str = ""
    path: JsonPath = ()
    line: int | None = None
    column: int | None = None

    def at(self, line: int, column: int) -> Entry:
        """A copy located in the source."""
        return Entry(self.kind, self.message, self.path, line, column)

    @property
    def is_error(self) -> bool:
        return self.kind == ERROR

    def describe(self) -> str:
        where = f"line {self.line} col {self.column}, " if self.line is not None else ""
        return f"{self.message} ({where}at {format_path(self.path)})"


class Report:
    """Every finding, in order. A plain class: a Record is frozen, a report grows."""

    __slots__ = ("entries",)

    def __init__(self, entries: list[Entry] | None = None) -> None:
        self.entries: list[Entry] = [] if entries is None else entries

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self.entries == other.entries

    __hash__ = None  # type: ignore[assignment]  # mutable, as the dataclass was

    def __repr__(self) -> str:
        return f"Report(entries={self.entries!r})"

    def add(self, kind: str, message: str, path: JsonPath = ()) -> None:
        self.entries.append(Entry(kind, message, tuple(path)))

    def error(self, message: str, path: JsonPath = ()) -> None:
        self.add(ERROR, message, path)

    def warning(self, message: str, path: JsonPath = ()) -> None:
        self.add(WARNING, message, path)

    def extend(self, other: Report) -> None:
        self.entries.extend(other.entries)

    def errors(self) -> list[Entry]:
        return [e for e in self.entries if e.is_error]

    def warnings(self) -> list[Entry]:
        return [e for e in self.entries if not e.is_error]

    @property
    def is_fatal(self) -> bool:
        return any(e.is_error for e in self.entries)
