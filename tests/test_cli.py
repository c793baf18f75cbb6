"""The `ignite` command line: exit codes, message formats, examples, lazy imports."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ignite import cli
from ignite.errors import FetchError

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((REPO / "examples").glob("*.ign"))
ORACLE = REPO / ".cache" / "ignition" / "usr" / "bin" / "ignition-validate"
ENTRY_WITH_POS = re.compile(
    r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<kind>error|warning|info|deprecated): "
    r"(?P<msg>.+?)( \(at (?P<path>\$[^)]*)\))?$"
)


def run_ignite(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ignite", *args], input=stdin.decode() if stdin is not None else None,
                          capture_output=True, text=True, cwd=REPO, timeout=60)


def run_main(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# --- general ------------------------------------------------------------------------------

def test_version():
    p = run_ignite("--version")
    from ignite import __version__

    assert p.returncode == 0 and p.stdout.splitlines()[0] == f"ignite {__version__}"
    # The spec versions accepted, newest and experimental named (issue 16).
    assert "1, 2.0.0, 2.1.0, 2.2.0, 2.3.0, 2.4.0, 3.0.0" in p.stdout and "(newest 3.6.0)" in p.stdout
    assert "3.7.0-experimental (experimental)" in p.stdout


@pytest.mark.parametrize("command", ["validate", "translate", "run", "apply"])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main([command, "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: ignite {command}") and len(out.splitlines()) > 5


def test_no_command_prints_help_and_exits_2(capsys):
    code, out, err = run_main(capsys)
    assert code == 2 and "validate" in err and "translate" in err


def test_bad_usage_is_one_line_exit_2():
    p = run_ignite("validate")
    assert p.returncode == 2
    assert p.stderr.count("\n") == 1 and "the following arguments are required: FILE" in p.stderr
    assert "Traceback" not in p.stderr


def test_expected_failure_is_one_line_with_its_exit_code(monkeypatch, capsys):
    def boom(args):
        raise FetchError("https://user:secret@example.com/x.ign", "http", "status 503")

    monkeypatch.setattr(cli, "cmd_validate", boom)
    code, out, err = run_main(capsys, "validate", "x.ign")
    assert code == 1
    assert err == "ignite: https://***@example.com/x.ign: http: status 503\n"


def test_a_bug_is_one_line_and_the_traceback_only_with_debug(monkeypatch, capsys):
    def boom(args):
        raise KeyError("oops")

    monkeypatch.setattr(cli, "cmd_validate", boom)
    code, out, err = run_main(capsys, "validate", "x.ign")
    assert code == 70 and len(err.splitlines()) == 1
    assert "this is a bug" in err and "KeyError" in err and "Traceback" not in err
    code, out, err = run_main(capsys, "validate", "--debug", "x.ign")
    assert code == 70 and "Traceback (most recent call last)" in err


def test_verbose_before_or_after_the_command_is_kept():
    parser = cli.build_parser()
    assert parser.parse_args(["-v", "validate", "x"]).verbose is True
    assert parser.parse_args(["validate", "x", "--verbose"]).verbose is True
    assert not hasattr(parser.parse_args(["validate", "x"]), "verbose")


@pytest.mark.parametrize("argv", [
    ["validate", "a.ign"], ["validate", "-", "b.ign", "--format", "json"], ["validate", "--format=text", "-v", "a"],
    ["validate", "--debug", "--verbose", "a", "b"],
])
def test_quick_validate_parsing_equals_argparse(argv):
    assert cli._quick_args(argv) == cli.build_parser().parse_args(argv)


@pytest.mark.parametrize("argv", [["validate"], ["validate", "--help"], ["validate", "--format", "xml", "a"],
                                  ["validate", "--bogus", "a"], ["validate", "--format"], ["translate", "a"], []])
def test_quick_validate_parsing_leaves_the_unusual_to_argparse(argv):
    assert cli._quick_args(argv) is None


def test_cli_import_is_light():
    """`ignite validate` must start fast: importing the CLI loads none of the heavy deps."""
    code = ("import sys, ignite.cli as c; c.build_parser(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('requests', 'jsonschema', 'pyudev', 'sh') "
            "or m.startswith('ignite.stages') or m.startswith('ignite.resource')))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert p.stdout.strip() == "[]"


# --- validate -------------------------------------------------------------------------------

def test_validate_missing_file_is_exit_2(tmp_path, capsys):
    code, out, err = run_main(capsys, "validate", str(tmp_path / "nope.ign"))
    assert code == 2 and "nope.ign: cannot read: No such file or directory" in err


def test_validate_directory_is_exit_2(tmp_path, capsys):
    code, out, err = run_main(capsys, "validate", str(tmp_path))
    assert code == 2 and "is a directory" in err


def test_entry_format_with_and_without_position():
    e = {"kind": "error", "message": "path not absolute", "path": ["storage", "files", 0, "path"],
         "line": 3, "column": 7}
    expected = "a.ign:3:7: error: path not absolute (at $.storage.files.0.path)"
    assert cli.format_entry("a.ign", e) == expected
    e = {"kind": "error", "message": "not a config (empty)", "path": [], "line": None, "column": None}
    assert cli.format_entry("a.ign", e) == "a.ign: error: not a config (empty)"


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_is_valid(example, capsys):
    code, out, err = run_main(capsys, "validate", str(example))
    assert code == 0, out + err
    assert ": error:" not in out


def test_examples_cover_the_promised_scenarios():
    names = {p.name for p in EXAMPLES}
    assert len(OLD_ENOUGH) >= 3  # so ignition-validate 2.14 judges some of them too
    assert {"webserver.ign", "storage-node.ign", "pxe-node.ign", "merge.ign"} <= names
    web = json.loads((REPO / "examples" / "webserver.ign").read_text())
    cert = [f for f in web["storage"]["files"] if f["contents"]["source"].startswith("https://")]
    assert cert and all(f["contents"]["verification"]["hash"].startswith("sha512-") for f in cert)
    assert web["passwd"]["users"] and any(u["name"].startswith("nginx") for u in web["systemd"]["units"])
    storage = json.loads((REPO / "examples" / "storage-node.ign").read_text())["storage"]
    assert storage["disks"] and storage["raid"] and storage["filesystems"]
    assert json.loads((REPO / "examples" / "merge.ign").read_text())["ignition"]["config"]["merge"]


def _version_of(path: Path) -> str | None:
    return json.loads(path.read_text()).get("ignition", {}).get("version")


OLD_ENOUGH = [p for p in EXAMPLES if _version_of(p) in ("3.0.0", "3.1.0", "3.2.0", "3.3.0", "3.4.0")]


@pytest.mark.oracle
@pytest.mark.parametrize("example", OLD_ENOUGH, ids=[p.name for p in OLD_ENOUGH])
def test_examples_of_versions_2_14_knows_pass_ignition_validate(example):
    if not ORACLE.exists():
        pytest.skip("Debian's ignition-validate is not unpacked (run `make oracle`)")
    cfg = json.loads(example.read_text())
    if cfg["ignition"]["version"] == "3.4.0":
        cfg["ignition"]["version"] = "3.4.0-experimental"
    p = subprocess.run([str(ORACLE), "-"], input=json.dumps(cfg).encode(), capture_output=True)
    assert p.returncode == 0, p.stdout.decode() + p.stderr.decode()


def test_invalid_config_lists_every_error_with_position(tmp_path, capsys):
    bad = tmp_path / "bad.ign"
    bad.write_text('{\n  "ignition": {"version": "3.3.0"},\n  "storage": {"files": [\n'
                   '    {"path": "relative"},\n    {"path": "/ok", "mode": 99999}\n  ]}\n}\n')
    code, out, err = run_main(capsys, "validate", str(bad))
    assert code == 1
    lines = [ENTRY_WITH_POS.match(line) for line in out.splitlines()]
    assert all(lines), out
    errors = [m for m in lines if m["kind"] == "error"]
    assert {m["path"] for m in errors} >= {"$.storage.files.0.path", "$.storage.files.1.mode"}
    by_path = {m["path"]: m for m in errors}
    assert by_path["$.storage.files.0.path"]["line"] == "4"
    assert by_path["$.storage.files.1.mode"]["line"] == "5"
    assert all(m["file"] == str(bad) for m in lines)


def test_empty_file_has_no_position(tmp_path, capsys):
    empty = tmp_path / "empty.ign"
    empty.write_bytes(b"")
    code, out, err = run_main(capsys, "validate", str(empty))
    assert code == 1
    assert out.startswith(f"{empty}: error: ") and "empty" in out


def test_many_files_worst_verdict_wins(tmp_path, capsys):
    good = tmp_path / "good.ign"
    good.write_text('{"ignition": {"version": "3.0.0"}}')
    bad = tmp_path / "bad.ign"
    bad.write_text('{"ignition": {"version": "3.0.0"}, "storage": {"disks": [{}]}}')
    assert run_main(capsys, "validate", str(good), str(good))[0] == 0
    code, out, err = run_main(capsys, "validate", str(good), str(bad))
    assert code == 1 and str(bad) in out and str(good) not in out
    code, out, err = run_main(capsys, "validate", str(bad), str(tmp_path / "missing"), str(good))
    assert code == 2 and str(bad) in out and "missing" in err


def test_stdin_and_json_format():
    p = run_ignite("validate", "--format", "json", "-", stdin=b'{"ignition": {"version": "3.2.0"}, "bogus": 1}')
    assert p.returncode == 0, p.stderr
    [result] = json.loads(p.stdout)
    assert result["file"] == "<stdin>" and result["valid"] is True
    [warning] = result["entries"]
    assert warning["kind"] == "warning" and warning["path"] == ["bogus"] and warning["line"] == 1
    p = run_ignite("validate", "-", stdin=b'{"ignition": {"version": "3.2.0"}, "storage": {"files": [{"path": "x"}]}}')
    assert p.returncode == 1 and p.stdout.startswith("<stdin>:1:")


@pytest.mark.parametrize(
    "data", [b"\xff\xfe\x00", b"{" * 100_000, b'{"ignition": {"version": "3.0.0"}', b"\xef\xbb\xbf{}"]
)
def test_bad_bytes_give_an_error_not_a_traceback(data):
    p = subprocess.run([sys.executable, "-m", "ignite", "validate", "-"], input=data, capture_output=True,
                       cwd=REPO, timeout=60)
    assert p.returncode == 1, p.stderr
    assert b"Traceback" not in p.stderr and b": error: " in p.stdout


# --- translate -------------------------------------------------------------------------------

def test_translate_refuses_unknown_and_experimental_targets(capsys):
    assert run_main(capsys, "translate", "x.ign", "--to", "2.2.0")[0] == 2
    code, out, err = run_main(capsys, "translate", "x.ign", "--to", "3.7.0-experimental")
    assert code == 2 and "--allow-experimental" in err
    code, out, err = run_main(capsys, "translate", "x.ign", "--to", "3.4.0-experimental")
    assert code == 2 and "--to 3.4.0" in err


def test_translate_upgrades_to_the_newest(tmp_path, capsys):
    src = tmp_path / "old.ign"
    src.write_text('{"ignition": {"version": "3.0.0"}, "storage": {"files": [{"path": "/a", "mode": 2541}]}}')
    code, out, err = run_main(capsys, "translate", str(src))
    assert code == 0, err
    cfg = json.loads(out)
    assert cfg["ignition"]["version"] == "3.6.0"
    assert cfg["storage"]["files"] == [{"path": "/a", "mode": 0o755}]  # < 3.6 special bits are stripped


def test_translate_experimental_with_flag_and_output_file(tmp_path, capsys):
    out_file = tmp_path / "out.ign"
    code, out, err = run_main(capsys, "translate", str(REPO / "examples" / "minimal.ign"),
                              "--to", "3.7.0-experimental", "--allow-experimental", "-o", str(out_file))
    assert code == 0 and out == ""
    assert json.loads(out_file.read_text()) == {"ignition": {"version": "3.7.0-experimental"}}


# How many fields of each example 3.3.0 cannot express (legacy-only fields, newer sections).
LOST_AT_3_3 = {
    "image-build.ign": 0,
    "legacy-2.2.ign": 4,
    "legacy-v1.ign": 3,
    "luks-tang.ign": 2,
    "merge.ign": 0,
    "minimal.ign": 0,
    "pxe-node.ign": 0,
    "storage-node.ign": 1,
    "webserver.ign": 0,
}


def test_every_example_has_its_translation_loss_listed():
    assert sorted(LOST_AT_3_3) == [p.name for p in EXAMPLES]


@pytest.mark.oracle
@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_translate_down_to_3_3_passes_ignition_validate_and_reports_what_is_lost(example, tmp_path, capsys):
    if not ORACLE.exists():
        pytest.skip("Debian's ignition-validate is not unpacked (run `make oracle`)")
    out_file = tmp_path / "out.ign"
    code, out, err = run_main(capsys, "translate", str(example), "--to", "3.3.0", "-o", str(out_file))
    assert json.loads(out_file.read_text())["ignition"]["version"] == "3.3.0"
    lost = LOST_AT_3_3[example.name]
    assert code == (1 if lost else 0)
    assert err.count("cannot be represented in 3.3.0") == len(err.splitlines()) == lost
    p = subprocess.run([str(ORACLE), str(out_file)], capture_output=True)
    assert p.returncode == 0, p.stdout.decode() + p.stderr.decode()


def test_translate_reports_fields_the_target_cannot_express(tmp_path, capsys):
    code, out, err = run_main(capsys, "translate", str(REPO / "examples" / "luks-tang.ign"), "--to", "3.3.0")
    assert code == 1
    assert "openOptions" in err and "mode" in err
    assert json.loads(out)["ignition"]["version"] == "3.3.0"


def test_translate_reports_what_the_target_rules_reject(tmp_path, capsys):
    # Valid as 3.0.0 (no link target, merge without source), rejected by 3.3.0+ rules.
    src = tmp_path / "old.ign"
    src.write_text(
        '{"ignition": {"version": "3.0.0", "config": {"merge": [{}]}}, "storage": {"links": [{"path": "/l"}]}}'
    )
    code, out, err = run_main(capsys, "translate", str(src))
    assert code == 1 and json.loads(out)["ignition"]["version"] == "3.6.0"
    assert "$.storage.links.0.target: link target is required" in err
    assert "$.ignition.config.merge.0: source is required" in err
    code, out, err = run_main(capsys, "translate", str(src), "--to", "3.0.0")
    assert code == 0 and err == ""


def test_translate_experimental_config_to_the_newest_reports_virtiofs(tmp_path, capsys):
    src = tmp_path / "exp.ign"
    src.write_text('{"ignition": {"version": "3.7.0-experimental"}, '
                   '"storage": {"filesystems": [{"device": "tag", "format": "virtiofs", "path": "/mnt"}]}}')
    code, out, err = run_main(capsys, "translate", str(src))
    assert code == 1 and "invalid filesystem format" in err
    code, out, err = run_main(capsys, "translate", str(src), "--to", "3.7.0-experimental", "--allow-experimental")
    assert code == 0 and json.loads(out)["storage"]["filesystems"][0]["format"] == "virtiofs"


def test_translate_invalid_config_is_exit_1(tmp_path, capsys):
    src = tmp_path / "bad.ign"
    src.write_text('{"ignition": {"version": "3.0.0"}, "storage": {"disks": [{}]}}')
    code, out, err = run_main(capsys, "translate", str(src))
    assert code == 1 and out == "" and "disk device is required" in err


# --- run / apply -------------------------------------------------------------------------------

def test_run_unknown_stage_is_usage_error():
    p = run_ignite("run", "--stage", "nonsense", "--root", "/nonexistent")
    assert p.returncode == 2 and "unknown stage 'nonsense'" in p.stderr and "Traceback" not in p.stderr


def test_run_builds_the_stage_context(monkeypatch, tmp_path):
    import ignite.stages

    seen = []
    monkeypatch.setattr(ignite.stages, "run_stage", seen.append)
    code = cli.main(["run", "--stage", "files", "--platform", "file", "--root", str(tmp_path),
                     "--config-cache", str(tmp_path / "c.json"), "--state-file", str(tmp_path / "state"),
                     "--neednet", str(tmp_path / "neednet"), "--cmdline", str(tmp_path / "cmdline"),
                     "--config", str(tmp_path / "user.ign"), "--fetch-timeout", "7"])
    assert code == 0
    [ctx] = seen
    # Paths are kept as str: pathlib would cost every stage process its import.
    assert (ctx.stage, ctx.platform, ctx.root, ctx.fetch_timeout) == ("files", "file", str(tmp_path), 7.0)
    assert ctx.config_cache == str(tmp_path / "c.json") and ctx.state_file == str(tmp_path / "state")
    assert ctx.neednet_file == str(tmp_path / "neednet") and ctx.cmdline_file == str(tmp_path / "cmdline")
    assert ctx.config_file == str(tmp_path / "user.ign")


def test_run_defaults_are_the_initramfs_ones(monkeypatch):
    import ignite.stages

    seen = []
    monkeypatch.setattr(ignite.stages, "run_stage", seen.append)
    assert cli.main(["run", "--stage", "kargs"]) == 0
    [ctx] = seen
    assert ctx.root == "/sysroot" and ctx.config_cache == "/run/ignition.json"
    assert ctx.cmdline_file == "/proc/cmdline" and ctx.platform is None and ctx.config_file is None


def test_apply_device_map_parsing():
    assert cli.parse_device_map(["/dev/vda=/tmp/disk.img", "/dev/vdb=/dev/loop7"]) == {
        "/dev/vda": "/tmp/disk.img", "/dev/vdb": "/dev/loop7"}
    from ignite.errors import UsageError

    for bad in (["/dev/vda"], ["=x"], ["/dev/vda="], ["/dev/a=x", "/dev/a=y"]):
        with pytest.raises(UsageError):
            cli.parse_device_map(bad)


def test_apply_usage_errors(tmp_path, capsys):
    code, out, err = run_main(capsys, "apply", str(tmp_path / "missing.ign"), "--root", str(tmp_path))
    assert code == 2 and "no such config file" in err
    cfg = tmp_path / "c.ign"
    cfg.write_text('{"ignition": {"version": "3.0.0"}}')
    code, out, err = run_main(capsys, "apply", str(cfg), "--root", str(tmp_path), "--device-map", "bogus")
    assert code == 2 and "CFGDEV=IMAGE_OR_DEV" in err


def test_apply_dispatches_to_ignite_apply(monkeypatch, tmp_path):
    import ignite.apply

    calls = []
    monkeypatch.setattr(ignite.apply, "apply", lambda *a, **kw: calls.append((a, kw)))
    cfg = REPO / "examples" / "minimal.ign"
    assert cli.main(["apply", str(cfg), "--root", str(tmp_path), "--device-map", "/dev/vdb=/tmp/x.img"]) == 0
    assert calls == [((cfg, tmp_path, {"/dev/vdb": "/tmp/x.img"}), {})]


def run_main_and_exit(prelude: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`ignite ARGS` the way the initramfs's launcher runs it (cli.main_and_exit), after
    PRELUDE; stdout and stderr are pipes, so nothing reaches them unflushed by accident."""
    code = (f"import sys\nsys.argv = ['ignite', *{list(args)!r}]\n{prelude}\n"
            "from ignite.cli import main_and_exit\nmain_and_exit()\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)


def test_main_and_exit_keeps_the_status_the_buffered_output_and_the_atexit_callbacks(tmp_path):
    done = run_main_and_exit("import atexit\natexit.register(lambda: print('atexit ran', file=sys.stderr))",
                             "--version")
    assert done.returncode == 0 and done.stdout.startswith("ignite "), done
    assert done.stderr == "atexit ran\n"
    bad = tmp_path / "bad.ign"
    bad.write_text("{")
    done = run_main_and_exit("print('buffered', end='')", "validate", str(bad))
    assert done.returncode == 1 and done.stdout.startswith("buffered"), done


def test_main_and_exit_waits_for_a_non_daemon_thread(tmp_path):
    mark = tmp_path / "thread-done"
    prelude = ("import threading, time\n"
               f"threading.Thread(target=lambda: (time.sleep(0.3), open({str(mark)!r}, 'w').close())).start()")
    done = run_main_and_exit(prelude, "--version")
    assert done.returncode == 0 and mark.exists(), done
