"""`ignite plan` fails as the files stage fails when a node cannot be made where its path
leads: a file in the way of a directory the stage must make (in the root before, or made
by an earlier entry), a hard link to a directory or through a file, a write through a
symlink the run itself made. Each case plans (what `ignite plan` runs), then runs the
stage on the same root, and both must raise the same error. Found by random configs
against Ignition 2.14, which refuses each of them too."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from files_helpers import config_of, make_root, run_ignite, work  # noqa: F401 (fixture)

from ignite.errors import IgniteError, NodeError, RootEscapeError


def storage(**sections: Any) -> dict[str, Any]:
    return {"ignition": {"version": "3.3.0"}, "storage": sections}


def data(text: str) -> dict[str, str]:
    return {"source": "data:," + text}


def fails(work: Path, config: dict[str, Any], prepare=lambda root: None) -> IgniteError:  # noqa: F811
    from ignite.plan import stage_operations

    root = make_root(work / "root")
    prepare(root)
    with pytest.raises(IgniteError) as planned:
        stage_operations("files", config_of(config), root, {})
    with pytest.raises(IgniteError) as actual:
        run_ignite(config, root, work / "ignite")
    assert (type(planned.value), str(planned.value)) == (type(actual.value), str(actual.value))
    return actual.value


def test_a_file_below_a_file_already_in_the_root(work: Path) -> None:  # noqa: F811
    def planted(root: Path) -> None:
        (root / "opt").write_text("a file\n")

    error = fails(work, storage(files=[{"path": "/opt/f", "contents": data("x")}]), planted)
    assert isinstance(error, NodeError) and str(error) == "/opt: a non-directory is in the way of a needed directory"


def test_a_directory_below_a_file_an_earlier_entry_writes(work: Path) -> None:  # noqa: F811
    config = storage(files=[{"path": "/opt", "contents": data("x")}], directories=[{"path": "/opt/f/g"}])
    error = fails(work, config)
    assert str(error) == "/opt: a non-directory is in the way of a needed directory"


def test_a_hard_link_to_a_directory_the_stage_makes_as_a_parent(work: Path) -> None:  # noqa: F811
    config = storage(links=[{"path": "/etc/a/b", "target": "/etc/a", "hard": True}])
    error = fails(work, config)
    assert str(error) == f"/etc/a/b: error creating /etc/a/b: {os.strerror(1)} (at $.storage.links.0)"


def test_a_hard_link_whose_target_lies_below_a_file(work: Path) -> None:  # noqa: F811
    def planted(root: Path) -> None:
        (root / "opt").write_text("a file\n")

    config = storage(links=[{"path": "/etc/h", "target": "/opt/f", "hard": True}])
    error = fails(work, config, planted)
    assert str(error) == f"/etc/h: error creating /etc/h: {os.strerror(20)} (at $.storage.links.0)"


def test_a_write_through_a_link_the_run_made_leaving_the_root(work: Path) -> None:  # noqa: F811
    """The file's path was resolved before the run made /etc/a (through the dangling link
    /etc/d/x -> ../a): when it is written, /etc/a is a link to the host's /opt/f."""
    def planted(root: Path) -> None:
        (root / "etc/d").mkdir()
        os.symlink("../a", root / "etc/d/x")

    config = storage(files=[{"path": "/etc/d/x/y", "contents": data("x")}],
                     links=[{"path": "/etc/a", "target": "/opt/f"}])
    error = fails(work, config, planted)
    assert isinstance(error, RootEscapeError) and "would be written through /opt/f, outside" in str(error)
