"""YAML text -> a tree of PyYAML nodes with positions, read the way Butane's go-yaml v3 reads it.

PyYAML (libyaml's parser when present) only composes: no constructor runs and no implicit
type is resolved here, so YAML 1.1's readings (`yes`, `0644` as octal, `<<` merges) are not
applied behind our back; decode.py resolves each scalar by go-yaml v3's rules against the
field it lands in. Aliases stay shared nodes (a billion-laughs document composes in linear
time and memory); the decoder bounds how much it expands them.
"""
from __future__ import annotations

import re
from typing import Any

# Plain and quoted scalars both get this tag; explicit tags (`!!str`, `!!int`) keep theirs.
UNTAGGED = "!butane-untagged"
MAX_BYTES = 16 * 1024 * 1024
MAX_EVENTS = 200_000
SCAN_ABOVE = 256 * 1024  # smaller documents cannot hold MAX_EVENTS worth of memory


class YamlError(Exception):
    """Malformed YAML (or too large to read): message, 1-based line and column."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def _loader_class() -> type:
    import yaml

    base = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader

    class Loader(base):  # type: ignore[misc, valid-type]  # a base chosen at run time (libyaml's if built)
        yaml_implicit_resolvers: dict[str, Any] = {}
        DEFAULT_SCALAR_TAG = UNTAGGED

    return Loader


def _count_events(text: str, loader_class: type) -> None:
    """Refuses a document of more than MAX_EVENTS YAML events before composing it: composed
    nodes cost a few hundred bytes each, events are streamed."""
    import yaml

    loader = loader_class(text)
    count = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            count += 1
            if count > MAX_EVENTS:
                line, column = event.start_mark.line + 1, event.start_mark.column + 1
                raise YamlError(
                    f"Butane config has more than {MAX_EVENTS} YAML nodes; ignite reads no more", line, column
                )
    except yaml.MarkedYAMLError:
        return  # compose() reports it with its position
    finally:
        loader.dispose()


def position(node: Any) -> tuple[int, int]:
    mark = node.start_mark
    return mark.line + 1, mark.column + 1


def compose(text: str) -> Any:
    """The first document's root node (None for an empty stream), like go-yaml's Decode."""
    data = text.encode("utf-8", "surrogatepass")
    if len(data) > MAX_BYTES:
        line = text.count("\n", 0, MAX_BYTES) + 1
        raise YamlError(f"Butane config is {len(data)} bytes, more than the {MAX_BYTES} ignite reads", line, 1)
    try:
        import yaml
    except ImportError:
        raise YamlError("Butane configs need PyYAML, which is not installed") from None

    loader_class = _loader_class()
    if len(data) > SCAN_ABOVE:
        _count_events(text, loader_class)
    loader = loader_class(text)
    try:
        return loader.get_node() if loader.check_node() else None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problem = e.problem or e.context or "malformed YAML"
        if mark is None:
            raise YamlError(problem) from None
        if problem == "found undefined alias":  # libyaml's message does not name it
            alias = re.match(
                r"\*([^\s,\[\]{}]+)",
                text.splitlines()[mark.line][mark.column :] if mark.line < len(text.splitlines()) else "",
            )
            if alias:
                problem = f"unknown anchor '{alias.group(1)}' referenced"
        raise YamlError(problem, mark.line + 1, mark.column + 1) from None
    except yaml.YAMLError as e:
        raise YamlError(str(e)) from None
    finally:
        loader.dispose()
