"""What ignite keeps outside the target and may hold a secret (the state with persisted
LUKS keys, the config cache, /run/ignition) is 0600 in 0700 directories, and stays so
when rewritten by any stage."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from ignite.stages import StageContext

KEYS = {"luksPersistKeyFiles": {"data": "data:;base64,c2VjcmV0"}}


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


@pytest.fixture(autouse=True)
def _umask() -> None:
    old = os.umask(0o022)  # the initramfs's
    yield
    os.umask(old)


def test_mount_notate_keeps_the_state_private(tmp_path: Path) -> None:
    from ignite.stages.mount import _notate

    state = tmp_path / "run/ignition/state"
    state.parent.mkdir(parents=True, mode=0o700)
    state.write_text(json.dumps(KEYS))
    state.chmod(0o600)
    _notate(StageContext(stage="mount", state_file=state), ["/var/srv"])
    assert mode(state) == 0o600
    saved = json.loads(state.read_text())
    assert saved["notatedDirectories"] == ["/var/srv"] and saved["luksPersistKeyFiles"] == KEYS["luksPersistKeyFiles"]


def test_a_state_rewritten_is_0600_whatever_it_was(tmp_path: Path) -> None:
    from ignite.stages import state

    path = tmp_path / "state"
    path.write_text("{}")
    path.chmod(0o644)
    state.write(path, dict(KEYS))
    assert mode(path) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name != "state"]  # no temporary left


def test_neednet_creates_run_ignition_0700(tmp_path: Path) -> None:
    from ignite.stages.fetch import signal_neednet

    run = tmp_path / "run/ignition"
    signal_neednet(StageContext(stage="fetch", neednet_file=run / "neednet", state_file=run / "state"))
    assert (run / "neednet").exists()
    assert mode(run) == 0o700
    assert mode(run.parent) == 0o700


def test_persisted_luks_key_is_0600_in_a_0700_directory(tmp_path: Path) -> None:
    from ignite.stages.disks_luks import _persist_key

    state = tmp_path / "run/ignition/state"
    _persist_key(state, "data", b"secret")
    assert mode(state.parent) == 0o700 and mode(state) == 0o600
    assert json.loads(state.read_text())["luksPersistKeyFiles"]["data"].startswith("data:")


def test_config_cache_is_0600_in_a_0700_directory(tmp_path: Path) -> None:
    from ignite.config.codec import config_from_json
    from ignite.stages.cache import save_config

    cache = tmp_path / "run/cache/ignition.json"
    save_config(StageContext(stage="fetch", config_cache=cache), config_from_json({"ignition": {"version": "3.4.0"}}))
    assert mode(cache.parent) == 0o700 and mode(cache) == 0o600

