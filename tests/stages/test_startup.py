"""A boot stage with nothing to do: what it imports (not how long it takes: bench/stages_bench.py
measures that), that it still does what every stage must (the state, as upstream saves it),
and that the fast path is never taken when there is work: in the cached config, in a system
base config, or a platform status hook to call. Plus the runner's shared duties."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ignite import cli, stages
from ignite.config import codec
from ignite.stages import HAS_WORK, STATUS_PLATFORMS, StageContext, run_idle, run_stage

REPO = Path(__file__).resolve().parents[2]
NOOP = {"ignition": {"version": "3.6.0"}}
IDLE_STAGES = ("kargs", "disks", "mount", "umount")
# What a no-op stage must not load: the heavy libraries, the config model, argparse, logging
# and its dependencies, typing, and the stage's own module.
FORBIDDEN = (
    "argparse", "logging", "threading", "traceback", "typing", "dataclasses", "subprocess", "pathlib",
    "requests", "jsonschema", "pyudev", "ignite.config.model", "ignite.config.codec", "ignite.providers",
    "ignite.stages.cache", "ignite.system.run", "ignite.system.udev",
    "yaml", "ignite.config.butane",  # Butane support: only for a config that is not JSON
    "json", "re", "enum",  # json loads re, re loads enum (~7 ms): ignite.jsonio reads and writes JSON without
)
# The start-up-critical modules, listed once: all of ignite that a no-op stage loads, and
# what the files stage (never skipped) adds on an empty config. Only these keep typing out
# of their imports and import late; everything else is ordinary Python.
NOOP_STAGE_MODULES = frozenset({"ignite", "ignite.cli", "ignite.distro", "ignite.entropy", "ignite.errors",
                                "ignite.jsonio", "ignite.record", "ignite.stages", "ignite.stages.state"})
STARTUP_MODULES = NOOP_STAGE_MODULES | {
    "ignite.config", "ignite.config.codec", "ignite.config.gojson", "ignite.config.model", "ignite.config.record",
    "ignite.config.versions", "ignite.log", "ignite.report", "ignite.root", "ignite.stages.cache",
    "ignite.stages.files", "ignite.stages.files_journal", "ignite.stages.files_nodes", "ignite.stages.files_snapshot",
}
# What a files stage with users, units and contents adds, kept as lean (tests/stages/test_files_imports.py).
FILES_WORK_MODULES = frozenset({
    "ignite.stages.files_units", "ignite.stages.files_users", "ignite.stages.files_alongside", "ignite.system.users",
    "ignite.system.run",
    "ignite.providers",
    "ignite.resource", "ignite.resource.pipeline", "ignite.resource.settings", "ignite.resource.data",
    "ignite.resource.decompress", "ignite.config.dataurl", "ignite.progress",
})
# The mount and umount stages run at every boot whose config has a filesystem with a path;
# they are kept as lean (bench/disks_bench.py measures mount+files+umount against 2.14).
LEAN_STAGE_MODULES = frozenset({"ignite.stages.mount", "ignite.stages.umount", "ignite.system.libc",
                                "ignite.system.mounts"})
# The fetch-offline and fetch stages parse, validate, render and cache the config at every
# first boot (tests/stages/test_fetch_imports.py holds them).
FETCH_WORK_MODULES = frozenset({
    "ignite.stages.fetch", "ignite.stages.fetch_setup", "ignite.config.parse", "ignite.config.jsonpos",
    "ignite.config.report",
    "ignite.config.schemas", "ignite.config.validate", "ignite.config.rules.common", "ignite.config.rules.devices",
    "ignite.config.rules.duplicates", "ignite.config.rules.ignition", "ignite.config.rules.limits",
    "ignite.config.rules.storage", "ignite.config.rules.systemd", "ignite.config.unitfile",
    "ignite.config.structure", "ignite.config.merge", "ignite.config.render", "ignite.config.translate.v3",
    # the network fetch stage's transport (test_fetch_imports.py holds its contract)
    "ignite.resource.http", "ignite.resource.httpwire", "ignite.resource.retry",
})


@pytest.fixture(autouse=True)
def system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Empty system config dirs of the test's own (this machine's must not matter)."""
    dirs = {}
    for env, _ in stages.SYSTEM_DIRS:
        dirs[env] = tmp_path / "sys" / env.lower()
        dirs[env].mkdir(parents=True)
        monkeypatch.setenv(env, str(dirs[env]))
    return dirs


def boot_dirs(tmp_path: Path, config: dict) -> dict[str, Path]:
    """A cached config (as the fetch stages write it: rendered by the codec) and a root."""
    run = tmp_path / "run"
    run.mkdir(exist_ok=True)
    (tmp_path / "root").mkdir(exist_ok=True)
    cache = run / "ignition.json"
    cache.write_text(json.dumps(codec.to_json(codec.config_from_json(config))))
    return {"cache": cache, "state": run / "ignition" / "state", "root": tmp_path / "root", "neednet": run / "neednet"}


def run_argv(stage: str, paths: dict[str, Path], platform: str = "file") -> list[str]:
    # As the dracut units call it: --verbose first, --option=value.
    return [
        "--verbose", "run", f"--stage={stage}", f"--platform={platform}", f"--root={paths['root']}",
        "--config-cache", str(paths["cache"]), "--state-file", str(paths["state"]), "--neednet", str(paths["neednet"]),
    ]


def modules_after(argv: list[str], env: dict[str, str] | None = None) -> tuple[int, set[str], str]:
    """Runs `ignite ARGV` in a fresh interpreter without site (as in the initramfs: no
    editable-install finder preloading pathlib and re) and returns its exit code, the
    modules it loaded and its stderr."""
    probe = (
        "import sys\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "from ignite.cli import main\n"
        f"code = main({argv!r})\n"
        "sys.stdout.write(' '.join(sorted(sys.modules)) + '\\n' + str(code))\n"
    )
    done = subprocess.run([sys.executable, "-S", "-c", probe], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})
    assert done.returncode == 0, done.stderr
    modules, code = done.stdout.rsplit("\n", 1)
    return int(code), set(modules.split()), done.stderr


@pytest.mark.parametrize("stage", IDLE_STAGES)
def test_a_noop_stage_imports_nothing_heavy_and_saves_the_state(tmp_path: Path, stage: str) -> None:
    paths = boot_dirs(tmp_path, NOOP)
    code, modules, stderr = modules_after(run_argv(stage, paths))
    assert code == 0, stderr
    assert not modules & set(FORBIDDEN), sorted(modules & set(FORBIDDEN))
    assert {m for m in modules if m.split(".")[0] == "ignite"} == NOOP_STAGE_MODULES
    assert f"ignite: {stage}: nothing to do" in stderr
    state = json.loads(paths["state"].read_text())
    assert state["fetchedConfigs"] == [{"kind": "base", "source": "system", "referenced": False}]
    assert set(state["stageTimings"]) == {stage} and 0 < state["stageTimings"][stage] < 5
    assert all(state[key] is None for key in ("luksPersistKeyFiles", "notatedDirectories", "providerOutputFiles"))
    assert os.stat(paths["state"]).st_mode & 0o777 == 0o600


def test_the_probe_sees_a_stage_with_work_import_its_module(tmp_path: Path) -> None:
    """The import assertion above can fail: a stage with work loads what it needs."""
    paths = boot_dirs(
        tmp_path, {**NOOP, "storage": {"filesystems": [{"device": "/dev/x", "format": "swap", "path": "/swap"}]}}
    )
    code, modules, _ = modules_after(run_argv("mount", paths))
    assert code == 0 and {"ignite.stages.mount", "ignite.config.model", "ignite.stages.cache"} <= modules


def test_a_noop_stage_without_site_still_gets_the_platform_from_the_kernel_command_line(tmp_path: Path) -> None:
    paths = boot_dirs(tmp_path, NOOP)
    cmdline = tmp_path / "cmdline"
    cmdline.write_text("root=/dev/vda ignition.platform.id=qemu quiet\n")
    argv = ["run", "--stage", "disks", "--root", str(paths["root"]), "--config-cache", str(paths["cache"]),
            "--state-file", str(paths["state"]), "--cmdline", str(cmdline)]
    code, modules, stderr = modules_after(argv)
    assert code == 0 and "ignite.stages.disks" not in modules and "ignite.cmdline" not in modules, stderr
    cmdline.write_text("ignition.platform.id=packet\n")  # a status hook to call: the full path
    paths["state"].unlink()
    assert run_idle("disks", config_cache=str(paths["cache"]), state_file=str(paths["state"]), platform=None,
                    cmdline_file=str(cmdline)) is False
    assert not paths["state"].exists()


# --- the predicates agree with the stages ---------------------------------------------

WORK_CONFIGS = [
    NOOP,
    {**NOOP, "kernelArguments": {"shouldExist": ["quiet"]}},
    {**NOOP, "kernelArguments": {"shouldNotExist": ["rhgb"]}},
    {**NOOP, "kernelArguments": {"shouldExist": []}},
    {**NOOP, "storage": {"disks": [{"device": "/dev/vdb", "wipeTable": True}]}},
    {**NOOP, "storage": {"raid": [{"name": "md0", "level": "raid1", "devices": ["/dev/vdb", "/dev/vdc"]}]}},
    {**NOOP, "storage": {"luks": [{"name": "data", "device": "/dev/vdb"}]}},
    {**NOOP, "storage": {"filesystems": [{"device": "/dev/vdb", "format": "ext4"}]}},
    {**NOOP, "storage": {"filesystems": [{"device": "/dev/vdb", "format": "ext4", "path": "/var"}]}},
    {**NOOP, "storage": {"filesystems": [{"device": "/dev/vdb", "format": "swap", "path": "/swap"}]}},
    {**NOOP, "storage": {"files": [{"path": "/etc/motd"}]}, "passwd": {"users": [{"name": "core"}]}},
    {**NOOP, "systemd": {"units": [{"name": "a.service", "enabled": True}]}},
]


def stage_decides(stage: str, config_json: dict) -> bool:
    """What the stage module itself would do with the config: anything, or nothing."""
    config = codec.config_from_json(config_json)
    if stage == "kargs":
        from ignite.stages.kargs import helper_args

        return bool(helper_args(config.kernel_arguments))
    if stage == "disks":
        s = config.storage
        return bool(s.disks or s.raid or s.luks or s.filesystems)
    from ignite.stages.mount import mountable

    return bool(mountable(config.storage.filesystems))


@pytest.mark.parametrize("stage", IDLE_STAGES)
@pytest.mark.parametrize("config", WORK_CONFIGS, ids=range(len(WORK_CONFIGS)))
def test_the_fast_path_sees_all_work_the_stage_would_do(stage: str, config: dict) -> None:
    cached = codec.to_json(codec.config_from_json(config))
    if stage_decides(stage, config):
        assert HAS_WORK[stage](cached)
    if config is NOOP:
        assert not HAS_WORK[stage](cached)


def test_the_predicates_are_exact_where_they_can_be() -> None:
    for config in WORK_CONFIGS:
        cached = codec.to_json(codec.config_from_json(config))
        for stage in ("kargs", "disks"):
            assert HAS_WORK[stage](cached) == stage_decides(stage, config), (stage, config)


@pytest.mark.parametrize("stage", ["fetch-offline", "fetch", "files", "nonsense"])
def test_stages_that_always_have_work_never_take_the_fast_path(tmp_path: Path, stage: str) -> None:
    paths = boot_dirs(tmp_path, NOOP)
    assert not run_idle(stage, config_cache=str(paths["cache"]), state_file=str(paths["state"]), platform="file",
                        cmdline_file="/nonexistent")
    assert not paths["state"].exists()


def test_an_unreadable_cache_goes_the_full_way_and_gets_its_message(tmp_path: Path, capsys) -> None:
    paths = boot_dirs(tmp_path, NOOP)
    paths["cache"].write_text("{not json")
    assert cli.main(run_argv("disks", paths)) == 1
    assert "cannot read the cached config" in capsys.readouterr().err
    assert not paths["state"].exists()  # a failed stage saves no state, as upstream


# --- system base configs --------------------------------------------------------------


@pytest.mark.parametrize(
    ("subdir", "platform", "idle"),
    [
        ("base.d", "file", False),
        ("base.platform.d/file", "file", False),
        ("base.platform.d/aws", "file", True),
        ("base.platform.d/aws", "ec2", False),  # the legacy id of aws
        ("base.platform.d/gcp", None, False),  # platform unknown yet: the full path decides
    ],
)
def test_base_configs_for_this_platform_disable_the_fast_path(
    tmp_path: Path, system, subdir: str, platform: str | None, idle: bool
) -> None:
    paths = boot_dirs(tmp_path, NOOP)
    folder = system["IGNITION_SYSTEM_CONFIG_DIR"] / subdir
    folder.mkdir(parents=True)
    (folder / "10-kargs.ign").write_text(json.dumps({**NOOP, "kernelArguments": {"shouldExist": ["quiet"]}}))
    assert run_idle("kargs", config_cache=str(paths["cache"]), state_file=str(paths["state"]), platform=platform,
                    cmdline_file="/nonexistent") is idle


def test_work_from_a_base_config_is_done(tmp_path: Path, system, monkeypatch) -> None:
    """kargs from base.d reach the helper although the cached user config has none."""
    argv_log = tmp_path / "argv.json"
    helper = tmp_path / "ignite-kargs-helper"
    helper.write_text(
        f"#!{sys.executable}\nimport json, sys\nopen({str(argv_log)!r}, 'w').write(json.dumps(sys.argv[1:]))\n"
    )
    helper.chmod(0o755)
    monkeypatch.setenv("IGNITE_TOOL_KARGS_HELPER", str(helper))
    base = system["IGNITION_SYSTEM_LOCAL_CONFIG_DIR"] / "base.d"
    base.mkdir()
    (base / "10-kargs.ign").write_text(
        json.dumps({"ignition": {"version": "3.3.0"}, "kernelArguments": {"shouldExist": ["quiet"]}})
    )
    paths = boot_dirs(tmp_path, NOOP)
    assert cli.main(run_argv("kargs", paths)) == 0
    assert json.loads(argv_log.read_text()) == ["--should-exist", "quiet"]
    assert json.loads(paths["state"].read_text())["fetchedConfigs"] == [
        {"kind": "base", "source": "system", "referenced": False}
    ]


# --- the runner's shared duties ---------------------------------------------------------


def test_a_stage_freezes_its_modules_objects_before_it_works(tmp_path: Path) -> None:
    """Neither the stage's own collections nor the final ones at exit walk them."""
    import gc

    files = {"storage": {"files": [{"path": "/etc/motd", "contents": {"source": "data:,hi"}}]}}
    paths = boot_dirs(tmp_path, {**NOOP, **files})
    gc.unfreeze()
    try:
        assert cli.main(run_argv("files", paths)) == 0
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_every_stage_timing_reaches_the_files_report(tmp_path: Path) -> None:
    paths = boot_dirs(
        tmp_path, {**NOOP, "storage": {"files": [{"path": "/etc/motd", "contents": {"source": "data:,hi"}}]}}
    )
    for stage in ("kargs", "disks", "mount", "files", "umount"):
        assert cli.main(run_argv(stage, paths)) == 0, stage
    state = json.loads(paths["state"].read_text())
    assert list(state["stageTimings"]) == ["kargs", "disks", "mount", "files", "umount"]
    assert len(state["fetchedConfigs"]) == 5
    report = json.loads((paths["root"] / "etc/ignite/report.json").read_text())
    assert [s["name"] for s in report["stages"]] == ["kargs", "disks", "mount", "files"]
    assert all(s["seconds"] > 0 and s["status"] == "success" for s in report["stages"])
    assert [s.get("idle", False) for s in report["stages"]] == [True, True, True, False]
    assert report["stages"][3]["actions"] == {"write file": 1, "write result file": 1}
    assert (paths["root"] / "etc/motd").read_text() == "hi"


def test_a_failed_stage_saves_no_state(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("IGNITE_TOOL_KARGS_HELPER", str(tmp_path / "nowhere" / "helper"))
    paths = boot_dirs(tmp_path, {**NOOP, "kernelArguments": {"shouldExist": ["quiet"]}})
    assert cli.main(run_argv("kargs", paths)) == 1
    assert not paths["state"].exists()


def test_an_unreadable_state_fails_the_stage_before_it_acts(tmp_path: Path) -> None:
    paths = boot_dirs(tmp_path, {**NOOP, "storage": {"files": [{"path": "/etc/motd"}]}})
    paths["state"].parent.mkdir(parents=True)
    paths["state"].write_text("{broken")
    ctx = StageContext("files", root=paths["root"], config_cache=paths["cache"], state_file=paths["state"])
    from ignite.errors import UsageError

    with pytest.raises(UsageError, match="cannot read the state file"):
        run_stage(ctx)
    assert not (paths["root"] / "etc/motd").exists()


def test_the_state_matches_ignition_after_the_same_noop_stages(tmp_path: Path, oracle_ignition: Path) -> None:
    paths = boot_dirs(tmp_path, {"ignition": {"version": "3.3.0"}})
    theirs = tmp_path / "o-state"
    env = {**os.environ}
    for stage in ("kargs", "disks", "mount", "umount"):
        assert cli.main(run_argv(stage, paths)) == 0
        subprocess.run([str(oracle_ignition), "-platform", "file", "-stage", stage, "-root", str(paths["root"]),
                        "-config-cache", str(paths["cache"]), "-state-file", str(theirs), "-log-to-stdout"],
                       check=True, capture_output=True, env=env, timeout=60)
    ours, ref = json.loads(paths["state"].read_text()), json.loads(theirs.read_text())
    assert ours["fetchedConfigs"] == ref["fetchedConfigs"]
    # 2.14 knows fewer keys than the newest upstream; ignite adds its stageTimings.
    assert set(ref) <= set(ours) and set(ours) - set(ref) <= {
        "providerOutputFiles",
        "luksPersistVolumeKeyFiles",
        "stageTimings",
    }
    assert os.stat(paths["state"]).st_mode & 0o777 == os.stat(theirs).st_mode & 0o777


def test_the_status_table_matches_the_providers() -> None:
    from ignite import providers

    for platform in (*providers.PLATFORMS, *providers.LEGACY):
        has_hook = hasattr(providers.get(platform), "status")
        assert (platform in STATUS_PLATFORMS) == has_hook, platform


class _Metadata(BaseHTTPRequestHandler):
    events: list[dict] = []

    def do_GET(self) -> None:  # noqa: N802
        body = json.dumps({"phone_home_url": f"http://127.0.0.1:{self.server.server_port}/ph/phone-home"}).encode()
        self.send_response(200 if self.path == "/metadata" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802
        self.events.append({"path": self.path, **json.loads(self.rfile.read(int(self.headers["Content-Length"])))})
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def packet(monkeypatch):
    """A local stand-in for Packet's metadata service."""
    _Metadata.events = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Metadata)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("IGNITE_ENDPOINT_PACKET", f"http://127.0.0.1:{server.server_port}")
    try:
        yield _Metadata.events
    finally:
        server.shutdown()
        server.server_close()


def test_packet_hears_of_every_stage_even_a_noop_one(tmp_path: Path, packet, monkeypatch) -> None:
    paths = boot_dirs(tmp_path, {**NOOP, "kernelArguments": {"shouldExist": ["quiet"]}})
    monkeypatch.setenv("IGNITE_TOOL_KARGS_HELPER", str(tmp_path / "nowhere" / "helper"))
    assert cli.main(run_argv("disks", paths, platform="packet")) == 0
    assert cli.main(run_argv("kargs", paths, platform="packet")) == 1
    assert [e["path"] for e in packet] == ["/ph/events", "/ph/events"]
    assert packet[0]["state"] == "running" and packet[0]["message"] == "[disks] Ignition status: finished successfully"
    assert packet[1]["state"] == "failed" and packet[1]["message"].startswith("[kargs] Ignition error: ")
    assert list(json.loads(paths["state"].read_text())["stageTimings"]) == ["disks"]


# --- the hand-parsed command line equals argparse's -------------------------------------

RUN_ARGVS = [
    ["run", "--stage", "disks"],
    ["--verbose", "run", "--stage=disks", "--platform=qemu", "--root=/sysroot"],
    ["run", "--stage", "files", "-v", "--debug", "--root", "/r", "--config-cache", "/c", "--state-file", "/s",
     "--neednet", "/n", "--cmdline", "/k", "--config", "/u.ign", "--fetch-timeout", "7.5"],
    ["--debug", "run", "--stage", "kargs", "--stage", "mount"],
]


def _normalized(args: object) -> dict:
    out = {k: (os.fspath(v) if isinstance(v, os.PathLike) else v) for k, v in vars(args).items()}
    out["verbose"], out["debug"] = out.get("verbose", False), out.get("debug", False)
    return out


@pytest.mark.parametrize("argv", RUN_ARGVS)
def test_quick_run_parsing_equals_argparse(argv: list[str]) -> None:
    quick = cli._quick_args(argv)
    assert quick is not None
    assert _normalized(quick) == _normalized(cli.build_parser().parse_args(argv))


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--help"],
        ["run"],
        ["run", "--stage"],
        ["run", "--stage", "disks", "--unknown", "x"],
        ["run", "--stage", "disks", "--fetch-timeout", "soon"],
        ["translate", "x.ign"],
        ["run", "--stage", "disks", "extra"],
        ["run", "--stag", "disks"],
    ],
)
def test_quick_run_parsing_leaves_the_unusual_to_argparse(argv: list[str]) -> None:
    assert cli._quick_args(argv) is None


@pytest.mark.parametrize("name", [name for name, command in cli.COMMANDS.items() if command.fast])
def test_every_option_of_the_table_parses_the_same_on_both_paths(name: str) -> None:
    """The fast path and argparse are built from one table: every option, given a value."""
    argv = [name]
    for option in cli.COMMANDS[name].options:
        value = option.kind[-1] if isinstance(option.kind, tuple) else "7.5" if option.kind == "float" else "/x"
        argv += [value] if option.positional else [f"{option.flags[-1]}={value}"]
    quick = cli._quick_args(argv)
    assert quick is not None and quick.command == name
    assert _normalized(quick) == _normalized(cli.build_parser().parse_args(argv))


def test_help_and_errors_still_come_from_argparse(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["run", "--help"])
    assert exc.value.code == 0 and "--config-cache" in capsys.readouterr().out
    assert cli.main(["run", "--stage", "disks", "--fetch-timeout", "soon"]) == 2
    assert "--fetch-timeout" in capsys.readouterr().err


# --- the files stage: never skipped, but cheap -----------------------------------------


def test_a_noop_files_stage_writes_the_result_without_logging_typing_or_dataclasses(tmp_path: Path) -> None:
    paths = boot_dirs(tmp_path, NOOP)
    code, modules, stderr = modules_after(run_argv("files", paths))
    assert code == 0, stderr
    heavy = {"logging", "dataclasses", "typing", "argparse", "requests", "jsonschema", "pyudev", "ignite.system.run"}
    assert not modules & heavy
    assert {m for m in modules if m.split(".")[0] == "ignite"} == STARTUP_MODULES
    assert "ignite: files: write result file /etc/.ignition-result.json" in stderr
    result = json.loads((paths["root"] / "etc/.ignition-result.json").read_text())
    assert result["userConfigProvided"] is False
    assert list(json.loads(paths["state"].read_text())["stageTimings"]) == ["files"]


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-S", "-c", f"import sys; sys.path.insert(0, {str(REPO)!r})\n{code}"],
                          capture_output=True, text=True, timeout=60)


def test_cheap_loggers_write_what_logging_would_and_hand_over_once_it_is_loaded() -> None:
    done = run_python(
        "from ignite import log\n"
        "cheap = log.get_logger('ignite.x')\n"
        "log.setup(verbose=True, debug=False)\n"
        "cheap.debug('hidden %s', 1)\n"
        "cheap.info('before %s', 'logging')\n"
        "assert 'logging' not in sys.modules\n"
        "import logging\n"  # as a stage's own module would, later: configured on import
        "logging.getLogger('ignite.y').info('from logging')\n"
        "logging.getLogger('ignite.y').debug('hidden too')\n"
        "cheap.warning('after %d', 2)\n"
        "print(logging.getLogger().handlers[0].formatter._fmt)\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == ["ignite: before logging", "ignite: from logging", "ignite: after 2"]
    assert done.stdout.strip() == "ignite: %(message)s"


def test_without_verbose_only_warnings_are_written() -> None:
    done = run_python(
        "from ignite import log\n"
        "log.setup(verbose=False, debug=False)\n"
        "log.get_logger('ignite.x').info('quiet')\n"
        "log.get_logger('ignite.x').warning('loud')\n"
        "import logging\n"
        "logging.getLogger('ignite.y').info('quiet too')\n"
        "logging.getLogger('ignite.y').warning('loud too')\n"
    )
    assert done.stderr.splitlines() == ["ignite: loud", "ignite: loud too"], done.stderr


def test_only_the_start_up_modules_keep_typing_out() -> None:
    """The start-up tricks stay contained: a module that hides its typing imports (or the
    model's, at check time only) must be one that the boot path loads."""
    tricks = {
        ("ignite." + ".".join(path.relative_to(REPO / "ignite").with_suffix("").parts)).removesuffix(".__init__")
        for path in (REPO / "ignite").rglob("*.py")
        if "TYPE_CHECKING = False" in path.read_text()
    }
    allowed = STARTUP_MODULES | LEAN_STAGE_MODULES | FILES_WORK_MODULES | FETCH_WORK_MODULES
    assert tricks and tricks <= allowed, sorted(tricks - allowed)


def test_validating_json_pays_nothing_for_butane_and_the_probe_sees_butane_load_yaml(tmp_path: Path) -> None:
    """An Ignition JSON config never imports YAML (not even the Butane package); a Butane
    config does (so the first assertion can fail)."""
    ign = tmp_path / "c.ign"
    ign.write_text(json.dumps({"ignition": {"version": "3.4.0"}, "storage": {"files": [{"path": "/etc/a"}]}}))
    code, modules, stderr = modules_after(["validate", str(ign)])
    assert code == 0, stderr
    butane = {"yaml", "_yaml", "ignite.config.butane"}
    assert not modules & butane, sorted(modules & butane)
    bad = tmp_path / "bad.ign"
    bad.write_text('{"ignition": {"version": "3.4.0"},}')
    code, modules, _ = modules_after(["validate", str(bad)])
    assert code == 1 and "yaml" not in modules
    bu = tmp_path / "c.bu"
    bu.write_text("variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/a\n")
    import yaml  # found through site here; the probe runs without site, as in the initramfs

    code, modules, stderr = modules_after(
        ["validate", str(bu)], env={"PYTHONPATH": str(Path(yaml.__file__).parents[1])}
    )
    assert code == 0, stderr
    assert {"yaml", "ignite.config.butane.translate"} <= modules


# --- stages skipped at boot (markers from the fetch stage) -------------------------------


def fetch_offline(tmp_path: Path, config: dict, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """fetch-offline on the `file` platform, as the unit runs it: caches the config."""
    paths = boot_dirs(tmp_path, NOOP)
    paths["cache"].unlink()
    source = tmp_path / "config.ign"
    source.write_text(json.dumps(config))
    monkeypatch.setenv("IGNITION_CONFIG_FILE", str(source))
    assert cli.main(run_argv("fetch-offline", paths)) == 0
    assert paths["cache"].exists()
    return paths


def markers(paths: dict[str, Path]) -> set[str]:
    folder = paths["state"].parent / "idle"
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def test_the_fetch_stage_marks_the_stages_with_nothing_to_do_and_files_records_them(tmp_path, monkeypatch) -> None:
    files = {"storage": {"files": [{"path": "/etc/motd", "contents": {"source": "data:,hi"}}]}}
    paths = fetch_offline(tmp_path, {**NOOP, **files}, monkeypatch)
    assert markers(paths) == {"kargs", "disks", "mount"}
    assert stages.idle_marker(str(paths["state"]), "disks") == str(paths["state"].parent / "idle" / "disks")
    # The state after the fetch stages is upstream's: nothing of the later stages yet.
    state = json.loads(paths["state"].read_text())
    assert list(state["stageTimings"]) == ["fetch-offline"]
    # Started anyway (by hand): it finishes itself, as without a marker.
    assert cli.main(run_argv("disks", paths)) == 0
    # systemd skips kargs and mount; files runs, records them first, and its report tells the truth.
    assert cli.main(run_argv("files", paths)) == 0
    state = json.loads(paths["state"].read_text())
    assert list(state["stageTimings"]) == ["fetch-offline", "disks", "kargs", "mount", "files"]
    assert state["stageTimings"]["kargs"] == 0 and state["stageTimings"]["mount"] == 0
    assert state["fetchedConfigs"].count({"kind": "base", "source": "system", "referenced": False}) == 5
    report = json.loads((paths["root"] / "etc/ignite/report.json").read_text())
    by_name = {s["name"]: s for s in report["stages"]}
    assert list(by_name) == ["fetch-offline", "kargs", "disks", "mount", "files"]
    for name in ("kargs", "disks", "mount"):
        assert by_name[name]["idle"] is True and by_name[name]["status"] == "success"
    assert by_name["kargs"]["seconds"] == 0 and by_name["mount"]["seconds"] == 0
    assert "idle" not in by_name["files"] and (paths["root"] / "etc/motd").read_text() == "hi"
    from ignite import record

    skipped = [e["stage"] for e in record.read(record.path_for(paths["state"])) if e.get("skipped")]
    assert skipped == ["kargs", "mount"]  # disks ran (by hand) and recorded itself, once
    # umount (the mount unit's ExecStop, skipped with it) records nothing twice either.
    assert cli.main(run_argv("umount", paths)) == 0
    assert [e["stage"] for e in record.read(record.path_for(paths["state"]))
            if e.get("event") == "stage"].count("mount") == 1


def test_stages_with_work_are_not_marked_and_stale_markers_go(tmp_path, monkeypatch) -> None:
    idle = tmp_path / "run" / "ignition" / "idle"
    idle.mkdir(parents=True)
    (idle / "mount").write_text("")  # from an earlier fetch stage
    config = {**NOOP, "storage": {"filesystems": [{"device": "/dev/x", "format": "ext4", "path": "/var"}]},
              "kernelArguments": {"shouldExist": ["quiet"]}}
    paths = fetch_offline(tmp_path, config, monkeypatch)
    assert markers(paths) == set()
    assert list(json.loads(paths["state"].read_text())["stageTimings"]) == ["fetch-offline"]


def test_a_system_base_config_or_a_status_hook_marks_nothing(tmp_path, monkeypatch, system) -> None:
    base = system["IGNITION_SYSTEM_LOCAL_CONFIG_DIR"] / "base.d"
    base.mkdir()
    (base / "10-empty.ign").write_text(json.dumps(NOOP))
    (tmp_path / "a").mkdir()
    assert markers(fetch_offline(tmp_path / "a", NOOP, monkeypatch)) == set()
    (base / "10-empty.ign").unlink()
    (tmp_path / "b").mkdir()
    paths = boot_dirs(tmp_path / "b", NOOP)
    assert stages.mark_idle_stages(str(paths["cache"]), str(paths["state"]), "packet", "/nonexistent") == ()
    assert markers(paths) == set()
    paths["cache"].unlink()  # fetch-offline that signalled neednet caches nothing: nothing is decided
    assert stages.mark_idle_stages(str(paths["cache"]), str(paths["state"]), "file", "/nonexistent") == ()


def test_fetch_offline_at_boot_does_the_setup_before_it_reads_any_config(tmp_path, monkeypatch) -> None:
    """The unit sets IGNITE_BOOT_SETUP: the configs left on disk are picked up first (here a
    live image's /config.ign, which as a system user config comes before the platform's)."""
    live = tmp_path / "live.ign"
    live.write_text(json.dumps({"ignition": {"version": "3.4.0"}, "storage": {"files": [{"path": "/etc/live"}]}}))
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev/vda1").write_text("")  # the root device is there: no udev settle
    (tmp_path / "cmdline").write_text("root=/dev/vda1 ignition.platform.id=file\n")
    (tmp_path / "sysblock").mkdir()
    for knob, value in (("IGNITE_BOOT_SETUP", "1"), ("IGNITE_LIVE_CONFIG", str(live)),
                        ("IGNITION_KERNEL_CMDLINE_PATH", str(tmp_path / "cmdline")),
                        ("IGNITE_DEV_DIR", str(tmp_path / "dev")), ("IGNITE_SYS_BLOCK", str(tmp_path / "sysblock")),
                        ("IGNITE_UDEV_QUEUE", str(tmp_path / "no-queue")),
                        ("IGNITE_STATE_DIR", str(tmp_path / "run/ignite")),
                        ("IGNITE_OEM_DEVICE_FILE", str(tmp_path / "none")),
                        ("IGNITE_INITRAMFS_OEM_DIR", str(tmp_path / "none")),
                        ("IGNITION_SYSTEM_RUNTIME_CONFIG_DIR", str(tmp_path / "run/ignition-system")),
                        ("IGNITION_SYSTEM_LOCAL_CONFIG_DIR", str(tmp_path / "none")),
                        ("IGNITION_SYSTEM_CONFIG_DIR", str(tmp_path / "none"))):
        monkeypatch.setenv(knob, value)
    paths = fetch_offline(tmp_path, NOOP, monkeypatch)
    cached = json.loads(paths["cache"].read_text())
    assert [f["path"] for f in cached["storage"]["files"]] == ["/etc/live"]
    assert (tmp_path / "run/ignition-system/user.ign").read_text() == live.read_text()


def test_a_failed_setup_fails_fetch_offline_with_its_cause_on_the_record(tmp_path, monkeypatch, capsys) -> None:
    """Two filesystems labelled OEM: the stage fails before it reads a config, and the boot
    record names the set-up as the cause."""
    (tmp_path / "sys/vda6").mkdir(parents=True)
    (tmp_path / "sys/vdb6").mkdir(parents=True)
    (tmp_path / "udev").mkdir()
    for n, dev in enumerate(("vda6", "vdb6")):
        (tmp_path / f"sys/{dev}/dev").write_text(f"254:{n}\n")
        (tmp_path / f"udev/b254:{n}").write_text(f"E:ID_FS_LABEL_ENC=OEM\nE:ID_FS_UUID_ENC=u{n}\n")
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev/vda1").write_text("")
    (tmp_path / "cmdline").write_text("root=/dev/vda1\n")
    for knob, value in (("IGNITE_BOOT_SETUP", "1"), ("IGNITION_KERNEL_CMDLINE_PATH", str(tmp_path / "cmdline")),
                        ("IGNITE_DEV_DIR", str(tmp_path / "dev")), ("IGNITE_SYS_BLOCK", str(tmp_path / "sys")),
                        ("IGNITE_UDEV_DATA", str(tmp_path / "udev")), ("IGNITE_UDEV_QUEUE", str(tmp_path / "no-queue")),
                        ("IGNITE_STATE_DIR", str(tmp_path / "run/ignite")),
                        ("IGNITE_OEM_DEVICE_FILE", str(tmp_path / "none"))):
        monkeypatch.setenv(knob, value)
    paths = boot_dirs(tmp_path, NOOP)
    paths["cache"].unlink()
    assert cli.main(run_argv("fetch-offline", paths)) != 0
    assert 'several filesystems are labelled "OEM" (/dev/vda6 /dev/vdb6)' in capsys.readouterr().err
    assert not paths["cache"].exists()
    from ignite import record

    failed = [e for e in record.read(record.path_for(paths["state"])) if e["event"] == "failure"]
    assert failed and failed[0]["kind"] == "setup", failed


def test_fetch_gives_up_on_a_flag_that_never_comes(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("IGNITE_STAGE_AFTER_FILE", str(tmp_path / "never"))
    monkeypatch.setattr(stages.distro, "AFTER_FILE_TIMEOUT", 0.2)
    paths = boot_dirs(tmp_path, NOOP)
    paths["cache"].unlink()
    assert cli.main(run_argv("fetch", paths)) != 0
    assert "ignite-network, which writes it, did not finish" in capsys.readouterr().err
    assert not paths["cache"].exists()


def test_units_of_the_fetch_stages_wait_for_their_flags_not_for_the_units() -> None:
    """fetch starts alongside the network units and waits in-process for the flag those
    write; no unit orders it after those units."""
    units = REPO / "dracut" / "30ignite"
    network = ("ignite-network", "ignite-network-early")
    for unit, flag, writers in (("ignite-fetch", "/run/ignite/network-up", network),
                                ("ignite-fetch-early", "/run/ignite/network-up", (*network, "ignite-fetch-offline"))):
        text = (units / f"{unit}.service").read_text()
        assert f"Environment=IGNITE_STAGE_AFTER_FILE={flag}\n" in text
        after = " ".join(line for line in text.splitlines() if line.startswith("After="))
        assert not any(f"{w}.service" in after.split() for w in writers), after
        for writer in writers:
            before = " ".join(line for line in (units / f"{writer}.service").read_text().splitlines()
                              if line.startswith("Before="))
            assert f"{unit}.service" not in before.split(), (writer, before)


def test_every_preloaded_module_exists() -> None:
    """(What the fetch stages preload by the config URL's scheme and the platform:
    test_fetch_imports.py.)"""
    import importlib.util

    for names in stages._PRELOAD.values():
        assert all(importlib.util.find_spec(name) for name in names), names


def test_the_network_units_and_networkd_run_ahead_of_the_other_first_boot_work() -> None:
    """fetch waits for the network's up flag; the network's own steps get the CPU first."""
    units = REPO / "dracut" / "30ignite"
    for name in ("ignite-network.service", "ignite-network-early.service", "ignite-networkd.conf"):
        assert "\nNice=-10\n" in (units / name).read_text(), name
    setup = (units / "module-setup.sh").read_text()
    assert '"$moddir/ignite-networkd.conf" "$systemdsystemunitdir/systemd-networkd.service.d/ignite.conf"' in setup


def early_fetch_argv(paths: dict[str, Path], cmdline: Path) -> list[str]:
    return [*run_argv("fetch", paths, platform="metal"), "--cmdline", str(cmdline)]


def test_an_early_fetch_does_nothing_when_fetch_offline_cached_the_config(tmp_path, monkeypatch, capsys) -> None:
    """ignite-fetch-early starts whenever the command line's config URL needs the network;
    a config on disk that fetch-offline found first leaves it nothing to do."""
    paths = fetch_offline(tmp_path, NOOP, monkeypatch)
    assert (paths["state"].parent / "fetch-offline-done").exists()
    cached = paths["cache"].read_bytes()
    cmdline = tmp_path / "cmdline"
    cmdline.write_text("ignition.config.url=http://127.0.0.1:9/config.ign\n")
    monkeypatch.setenv("IGNITE_STAGE_AFTER_FILE", str(tmp_path / "network-up-never"))
    monkeypatch.setenv("IGNITE_FETCH_EARLY", "1")
    monkeypatch.setattr(stages.distro, "AFTER_FILE_TIMEOUT", 5.0)
    assert cli.main(early_fetch_argv(paths, cmdline)) == 0
    assert "fetch-offline needed no network: nothing to fetch" in capsys.readouterr().err
    assert paths["cache"].read_bytes() == cached
    assert list(json.loads(paths["state"].read_text())["stageTimings"]) == ["fetch-offline"]


def test_an_early_fetch_waits_for_fetch_offline_and_then_for_the_network(tmp_path, monkeypatch) -> None:
    """Started alongside fetch-offline: no request before fetch-offline has signalled neednet
    and the network's up flag exists; then the config is fetched and cached."""
    from answer_server import serving

    body = json.dumps({"ignition": {"version": "3.4.0"},
                       "storage": {"files": [{"path": "/etc/early", "contents": {"source": "data:,x"}}]}}).encode()
    paths = boot_dirs(tmp_path, NOOP)
    paths["cache"].unlink()
    paths["state"].parent.mkdir(parents=True)
    network_up = tmp_path / "network-up"
    monkeypatch.setenv("IGNITE_STAGE_AFTER_FILE", str(network_up))
    monkeypatch.setenv("IGNITE_FETCH_EARLY", "1")
    import time

    def fetch_offline_done() -> None:
        paths["neednet"].write_text("")
        (paths["state"].parent / "fetch-offline-done").write_text("")

    flags = [threading.Timer(0.4, fetch_offline_done), threading.Timer(0.8, network_up.write_text, args=("",))]
    with serving() as server:
        cmdline = tmp_path / "cmdline"
        cmdline.write_text(f"ignition.config.url={server.add('/config.ign', body)}\n")
        started = time.monotonic()
        for flag in flags:
            flag.start()
        try:
            assert cli.main(early_fetch_argv(paths, cmdline)) == 0
        finally:
            for flag in flags:
                flag.cancel()
        requests = server.requests
    assert len(requests) == 1 and requests[0] - started >= 0.8
    assert json.loads(paths["cache"].read_text())["storage"]["files"][0]["path"] == "/etc/early"
