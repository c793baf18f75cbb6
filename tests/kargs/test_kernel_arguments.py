"""The kargs stage against a real helper executable that records its argv."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ignite.config import codec
from ignite.errors import StageError
from ignite.stages import StageContext, kargs


def _ctx(tmp_path: Path, config: dict) -> StageContext:
    ctx = StageContext(stage="kargs", root=tmp_path / "root", config_cache=tmp_path / "cache.json")
    ctx.set_config(codec.config_from_json(config))
    return ctx


@pytest.fixture
def helper(tmp_path, monkeypatch):
    """A helper that logs its arguments as JSON and exits with $HELPER_EXIT."""
    log = tmp_path / "argv.json"
    script = tmp_path / "ignite-kargs-helper"
    script.write_text(
        "#!/usr/bin/env python3\nimport json, os, sys\n"
        f"open({str(log)!r}, 'w').write(json.dumps(sys.argv[1:]))\n"
        "print('changed, would reboot')\n"
        "sys.stderr.write(os.environ.get('HELPER_ERR', ''))\n"
        "sys.exit(int(os.environ.get('HELPER_EXIT', '0')))\n"
    )
    script.chmod(0o755)
    monkeypatch.setenv("IGNITE_TOOL_KARGS_HELPER", str(script))
    return log


def test_arguments_in_upstream_order(tmp_path, helper):
    cfg = {"ignition": {"version": "3.3.0"},
           "kernelArguments": {"shouldExist": ["console=ttyS0,115200", "quiet splash"],
                               "shouldNotExist": ["nomodeset", "rd.debug"]}}
    kargs.run(_ctx(tmp_path, cfg))
    assert json.loads(helper.read_text()) == [
        "--should-exist", "console=ttyS0,115200", "--should-exist", "quiet splash",
        "--should-not-exist", "nomodeset", "--should-not-exist", "rd.debug",
    ]


def test_only_should_not_exist(tmp_path, helper):
    cfg = {"ignition": {"version": "3.3.0"}, "kernelArguments": {"shouldNotExist": ["a"]}}
    kargs.run(_ctx(tmp_path, cfg))
    assert json.loads(helper.read_text()) == ["--should-not-exist", "a"]


def test_nothing_to_do_runs_no_helper(tmp_path, helper):
    kargs.run(_ctx(tmp_path, {"ignition": {"version": "3.3.0"}}))
    kargs.run(_ctx(tmp_path, {"ignition": {"version": "3.3.0"}, "kernelArguments": {}}))
    assert not helper.exists()


def test_helper_failure_is_a_readable_stage_error(tmp_path, helper, monkeypatch):
    monkeypatch.setenv("HELPER_EXIT", "1")
    monkeypatch.setenv("HELPER_ERR", "kernel arguments are not supported on this distribution\n")
    cfg = {"ignition": {"version": "3.3.0"}, "kernelArguments": {"shouldExist": ["x=1"]}}
    with pytest.raises(StageError) as err:
        kargs.run(_ctx(tmp_path, cfg))
    msg = str(err.value)
    assert "kargs" in msg and "$.kernelArguments" in msg
    assert "not supported on this distribution" in msg and "exit code 1" in msg


def test_missing_helper_is_a_readable_stage_error(tmp_path, monkeypatch):
    monkeypatch.setenv("IGNITE_TOOL_KARGS_HELPER", str(tmp_path / "nowhere" / "helper"))
    cfg = {"ignition": {"version": "3.3.0"}, "kernelArguments": {"shouldExist": ["x=1"]}}
    with pytest.raises(StageError, match="not installed"):
        kargs.run(_ctx(tmp_path, cfg))


def test_stage_via_the_cli(tmp_path, helper):
    """`ignite run --stage kargs` reads the cache the fetch stages wrote."""
    from ignite.cli import main
    from ignite.stages.cache import save_config

    cfg = codec.config_from_json({"ignition": {"version": "3.3.0"},
                                  "kernelArguments": {"shouldExist": ["mitigations=off"]}})
    save_config(StageContext(stage="fetch", config_cache=tmp_path / "cache.json"), cfg)
    rc = main(["run", "--stage", "kargs", "--platform", "file", "--root", str(tmp_path),
               "--config-cache", str(tmp_path / "cache.json"), "--state-file", str(tmp_path / "state")])
    assert rc == 0
    assert json.loads(helper.read_text()) == ["--should-exist", "mitigations=off"]
    assert os.stat(tmp_path / "cache.json").st_mode & 0o777 == 0o600
