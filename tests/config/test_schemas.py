"""The shipped JSON Schemas: generated, valid draft 2020-12, each version its own fields,
and jsonschema's verdict on structure agrees with structure.py's."""
from __future__ import annotations

import copy
import importlib.util
from pathlib import Path
from typing import Any

import pytest

from ignite.config import codec, model
from ignite.config.schemas import SCHEMA_DIR, load_schema, schema_path
from ignite.config.structure import compiled, normalize
from ignite.config.versions import LEGACY_V2, V1, V3

REPO = Path(__file__).resolve().parents[2]
ALL_VERSIONS = (V1, *LEGACY_V2, *V3)


def gen_schemas():
    spec = importlib.util.spec_from_file_location("gen_schemas", REPO / "tools" / "gen_schemas.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_3x_schema_files_are_what_the_generator_writes():
    gen = gen_schemas()
    assert gen.VERSIONS == V3
    stale = [v for v in V3 if Path(SCHEMA_DIR, f"{v}.json").read_text() != gen.render(v)]
    assert not stale, f"run `python tools/gen_schemas.py`: {stale}"


def test_schemas_ship_inside_the_package():
    import ignite

    packaged = Path(ignite.__file__).parent / "schemas"
    for version in ALL_VERSIONS:
        assert (packaged / Path(schema_path(version)).name).is_file(), version


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_every_schema_is_valid_draft_2020_12(version):
    from jsonschema import Draft202012Validator

    schema = load_schema(version)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(Path(schema_path(version)).name)
    Draft202012Validator.check_schema(schema)


def schema_fields(node, prefix: str = "") -> set[str]:
    """Every field path of a compiled schema, e.g. `storage.files[].contents.source`."""
    out = set()
    for key, sub in (node.props or {}).items():
        path = f"{prefix}{key}"
        out.add(path)
        if sub.items is not None:
            out |= schema_fields(sub.items, f"{path}[].")
        out |= schema_fields(sub, f"{path}.")
    return out


def model_fields(cls: type, prefix: str = "") -> set[str]:
    out = set()
    for spec in codec.field_specs(cls):
        if spec.legacy:
            continue
        path = f"{prefix}{spec.key}"
        out.add(path)
        if spec.kind == codec.OBJECT:
            out |= model_fields(spec.cls, f"{path}.")
        elif spec.kind == codec.OBJECT_LIST:
            out |= model_fields(spec.cls, f"{path}[].")
    return out


def test_the_newest_schema_has_exactly_the_models_fields():
    assert schema_fields(compiled("3.6.0")) == model_fields(model.Config)
    assert schema_fields(compiled("3.7.0-experimental")) == model_fields(model.Config)


# docs/spec/config.md#versions: where each field first appears, and fields that changed shape.
SINCE = {
    "ignition.proxy.noProxy": "3.1.0",
    "ignition.config.merge[].httpHeaders[].name": "3.1.0",
    "storage.files[].contents.httpHeaders": "3.1.0",
    "storage.files[].append[].httpHeaders": "3.1.0",
    "ignition.security.tls.certificateAuthorities[].compression": "3.1.0",
    "storage.filesystems[].mountOptions": "3.1.0",
    "storage.luks[].clevis.custom.needsNetwork": "3.2.0",
    "storage.luks[].keyFile.source": "3.2.0",
    "storage.disks[].partitions[].resize": "3.2.0",
    "passwd.users[].shouldExist": "3.2.0",
    "passwd.groups[].shouldExist": "3.2.0",
    "kernelArguments.shouldNotExist": "3.3.0",
    "storage.luks[].clevis.tang[].advertisement": "3.4.0",
    "storage.luks[].discard": "3.4.0",
    "storage.luks[].openOptions": "3.4.0",
    "storage.luks[].cex.enabled": "3.5.0",
}


@pytest.mark.parametrize("field", sorted(SINCE))
def test_fields_appear_in_their_version(field):
    first = V3.index(SINCE[field])
    for i, version in enumerate(V3):
        assert (field in schema_fields(compiled(version))) == (i >= first), version


def type_at(version: str, *keys: str) -> list[str] | str:
    schema = load_schema(version)
    node = schema["$defs"][keys[0]]
    return node["properties"][keys[1]]["type"]


def test_fields_that_changed_shape():
    assert type_at("3.0.0", "CaReference", "source") == "string"
    assert type_at("3.1.0", "Resource", "source") == ["string", "null"]
    assert type_at("3.2.0", "Luks", "clevis") == ["object", "null"]
    assert type_at("3.3.0", "Luks", "clevis") == "object"
    assert type_at("3.2.0", "ClevisCustom", "pin") == "string"
    assert type_at("3.3.0", "ClevisCustom", "pin") == ["string", "null"]
    assert type_at("3.2.0", "Raid", "level") == "string"
    assert type_at("3.3.0", "Raid", "level") == ["string", "null"]
    assert type_at("3.2.0", "Link", "target") == "string"
    assert type_at("3.3.0", "Link", "target") == ["string", "null"]
    assert type_at("3.0.0", "Partition", "number") == "integer"


def test_the_experimental_schema_is_the_newest_one_under_another_name():
    newest, experimental = load_schema("3.6.0"), load_schema("3.7.0-experimental")
    assert newest["$defs"] == experimental["$defs"]


# --- jsonschema and structure.py agree on structure ---------------------------------

def sample(node) -> Any:
    """A value of `node` with every field set."""
    if node.props is not None:
        return {key: sample(sub) for key, sub in node.props.items()}
    if node.items is not None:
        return [sample(node.items)]
    first = node.type_names.split(" or ")[0]
    return {"string": "x", "integer": 1, "boolean": True, "object": {}, "array": []}[first]


def paths(value: Any, node, prefix: tuple = ()) -> list[tuple[tuple, Any]]:
    """(path, compiled node) of every value under `value`, parents before children."""
    out = []
    if isinstance(value, dict) and node.props is not None:
        for key, sub in node.props.items():
            out.append((prefix + (key,), sub))
            out.extend(paths(value[key], sub, prefix + (key,)))
    elif isinstance(value, list) and node.items is not None:
        for i, item in enumerate(value):
            out.append((prefix + (i,), node.items))
            out.extend(paths(item, node.items, prefix + (i,)))
    return out


def set_at(doc: Any, path: tuple, value: Any) -> None:
    for key in path[:-1]:
        doc = doc[key]
    doc[path[-1]] = value


# 1.0 is left out on purpose: jsonschema counts it as an integer, Go (and ignite) do not;
# test_structure and the oracle tests cover that.
WRONG = ["s", 7, 1.5, True, [], {}, None]


def jsonschema_error_paths(validator, doc) -> tuple[set[tuple], set[tuple]]:
    types, unknown = set(), set()
    for error in validator.iter_errors(doc):
        path = tuple(error.absolute_path)
        if error.validator == "additionalProperties":
            unknown |= {path + (k,) for k in doc_at(doc, path) if k not in error.schema.get("properties", {})}
        elif error.validator == "type":
            types.add(path)
        # other keywords (pattern, enum, ...) document value rules the semantic validator owns
    return types, unknown


def doc_at(doc: Any, path: tuple) -> Any:
    for key in path:
        doc = doc[key]
    return doc


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_jsonschema_and_structure_agree_on_wrong_types_and_unknown_keys(version):
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(load_schema(version))
    root = compiled(version)
    full = sample(root)
    all_paths = paths(full, root)
    assert jsonschema_error_paths(validator, full) == (set(), set())
    assert not normalize(full, version)[1].entries
    depth = max(len(p) for p, _ in all_paths)
    checked = 0
    for wrong in WRONG:
        # one document per depth: the paths at one depth are disjoint subtrees
        for level in range(1, depth + 1):
            doc = copy.deepcopy(full)
            mutated = []
            for path, node in all_paths:
                if len(path) != level:
                    continue
                if wrong is None and (node.types is None or type(None) not in node.types):
                    continue  # null for a value field: Go and ignite take it as absent, the schema says no
                set_at(doc, path, copy.deepcopy(wrong))
                mutated.append(path)
            if not mutated:
                continue
            schema_types, _ = jsonschema_error_paths(validator, doc)
            _, report = normalize(doc, version)
            ours = {e.path for e in report.errors()}
            assert ours == schema_types, (version, wrong, level)
            checked += len(mutated)
    # unknown keys everywhere: jsonschema's additionalProperties are exactly our warnings
    doc = copy.deepcopy(full)
    objects = [()] + [p for p, n in all_paths if n.props is not None]
    for path in objects:
        doc_at(doc, path)["zzUnknown"] = 1
    _, unknown = jsonschema_error_paths(validator, doc)
    _, report = normalize(doc, version)
    assert {e.path for e in report.warnings()} == unknown == {p + ("zzUnknown",) for p in objects}
    assert not report.errors()
    assert checked > 100
