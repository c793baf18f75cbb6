"""A power loss during the files stage: /run is wiped (the state, the config cache, and
what used to hold the journal), and the journal in the target keeps only what was synced.
The rerun, on a fresh /run, finishes exactly as one clean run (appends not repeated), or
refuses with a message saying what the interrupted run had finished. Also: account names
reach shadow-utils after `--`."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from files_helpers import (
    data,
    diff_manifests,
    finished_steps,
    lose_power_after,
    power_loss_root,
    require_root_user,
    run_ignite,
    tree_without_journal,
)

from ignite.errors import NodeError


@pytest.fixture(autouse=True)
def _root_user() -> None:
    require_root_user()


def config() -> dict[str, Any]:
    return {
        "ignition": {"version": "3.4.0"},
        "passwd": {"users": [{"name": "core", "sshAuthorizedKeys": ["ssh-ed25519 AAAA core"]}]},
        "storage": {
            "directories": [{"path": "/srv/d", "mode": 0o750}],
            "files": [{"path": f"/srv/d/f{i}", "contents": {"source": data(b"%d\n" % i)}} for i in range(6)]
                     + [{"path": "/etc/motd", "append": [{"source": data(b"one\n")}, {"source": data(b"two\n")}]}],
            "links": [{"path": "/srv/link", "target": "d/f0"}],
        },
        "systemd": {"units": [{"name": "a.service", "contents": "[Service]\nExecStart=/bin/true\n", "enabled": True}]},
    }


def test_rerun_after_power_loss_at_every_step_equals_a_clean_run(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = config()
    reference = power_loss_root(work / "ref")
    keys = finished_steps(monkeypatch, cfg, reference, work / "ref-w")
    expected = tree_without_journal(reference)
    assert "files.6" in keys and "units.0" in keys
    for index, key in enumerate(keys):
        root = power_loss_root(work / f"r{index}")
        lose_power_after(monkeypatch, key, cfg, root, work / f"w{index}")
        run_ignite(cfg, root, work / f"w{index}-again")
        problems = diff_manifests(tree_without_journal(root), expected)
        assert not problems, f"power lost at {key}:\n" + "\n".join(problems[:20])
        assert (root / "etc/motd").read_text() == "existing\none\ntwo\n"


def test_a_file_the_interrupted_run_made_is_made_again_whatever_it_holds(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The snapshot says /srv/d/f1 was not there before: the interrupted run made it, so a
    rerun writes it again, as one clean run would, whatever it holds now."""
    cfg = config()
    root = power_loss_root(work / "root")
    lose_power_after(monkeypatch, "files.3", cfg, root, work / "w")
    (root / "srv/d/f1").write_text("someone else's\n")
    run_ignite(cfg, root, work / "w2")
    assert (root / "srv/d/f1").read_text() == "1\n"


def test_a_file_that_was_there_before_is_refused_on_the_rerun_too(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One the snapshot lists was there before the first run: refused, as a clean run
    refuses it (the first run had not reached it when the power went)."""
    cfg = config()
    root = power_loss_root(work / "root")
    (root / "srv/d").mkdir(parents=True)
    (root / "srv/d/f5").write_text("before\n")
    lose_power_after(monkeypatch, "files.3", cfg, root, work / "w")
    with pytest.raises(NodeError, match="A file exists there already and overwrite is false") as info:
        run_ignite(cfg, root, work / "w2")
    assert "/srv/d/f5" in str(info.value)
    assert (root / "srv/d/f5").read_text() == "before\n"


def test_without_a_journal_an_existing_file_is_refused_as_upstream(work: Path) -> None:
    root = power_loss_root(work / "root")
    (root / "srv/d").mkdir(parents=True)
    (root / "srv/d/f0").write_text("0\n")
    with pytest.raises(NodeError, match="A file exists there already and overwrite is false"):
        run_ignite(config(), root, work / "w")


def test_account_names_come_after_double_dash() -> None:
    from files_helpers import config_of

    from ignite.system.users import group_args, user_args

    cfg = config_of({"ignition": {"version": "3.4.0"}, "passwd": {
        "users": [{"name": "core", "groups": ["wheel"], "homeDir": "/home/core"}],
        "groups": [{"name": "team", "gid": 5}]}})
    for exists in (False, True):
        _, argv = user_args(Path("/r"), cfg.passwd.users[0], exists)
        assert argv[-2:] == ["--", "core"]
        _, argv = group_args(Path("/r"), cfg.passwd.groups[0], exists)
        assert argv[-2:] == ["--", "team"]
