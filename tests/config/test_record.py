"""The model's frozen records behave as the frozen dataclasses they replace, and stay cheap."""
from __future__ import annotations

import pickle
import subprocess
import sys

import pytest

from ignite.config import model
from ignite.config.record import FrozenRecordError, fields, replace


def test_defaults_keywords_and_positions():
    r = model.Resource(source="data:,x")
    assert (r.source, r.compression, r.http_headers) == ("data:,x", None, ())
    assert model.HTTPHeader("a", "b") == model.HTTPHeader(name="a", value="b")
    with pytest.raises(TypeError, match="unexpected arguments: sauce"):
        model.Resource(sauce="x")
    with pytest.raises(TypeError, match="at most 2 positional"):
        model.HTTPHeader("a", "b", "c")


def test_frozen_equal_hashable_and_replace():
    a = model.File(path="/a", mode=420)
    with pytest.raises(FrozenRecordError):
        a.path = "/b"  # type: ignore[misc]
    b = replace(a, mode=493)
    assert (a.mode, b.mode, b.path) == (420, 493, "/a")
    assert a == model.File(path="/a", mode=420) and a != b
    assert len({a, model.File(path="/a", mode=420), b}) == 2
    # records of different types never compare equal, even with the same values
    assert model.NodeUser(id=1) != model.NodeGroup(id=1)


def test_legacy_fields_are_marked():
    legacy = {f.name for f in fields(model.Partition) if f.legacy}
    assert legacy == {"size_sectors", "start_sectors"}
    assert model.Partition().size_sectors is None


def test_pickle_round_trip():
    c = model.Config(storage=model.Storage(files=(model.File(path="/a"),)))
    assert pickle.loads(pickle.dumps(c)) == c


def test_reading_the_model_imports_no_dataclasses():
    # Every boot stage reads the cached config: the model must stay cheap to import.
    code = "import sys, ignite.config.codec; print('dataclasses' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_type_checkers_see_the_model(tmp_path):
    """Record's dataclass_transform: mypy rejects a misspelled field and knows what
    replace() and parse() return, with no cost at run time (see test_startup.py)."""
    from mypy import api
    snippet = tmp_path / "snippet.py"
    snippet.write_text(
        "from ignite.config.model import Partition\n"
        "from ignite.config.parse import parse\n"
        "from ignite.config.record import replace\n"
        "a = Partition(numbr=1)\n"
        "b: int = replace(Partition(), number=2)\n"
        "c: int = parse(b'')\n"
    )
    out, _, code = api.run([str(snippet), "--no-incremental", "--ignore-missing-imports"])
    assert code == 1
    assert 'snippet.py:4: error: Unexpected keyword argument "numbr" for "Partition"' in out
    assert 'snippet.py:5: error: Incompatible types in assignment (expression has type "Partition"' in out
    assert 'snippet.py:6: error: Incompatible types in assignment (expression has type "Config"' in out
