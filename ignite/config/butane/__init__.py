"""Butane configs, accepted wherever an Ignition config is (as Ignition 2.27 accepts them).

Detection follows upstream: a config is Ignition JSON first; only text that is not JSON and
looks like Butane (a top-level `variant:` key) is translated here. This package is imported
only then: a JSON config never pays for YAML.

At boot the translation is non-strict and has no files directory, so `local` references
and `storage.trees` fail; `ignite translate --files-dir` gives one, as `butane -d` does.
"""
from __future__ import annotations

import re

_VARIANT_KEY = re.compile(rb"^(?:\xef\xbb\xbf)?[\"']?variant[\"']?[ \t]*:", re.MULTILINE)
# A YAML flow mapping whose first key is an unquoted variant: not JSON (which quotes keys).
_FLOW_VARIANT = re.compile(rb"^\{\s*variant\s*:")


def looks_like_butane(data: bytes) -> bool:
    """YAML-looking with a top-level `variant:` key; JSON-looking text (`{` or `[` first)
    is not, unless it is a YAML flow mapping starting with an unquoted `variant:`."""
    head = data.lstrip(b" \t\r\n")
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:].lstrip(b" \t\r\n")
    if head[:1] in (b"{", b"["):
        return _FLOW_VARIANT.match(head) is not None
    return _VARIANT_KEY.search(data) is not None


def is_butane_input(data: bytes) -> bool:
    """For `ignite translate`: YAML-looking Butane, or a JSON object that names a variant and
    has no `ignition` section (Butane written as JSON)."""
    if looks_like_butane(data):
        return True
    if b'"variant"' not in data:
        return False
    import json

    try:
        obj = json.loads(data)
    except ValueError:
        return False
    return isinstance(obj, dict) and "variant" in obj and "ignition" not in obj
