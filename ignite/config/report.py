"""Validation reports: every error and warning, with its JSON path and source position."""
from __future__ import annotations

from dataclasses import dataclass, field

from ignite.errors import format_path as format_path  # the one JSON path formatter, re-exported

PathElem = str | int
JsonPath = tuple[PathElem, ...]

ERROR = "error"
WARNING = "warning"
INFO = "info"
DEPRECATED = "deprecated"


@dataclass(frozen=True, slots=True)
class Entry:
    kind: str
    message: str
    path: JsonPath = ()
    line: int | None = None
    column: int | None = None

    @property
    def is_error(self) -> bool:
        return self.kind == ERROR

    def describe(self) -> str:
        where = f"line {self.line} col {self.column}, " if self.line is not None else ""
        return f"{self.message} ({where}at {format_path(self.path)})"


@dataclass(slots=True)
class Report:
    entries: list[Entry] = field(default_factory=list)

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
