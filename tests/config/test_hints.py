"""ignite's hints beside Ignition's verdicts: what to write instead of a stale experimental
version, and decimal-looking modes said in words. The verdicts stay 2.14's."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from ignite.config.parse import parse, parse_report
from ignite.config.rules.common import DECIMAL_LOOKING_MODES, hint_decimal_mode
from ignite.errors import ConfigError

ORACLE = Path(__file__).resolve().parents[2] / ".cache" / "ignition" / "usr" / "bin" / "ignition-validate"


def config(version: str, **parts) -> bytes:
    return json.dumps({"ignition": {"version": version}, **parts}).encode()


@pytest.mark.parametrize("version, release", [("3.6.0-experimental", "3.6.0"), ("3.2.0-experimental", "3.2.0"),
                                              ("2.2.0-experimental", "2.2.0"), ("2.3.0-experimental", "2.3.0")])
def test_stale_experimental_version_says_what_to_use(version, release):
    result = parse_report(config(version))
    assert not result.valid and result.error == "unsupported config version"
    [hint] = result.report.warnings()
    assert (
        hint.message == f'{version} is no longer accepted; {release} is now stable: change the version to "{release}"'
    )
    assert hint.path == ("ignition", "version") and hint.line == 1
    with pytest.raises(ConfigError) as err:
        parse(config(version))
    assert str(err.value) == f"unsupported config version ({hint.message})"


def test_versions_beyond_the_newest_name_the_newest():
    [hint] = parse_report(config("3.8.0-experimental")).report.warnings()
    assert '"3.6.0"' in hint.message and '"3.7.0-experimental"' in hint.message


def test_current_experimental_and_unknown_old_versions_get_no_hint():
    assert parse_report(config("3.7.0-experimental")).valid
    assert parse_report(config("2.5.0")).report.warnings() == []


def test_the_hint_in_the_issue_word_for_word():
    assert hint_decimal_mode(755) == ("mode 755 is decimal, which is 0o1363 (sticky, -wxrw--wx); "
                                      "for rwxr-xr-x write 493 (0o755)")


@pytest.mark.parametrize("mode", sorted(DECIMAL_LOOKING_MODES))
def test_every_usual_suspect_is_said_in_words(mode):
    meant = int(str(mode), 8)
    hint = hint_decimal_mode(mode)
    assert hint is not None and hint.startswith(f"mode {mode} is decimal, which is {oct(mode)} (")
    assert hint.endswith(f"write {meant} ({oct(meant)})")
    for version in ("3.3.0", "3.6.0"):
        result = parse_report(config(version, storage={"files": [{"path": "/a", "mode": mode}],
                                                       "directories": [{"path": "/d", "mode": mode}]}))
        assert result.valid
        assert sorted(e.path for e in result.report.warnings() if e.message == hint) == [
            ("storage", "directories", 0, "mode"), ("storage", "files", 0, "mode")]
    legacy = parse_report(config("2.2.0", storage={"files": [{"filesystem": "root", "path": "/a", "mode": mode}]}))
    assert legacy.valid and hint in [e.message for e in legacy.report.warnings()]


@pytest.mark.parametrize("mode", [420, 493, 0o600, 0o644, 0, 7777])
def test_octal_meant_modes_get_no_hint(mode):
    assert hint_decimal_mode(mode) is None


@pytest.mark.skipif(not ORACLE.exists(), reason="needs the Ignition 2.14 oracle (make oracle)")
@pytest.mark.parametrize("data", [
    config("3.3.0", storage={"files": [{"path": "/a", "mode": 755}]}),
    config("3.2.0-experimental"),
    config("3.5.0-experimental"),
])
def test_verdicts_stay_those_of_ignition(data, tmp_path):
    path = tmp_path / "c.ign"
    path.write_bytes(data)
    oracle = subprocess.run([str(ORACLE), str(path)], capture_output=True, timeout=60)
    assert parse_report(data).valid == (oracle.returncode == 0)
