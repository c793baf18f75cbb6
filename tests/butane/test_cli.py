"""`ignite translate` of a Butane config behaves as `butane`: same JSON on stdout, exit 1 on
an error or (with --strict) a warning, -d for local files and trees; `ignite validate`
accepts Butane. Checked against the recorded butane runs."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CASES = json.loads((HERE / "fixtures" / "butane-v0.29.0.json").read_text()
                   .replace("{FILES_DIR}", str(HERE / "files")))["cases"]


def ignite(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ignite.cli", *args], capture_output=True, text=True,
                          cwd=HERE / "corpus", timeout=60, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})


@pytest.mark.parametrize("name, args, mode", [
    ("files-local", [], "plain"),
    ("files-local", ["-d", str(HERE / "files")], "files_dir"),
    ("trees-basic", ["--files-dir", str(HERE / "files")], "files_dir"),
    ("mode-file-decimal644", [], "plain"),
    ("mode-file-decimal644", ["--strict"], "strict"),
    ("grub-fcos14-unknown", ["--strict"], "strict"),
    ("boot-1_5_0-mirror-x86", [], "plain"),
    ("yaml-bad-indent", [], "plain"),
    ("err-unknown-version", [], "plain"),
    ("yaml-json-style", [], "plain"),
])
def test_translate_matches_butane(name: str, args: list[str], mode: str) -> None:
    expected = CASES[name][mode]
    done = ignite("translate", *args, f"{name}.bu")
    assert done.returncode == expected["rc"], done.stderr
    if expected["rc"] == 0:
        assert json.loads(done.stdout) == expected["output"]
        assert done.stdout.endswith("}\n") and "\n" not in done.stdout[:-1]  # compact, as butane
    else:
        assert done.stdout == "" and "Traceback" not in done.stderr
        assert "not translated" in done.stderr


def test_translate_pretty_and_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "out.ign"
    done = ignite("translate", "-p", "-o", str(out), "boot-1_5_0-mirror-x86.bu")
    assert done.returncode == 0 and done.stdout == ""
    assert json.loads(out.read_text()) == CASES["boot-1_5_0-mirror-x86"]["plain"]["output"]
    assert out.read_text().startswith('{\n  "ignition"')


def test_translate_shows_butane_diagnostics_with_positions() -> None:
    done = ignite("translate", "unknown-nested.bu")
    assert done.returncode == 0
    assert "unknown-nested.bu:7:9: warning: unused key inlinee (at $.storage.files.0.contents.inlinee)" in done.stderr


def test_validate_accepts_butane_and_json_side_by_side(tmp_path: Path) -> None:
    ign = tmp_path / "c.ign"
    ign.write_text('{"ignition": {"version": "3.4.0"}}')
    done = ignite("validate", "fcos-1_7_0-kitchen.bu", str(ign))
    assert done.returncode == 0, done.stdout + done.stderr
    done = ignite("validate", "--format", "json", "files-relative-path.bu")
    assert done.returncode == 1
    [result] = json.loads(done.stdout)
    [entry] = [e for e in result["entries"] if e["kind"] == "error"]
    assert entry["path"] == ["storage", "files", 0, "path"] and (entry["line"], entry["column"]) == (5, 13)


def test_translate_of_json_is_unchanged_by_butane_support(tmp_path: Path) -> None:
    ign = tmp_path / "c.ign"
    ign.write_text('{"ignition": {"version": "3.0.0"}}')
    done = ignite("translate", str(ign))
    assert done.returncode == 0 and json.loads(done.stdout)["ignition"]["version"] == "3.6.0"


def test_the_butane_example_is_the_json_example() -> None:
    """examples/webserver.bu says in Butane what examples/webserver.ign says in JSON."""
    import base64
    import gzip
    import urllib.parse

    from ignite.config.butane.translate import translate

    def contents(resource: dict) -> bytes | str:
        source = resource["source"]
        if source.startswith("data:;base64,"):
            data = base64.b64decode(source[len("data:;base64,"):])
            return gzip.decompress(data) if resource.get("compression") == "gzip" else data
        if source.startswith("data:,"):
            return urllib.parse.unquote_to_bytes(source[len("data:,"):])
        return source

    def plain(cfg: dict) -> dict:
        for f in cfg["storage"]["files"]:
            f["contents"] = {**{k: v for k, v in f["contents"].items() if k not in ("source", "compression")},
                             "data": contents(f["contents"])}
        return cfg

    ours = translate((REPO / "examples" / "webserver.bu").read_text()).config
    assert ours is not None
    assert plain(ours) == plain(json.loads((REPO / "examples" / "webserver.ign").read_text()))
