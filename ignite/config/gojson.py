"""Go's encoding/json decoding rules that the structural pass, the positions index and
version detection share: case-insensitive field names and decoding an object twice.
A leaf module: it imports nothing, so jsonpos and versions need not load structure."""
from __future__ import annotations


def fold_key(key: str) -> str:
    """Go's case-insensitive match for field names: ASCII case folding plus the two
    non-ASCII runes Go folds onto ASCII letters (KELVIN SIGN -> k, LONG S -> s)."""
    if key.isascii():
        return key.lower()
    return "".join("k" if c == "\u212a" else "s" if c == "\u017f" else c.lower() if c.isascii() else c
                   for c in key)


def merge_objects(first: dict, second: dict) -> dict:
    """Go's decoding of a second object into the struct a first one filled: the second's
    keys win, objects under the same key merge the same way, null clears. Iterative: the
    objects may nest as deep as JSON allows (10000)."""
    merged = dict(first)
    todo = [(merged, second)]
    while todo:
        out, src = todo.pop()
        for key, value in src.items():
            previous = out.get(key)
            if type(previous) is dict and type(value) is dict:
                inner = dict(previous)
                out[key] = inner
                todo.append((inner, value))
            elif value is None:
                out.pop(key, None)
            else:
                out[key] = value
    return merged
