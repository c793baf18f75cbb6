"""Generated input to `parse`: only ConfigError ever comes out (or a Config).

Four sources: random bytes, random JSON, configs shaped like the model with values of
random (often wrong) types, and mutations of the examples. Bounded: a fixed number of
examples per test and a per-example deadline; no database, so the tree stays clean.
"""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ignite.config import model
from ignite.config.codec import OBJECT, OBJECT_LIST, SCALAR_LIST, field_specs
from ignite.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = [p.read_bytes() for p in sorted((REPO / "examples").glob("*.ign"))]
VERSIONS = ["3.0.0", "3.1.0", "3.2.0", "3.3.0", "3.4.0", "3.5.0", "3.6.0", "3.7.0-experimental",
            "2.0.0", "2.1.0", "2.2.0", "2.3.0", "2.4.0", "3.4.0-experimental", "", "3.0", "9.9.9"]

FUZZ = settings(max_examples=150, deadline=timedelta(seconds=5), database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def check(data: bytes) -> None:
    from ignite.config.parse import parse

    try:
        config = parse(data, source="fuzz")
    except ConfigError as e:
        assert str(e)  # the error can be shown to a person
        return
    assert isinstance(config, model.Config)


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**65), max_value=2**65),
                         st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=20)

# Values that are plausible for Ignition fields, so the validator's deeper rules are reached.
interesting_strings = st.one_of(
    st.sampled_from(["", "/", "/etc/x", "relative", "/a/../b", "/a//b", "http://e.com/x", "https://[::1",
                     "data:,x", "data:;base64,!!", "s3://b/k?versionId=", "arn:aws:s3:::b/k", "gs://b/o",
                     "tftp://h/f", "ftp://h/f", "sha512-00", "sha256-" + "a" * 64, "gzip", "xz", "ext4", "xfs",
                     "swap", "vfat", "btrfs", "none", "virtiofs", "raid1", "linear", "a.service", "a.conf",
                     "[Service]\nExecStart=/bin/true\n", "[Unit", "tpm2", "{}", "{nope", "a:b", "x" * 300,
                     "0FC63DAF-8483-4772-8E79-3D69D8477DE4", "\x00", "\u00e9"]),
    st.text(max_size=12))


def _value_for(spec, depth: int) -> st.SearchStrategy:
    if spec.kind == OBJECT:
        return _object(spec.cls, depth + 1)
    if spec.kind == OBJECT_LIST:
        return st.lists(_object(spec.cls, depth + 1), max_size=3)
    if spec.kind == SCALAR_LIST:
        return st.lists(interesting_strings, max_size=3)
    return st.one_of(interesting_strings, st.integers(min_value=-5, max_value=10_000), st.booleans(), st.none())


def _object(cls: type, depth: int = 0) -> st.SearchStrategy:
    if depth > 6:
        return st.just({})
    fields = {spec.key: _value_for(spec, depth) for spec in field_specs(cls)}
    keyed = st.fixed_dictionaries({}, optional=fields)
    # now and then a wrong type where an object should be
    return st.one_of(keyed, keyed, keyed, json_scalars)


@st.composite
def model_shaped(draw) -> bytes:
    cfg = draw(_object(model.Config))
    if not isinstance(cfg, dict):
        cfg = {}
    ignition = cfg.get("ignition") if isinstance(cfg.get("ignition"), dict) else {}
    cfg["ignition"] = {**ignition, "version": draw(st.sampled_from(VERSIONS))}
    return json.dumps(cfg).encode()


@st.composite
def mutated_example(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(EXAMPLES)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "delete", "insert", "truncate", "json"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "delete" and data:
            del data[pos:pos + draw(st.integers(1, 8))]
        elif op == "insert":
            data[pos:pos] = draw(
                st.sampled_from(
                    [b"{", b"}", b"[", b"]", b",", b'"', b"\\", b"null", b"1e400", b"\xff", b"\xef\xbb\xbf"]
                )
            )
        elif op == "truncate":
            del data[pos:]
        elif op == "json":
            return _mutate_json(draw, json.loads(bytes(data)) if _is_json(bytes(data)) else {})
    return bytes(data)


def _is_json(data: bytes) -> bool:
    try:
        json.loads(data)
        return True
    except ValueError:
        return False


def _mutate_json(draw, obj) -> bytes:
    """Replace one value somewhere in the tree with random JSON, keeping the rest."""
    node = obj
    for _ in range(draw(st.integers(0, 5))):
        children = (
            list(node.items()) if isinstance(node, dict) else list(enumerate(node)) if isinstance(node, list) else []
        )
        if not children:
            break
        key, child = draw(st.sampled_from(children))
        if not isinstance(child, (dict, list)) or draw(st.booleans()):
            node[key] = draw(json_values)
            break
        node = child
    return json.dumps(obj).encode()


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes(data):
    check(data)


@FUZZ
@given(json_values, st.sampled_from(VERSIONS))
def test_random_json(value, version):
    check(json.dumps(value).encode())
    check(json.dumps({"ignition": {"version": version}, "storage": value, "x": value}).encode())


@FUZZ
@given(model_shaped())
def test_model_shaped_configs(data):
    check(data)


@FUZZ
@given(mutated_example())
def test_mutated_examples(data):
    check(data)


def test_examples_parse():
    """The seeds themselves: the mutations start from configs that parse."""
    from ignite.config.parse import parse

    for data in EXAMPLES:
        assert isinstance(parse(data), model.Config)
