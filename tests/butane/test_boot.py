"""Butane configs where ignite reads configs at boot: the user config of a provider, merge
and replace children fetched by URL, base configs; translated non-strict, without a files
directory. Real fetch stages against a server on 127.0.0.1."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from answer_server import serving
from ignite.config.parse import parse, parse_report
from ignite.errors import ConfigError
from ignite.stages import StageContext, run_stage

CHILD = b"""variant: fcos
version: 1.4.0
storage:
  files:
    - path: /etc/from-child
      mode: 0600
      contents:
        inline: child
"""


@pytest.fixture
def system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    dirs = {}
    for env, name in (("IGNITION_SYSTEM_RUNTIME_CONFIG_DIR", "run"), ("IGNITION_SYSTEM_LOCAL_CONFIG_DIR", "etc"),
                      ("IGNITION_SYSTEM_CONFIG_DIR", "usr")):
        dirs[name] = tmp_path / "sys" / name
        monkeypatch.setenv(env, str(dirs[name]))
    return dirs


@pytest.fixture
def server() -> Iterator[tuple[str, dict[str, bytes]]]:
    with serving() as served:
        yield served.url, served.files


def boot_ctx(tmp_path: Path, stage: str, config: bytes) -> StageContext:
    (tmp_path / "cmdline").write_text("\n")
    user = tmp_path / "user.bu"
    user.write_bytes(config)
    return StageContext(
        stage=stage, root=tmp_path / "root", platform="file",
        config_cache=tmp_path / "run" / "ignition.json", state_file=tmp_path / "run" / "ignition" / "state",
        neednet_file=tmp_path / "run" / "ignition" / "neednet", cmdline_file=tmp_path / "cmdline",
        config_file=user, fetch_timeout=10,
    )


def test_a_butane_user_config_merges_a_butane_child_fetched_by_url(tmp_path: Path, system, server) -> None:
    base, routes = server
    routes["/child.bu"] = CHILD
    user = f"""variant: fcos
version: 1.5.0
ignition:
  config:
    merge:
      - source: {base}/child.bu
storage:
  files:
    - path: /etc/from-parent
      contents:
        inline: parent
""".encode()
    run_stage(boot_ctx(tmp_path, "fetch-offline", user))
    assert not (tmp_path / "run" / "ignition.json").exists()  # a remote child: needs the network
    run_stage(boot_ctx(tmp_path, "fetch", user))
    cache = json.loads((tmp_path / "run" / "ignition.json").read_bytes())
    files = {f["path"]: f for f in cache["storage"]["files"]}
    assert files["/etc/from-parent"]["contents"]["source"] == "data:,parent"
    assert files["/etc/from-child"]["mode"] == 0o600


def test_a_butane_base_config_is_merged_under_the_user_config(tmp_path: Path, system) -> None:
    (system["usr"] / "base.d").mkdir(parents=True)
    (system["usr"] / "base.d" / "10-vendor.bu").write_bytes(CHILD)
    ctx = boot_ctx(tmp_path, "fetch-offline", b"variant: flatcar\nversion: 1.1.0\n")
    run_stage(ctx)
    full = boot_ctx(tmp_path, "files", b"").config()
    assert [f.path for f in full.storage.files] == ["/etc/from-child"]


def test_local_and_trees_fail_at_boot_with_the_yaml_position(tmp_path: Path) -> None:
    local = b"variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /a\n      contents:\n        local: x\n"
    result = parse_report(local)
    assert not result.valid and result.error == "Butane config: source config is invalid"
    [entry] = result.report.errors()
    assert (entry.line, entry.column, entry.path) == (7, 16, ("storage", "files", 0, "contents", "local"))
    assert "files directory" in entry.message
    trees = b"variant: fcos\nversion: 1.5.0\nstorage:\n  trees:\n    - local: tree\n"
    [entry] = parse_report(trees).report.errors()
    assert (entry.line, entry.path) == (5, ("storage", "trees", 0)) and "--files-dir" in entry.message


def test_openshift_and_rhcos_are_refused_at_boot() -> None:
    for text in (b"variant: openshift\nversion: 4.14.0\n", b"variant: rhcos\nversion: 0.1.0\n"):
        with pytest.raises(ConfigError) as e:
            parse(text)
        assert "Butane config" in e.value.message


def test_a_field_the_version_lacks_is_a_positioned_warning_at_boot_and_an_error_when_strict() -> None:
    """grub arrived in fcos 1.5.0: butane (and so ignite) warns `unused key grub` and
    translates the rest; --strict refuses it."""
    text = b"variant: fcos\nversion: 1.4.0\ngrub:\n  users:\n    - name: root\n      password_hash: x\n"
    result = parse_report(text)
    assert result.valid
    [warning] = result.report.warnings()
    assert (warning.line, warning.column, warning.path, warning.message) == (3, 1, ("grub",), "butane: unused key grub")
    from ignite.config.butane.translate import translate

    strict = translate(text.decode(), strict=True)
    assert strict.config is None and "strict" in (strict.error or "")


def test_json_looking_configs_keep_their_json_errors() -> None:
    result = parse_report(b'{"variant": "fcos",\n "version": "1.5.0",}')
    assert not result.valid and result.error == "config is not valid"
    [entry] = result.report.errors()
    assert "yaml" not in entry.message and entry.line == 2
    # Valid JSON that is not an Ignition config but names a variant is Butane, as upstream
    # (which tries Butane whenever the Ignition parse fails): Butane reads JSON as YAML.
    result = parse_report(
        b'{"variant": "fcos", "version": "1.5.0", "storage": {"files": [{"path": "/a", "mode": 420}]}}'
    )
    assert result.valid and result.config.storage.files[0].mode == 420
    result = parse_report(b'{"variant": "fcos", "version": "9.9.9"}')
    assert not result.valid and result.error.startswith("Butane config: ")
    # an Ignition config with a stray variant key stays an Ignition config
    result = parse_report(b'{"ignition": {"version": "3.4.0"}, "variant": "fcos"}')
    assert result.valid and [e.message for e in result.report.warnings()] == ["unused key variant"]


@pytest.mark.parametrize("text, butane", [
    (b"variant: fcos\nversion: 1.5.0\n", True),
    (b"\xef\xbb\xbfvariant: fcos\nversion: 1.5.0\n", True),
    (b"# a comment\nversion: 1.5.0\nvariant: fcos\n", True),
    (b"{variant: fcos, version: 1.5.0}", True),  # a YAML flow mapping is not JSON
    (b'{"variant": "fcos", "version": "1.5.0",}', False),  # JSON with a syntax error
    (b"ignition:\n  version: 3.4.0\n", False),  # YAML, but not Butane
    (b"storage:\n  files:\n    - variant: x\n", False),  # not a top-level key
])
def test_which_parse_is_meant(text: bytes, butane: bool) -> None:
    from ignite.config.butane import looks_like_butane

    assert looks_like_butane(text) is butane
    result = parse_report(text)
    said_butane = (result.error or "").startswith("Butane config") or any(
        e.message.startswith("butane: ") for e in result.report.entries)
    if butane:  # read as Butane: these are valid, so nothing is said at all
        assert result.valid, result.error or [e.message for e in result.report.entries]
    else:  # read as JSON: whatever is wrong is not blamed on Butane
        assert not said_butane, result.error or [e.message for e in result.report.entries]


def test_ignite_apply_loads_butane_with_a_butane_child_as_the_fetch_stage_does(tmp_path: Path) -> None:
    import urllib.parse

    from ignite.apply import load

    child = "data:," + urllib.parse.quote(CHILD.decode())
    path = tmp_path / "c.bu"
    path.write_text(f"variant: r4e\nversion: 1.1.0\nignition:\n  config:\n    merge:\n      - source: \"{child}\"\n"
                    "storage:\n  links:\n    - path: /etc/l\n      target: /etc/from-child\n")
    config = load(path)
    assert [f.path for f in config.storage.files] == ["/etc/from-child"]
    assert [link.path for link in config.storage.links] == ["/etc/l"]
