"""The fetch-offline and fetch stages, with a real config to parse, validate, render and
cache (a user, files, a unit, a merge reference), import neither typing, dataclasses nor
logging: together ~15 ms of every first boot's fetch stages, each its own process, which
Ignition 2.14's fetch-offline runs in ~20 ms. (test_files_imports.py holds the files stage;
test_startup.py the no-op stages.)"""
from __future__ import annotations

import ast
import hashlib
import json
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest

from import_probe import modules_loaded_by

# importlib (with warnings: 1.3 M instructions) is not needed: ignite.import_module.
# hashlib (OpenSSL's libcrypto) only when a hash is verified: the record's sha256 of the
# config takes CPython's built-in sha256. copy (with weakref): the JSON upgrade copies by hand.
# Nor re (with enum, functools and collections: ~7 ms; json's package would load it, the
# config parser reads through ignite.jsonio), pathlib (with urllib.parse: ~10 ms).
HEAVY = ("typing", "dataclasses", "logging", "inspect", "ast", "hashlib", "_hashlib", "copy",
         "re", "enum", "functools", "collections", "json", "pathlib", "urllib.parse", "ipaddress", "shlex",
         "importlib", "warnings")
ROOT_DEVICE = "/dev/vda1"  # at boot, fetch-offline's set-up waits for it (boot_env makes it there)
LOCATING = ("re", "enum", "functools", "collections", "json")

MERGED = {"ignition": {"version": "3.3.0"}, "storage": {"files": [{"path": "/etc/merged", "mode": 0o644}]}}
CONFIG = {
    "ignition": {"version": "3.3.0", "config": {"merge": [{"source": "data:," + quote(json.dumps(MERGED))}]}},
    "passwd": {"users": [{"name": "core", "sshAuthorizedKeys": ["ssh-ed25519 AAAA core"]}]},
    "storage": {"files": [{"path": "/etc/a", "mode": 0o644, "contents": {"source": "data:,hello"}},
                          {"path": "/etc/b", "contents": {"source": "data:,world"}}]},
    "systemd": {"units": [{"name": "a.service", "enabled": True,
                           "contents": "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n"}]},
}


def stage_argv(tmp_path: Path, stage: str) -> list[str]:
    run = tmp_path / "run"
    return ["run", "--stage", stage, "--platform", "file", "--config", str(tmp_path / "cfg.ign"),
            "--config-cache", str(run / "cache.json"), "--state-file", str(run / "state"),
            "--neednet", str(run / "neednet"), "--cmdline", str(tmp_path / "cmdline"), "--root", str(tmp_path / "root")]


def write_source(tmp_path: Path, config: dict, from_url: bool) -> None:
    """The config for the `file` platform: in cfg.ign, or as a data: URL on the command line."""
    text = json.dumps(config)
    cmdline = f"ignition.platform.id=file root={ROOT_DEVICE}"
    if from_url:
        cmdline += " ignition.config.url=data:," + quote(text)
    else:
        (tmp_path / "cfg.ign").write_text(text)
    (tmp_path / "cmdline").write_text(cmdline + "\n")


def run_fetch(tmp_path: Path, stage: str, from_url: bool) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    write_source(tmp_path, CONFIG, from_url)
    return modules_loaded_by(stage_argv(tmp_path, stage))


@pytest.mark.parametrize(("stage", "from_url"), [("fetch-offline", False), ("fetch-offline", True), ("fetch", True)])
def test_a_fetch_stage_with_work_imports_nothing_heavy(tmp_path: Path, stage: str, from_url: bool) -> None:
    done, modules = run_fetch(tmp_path, stage, from_url)
    assert done.returncode == 0 and done.stdout.endswith("\n0"), done.stderr
    cached = json.loads((tmp_path / "run/cache.json").read_text())  # the work was done
    assert sorted(f["path"] for f in cached["storage"]["files"]) == ["/etc/a", "/etc/b", "/etc/merged"]
    assert cached["passwd"]["users"][0]["name"] == "core"
    assert not (tmp_path / "run/neednet").exists()
    records = [json.loads(line) for line in (tmp_path / "run/ignite-record.jsonl").read_text().splitlines()]
    digests = [r["sha256"] for r in records if r["event"] == "config"]
    assert digests[0] == hashlib.sha256(json.dumps(CONFIG).encode()).hexdigest()
    assert digests[1] == hashlib.sha256(json.dumps(MERGED).encode()).hexdigest()
    assert {"ignite.stages.fetch", "ignite.config.parse", "ignite.config.validate", "ignite.config.render",
            "ignite.config.translate.v3", "ignite.config.unitfile", "ignite.resource.pipeline"} <= modules
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))


def test_a_fetch_stage_that_fails_validation_still_reports_with_its_location(tmp_path: Path) -> None:
    """The error path (report entries located in the source) is as light, and says where."""
    (tmp_path / "cfg.ign").write_text('{"ignition": {"version": "3.3.0"},\n "storage": {"files": [{"path": "etc/x"}]}}')
    (tmp_path / "cmdline").write_text("ignition.platform.id=file\n")
    done, modules = modules_loaded_by(stage_argv(tmp_path, "fetch-offline"))
    assert done.returncode == 0 and done.stdout.endswith("\n1"), done.stderr
    assert "path not absolute (line 2 col" in done.stderr, done.stderr
    # Locating an entry in the text takes json's string reader and re's patterns.
    heavy = set(HEAVY) - set(LOCATING)
    assert not modules & heavy, sorted(modules & heavy)


# The HTTP transport: http.client alone would load ssl and the email package; requests
# and urllib3 cost ~55 ms (~0.8 s under TCG). ssl only once an https URL is fetched.
# A network URL: the socket module loads enum (and with it functools and collections), the
# URL check urllib.parse (and with it re, ipaddress and warnings).
NETWORK_STACK = ("enum", "functools", "collections", "re", "urllib.parse", "ipaddress", "warnings")
HTTP_HEAVY = ("requests", "urllib3", "http.client", "email.parser", "ssl", "_ssl") + tuple(
    name for name in HEAVY if name not in NETWORK_STACK)


def test_the_http_transport_loads_ssl_only_for_https(tmp_path: Path) -> None:
    from answer_server import serving

    with serving() as server:
        done = _ssl_probe(server.add("/c", b"ok"))
    assert done.returncode == 0, done.stderr
    on_import, body, on_http, ssl_after_https, error = ast.literal_eval(done.stdout)
    assert on_import == [] and body == "ok" and on_http == []
    assert ssl_after_https and "tls: " in error


def _ssl_probe(url: str) -> subprocess.CompletedProcess[str]:
    import sys

    probe = (
        "import sys\n"  # not json: the transport must not load it
        f"sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})\n"
        f"heavy = {HTTP_HEAVY!r}\n"
        "loaded = lambda: sorted(m for m in heavy if m in sys.modules)\n"
        "import ignite.resource.http\n"
        "on_import = loaded()\n"
        "from ignite.config.model import Resource\n"
        "from ignite.resource import FetchSettings, fetch_bytes\n"
        f"body = fetch_bytes(Resource(source={url!r}), FetchSettings(http_total=10)).decode()\n"
        "on_http = loaded()\n"
        "try:\n"
        f"    fetch_bytes(Resource(source={url.replace('http:', 'https:')!r}), FetchSettings(http_total=0.3))\n"
        "except Exception as exc:\n"
        "    error = str(exc)\n"
        "print(repr([on_import, body, on_http, 'ssl' in sys.modules, error]))\n"
    )
    return subprocess.run([sys.executable, "-I", "-S", "-c", probe], capture_output=True, text=True, timeout=60)


# --- at boot: the stage's code is loaded before its flag --------------------------------
# (A config that references others loads their scheme's reader after the flag: which one
# is not known before; data:'s costs ~1 ms here.)
BOOT_CONFIG = {**CONFIG, "ignition": {"version": "3.3.0"}}


def modules_after_the_flag(argv: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Runs `ignite ARGV` as the unit does (IGNITE_STAGE_AFTER_FILE, here already there, so
    the wait ends at once) and reports the modules imported after the wait: what the boot
    waits for once the flag appears."""
    import os
    import sys
    import sysconfig

    repo = str(Path(__file__).resolve().parents[2])
    probe = ("import sys\n"
             f"sys.path[:0] = [{repo!r}, {sysconfig.get_paths()['purelib']!r}]\n"
             "import ignite.stages as stages\n"
             "wait, seen = stages._load_before_configs, []\n"
             "def waited(ctx):\n"
             "    go_on = wait(ctx)\n"
             "    seen.append(set(sys.modules))\n"
             "    return go_on\n"
             "stages._load_before_configs = waited\n"
             "from ignite.cli import main\n"
             f"code = main({argv!r})\n"
             "sys.stdout.write(' '.join(sorted(set(sys.modules) - seen[0])) + '\\n'"
             " + ' '.join(sorted(sys.modules)) + '\\n' + str(code))\n")
    done = subprocess.run([sys.executable, "-I", "-S", "-c", probe], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ) | env)
    after, loaded = done.stdout.rsplit("\n", 2)[:2] if done.returncode == 0 else ("", "")
    done.loaded = set(loaded.split())  # type: ignore[attr-defined]  # every module, for the heavy ones
    return done, set(after.split())


def boot_env(tmp_path: Path, stage: str) -> dict[str, str]:
    """The environment the stage's unit gives it: fetch-offline does the first-boot set-up
    (IGNITE_BOOT_SETUP; here on stand-ins: the root device there, no block device, nothing on
    disk), fetch waits for the network's flag (IGNITE_STAGE_AFTER_FILE, here already there)."""
    env = {}
    for knob in ("IGNITION_SYSTEM_RUNTIME_CONFIG_DIR", "IGNITION_SYSTEM_LOCAL_CONFIG_DIR",
                 "IGNITION_SYSTEM_CONFIG_DIR"):
        env[knob] = str(tmp_path / "no-system-dir")
    if stage == "fetch-offline":
        (tmp_path / "dev").mkdir(exist_ok=True)
        (tmp_path / "dev" / ROOT_DEVICE.removeprefix("/dev/")).touch()
        return env | {"IGNITE_BOOT_SETUP": "1", "IGNITE_DEV_DIR": str(tmp_path / "dev"),
                      "IGNITE_SYS_BLOCK": str(tmp_path / "no-sys"), "IGNITE_UDEV_QUEUE": str(tmp_path / "no-queue"),
                      "IGNITE_STATE_DIR": str(tmp_path / "run/ignite"), "IGNITE_OEM_DEVICE_FILE": str(tmp_path / "no"),
                      "IGNITE_INITRAMFS_OEM_DIR": str(tmp_path / "no"), "IGNITE_LIVE_CONFIG": str(tmp_path / "no")}
    (tmp_path / "flag").touch()
    return env | {"IGNITE_STAGE_AFTER_FILE": str(tmp_path / "flag")}


def fetch_offline_on_qemu(tmp_path: Path, config: dict) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """fetch-offline on the qemu platform as at boot, `config` in a folder shaped like fw_cfg."""
    entry = tmp_path / "fw_cfg/by_name/opt/com.coreos/config"
    entry.mkdir(parents=True)
    data = json.dumps(config).encode()
    (entry / "raw").write_bytes(data)
    (entry / "size").write_text(str(len(data)))
    (tmp_path / "cmdline").write_text(f"ignition.platform.id=qemu root={ROOT_DEVICE}\n")
    argv = [a if a != "file" else "qemu" for a in stage_argv(tmp_path, "fetch-offline")]
    env = boot_env(tmp_path, "fetch-offline") | {"IGNITE_QEMU_FW_CFG": str(tmp_path / "fw_cfg")}
    return modules_after_the_flag(argv, env)


def test_fetch_offline_on_qemu_imports_nothing_after_its_flag(tmp_path: Path) -> None:
    """fw_cfg's provider and the whole parse/validate/upgrade/cache path load before the
    first-boot set-up; the set-up itself starts no process (the root device is there) and
    loads nothing heavy."""
    done, after = fetch_offline_on_qemu(tmp_path, BOOT_CONFIG)
    assert done.returncode == 0 and done.stdout.endswith("\n0"), done.stderr
    assert json.loads((tmp_path / "run/cache.json").read_text())["passwd"]["users"][0]["name"] == "core"
    assert after == set(), sorted(after)
    assert "ignite.stages.fetch_setup" in done.loaded  # type: ignore[attr-defined]
    assert (tmp_path / "run/ignite").is_dir()  # the set-up's state directory: it ran
    spared = set(HEAVY) | {"ignite.system.run", "threading", "subprocess"}
    assert not done.loaded & spared, sorted(done.loaded & spared)  # type: ignore[attr-defined]


def test_fetch_offline_on_qemu_loads_no_fetch_pipeline_for_a_config_that_references_nothing(tmp_path: Path) -> None:
    """A provider's config that merges nothing, replaces nothing and names no CA bundle: the
    fetch pipeline (decompression, verification: 2.5 M instructions) is never imported."""
    done, after = fetch_offline_on_qemu(tmp_path, {**CONFIG, "ignition": {"version": "3.3.0"}})  # no merge
    assert done.returncode == 0 and done.stdout.endswith("\n0"), done.stderr
    assert after == set(), sorted(after)
    pipeline = {"ignite.resource.pipeline", "ignite.resource.decompress", "ignite.resource.verify", "zlib"}
    assert not done.loaded & pipeline, sorted(done.loaded & pipeline)  # type: ignore[attr-defined]


@pytest.mark.parametrize("from_url", [False, True])
def test_fetch_offline_from_a_file_or_a_data_url_imports_nothing_after_its_flag(tmp_path: Path,
                                                                                from_url: bool) -> None:
    write_source(tmp_path, BOOT_CONFIG, from_url)
    done, after = modules_after_the_flag(stage_argv(tmp_path, "fetch-offline"), boot_env(tmp_path, "fetch-offline"))
    assert done.returncode == 0 and done.stdout.endswith("\n0"), done.stderr
    assert (tmp_path / "run/cache.json").exists()
    assert after == set(), sorted(after)


def test_fetch_from_an_http_url_imports_nothing_after_its_flag(tmp_path: Path) -> None:
    """The network stage on metal with an http:// config URL, as in a network boot."""
    from answer_server import serving

    with serving() as server:
        url = server.add("/config.ign", json.dumps({"ignition": {"version": "3.3.0"}}).encode())
        (tmp_path / "cmdline").write_text(f"ignition.platform.id=metal ignition.config.url={url}\n")
        argv = [a if a != "file" else "metal" for a in stage_argv(tmp_path, "fetch")]
        done, after = modules_after_the_flag(argv, boot_env(tmp_path, "fetch"))
    assert done.returncode == 0 and done.stdout.endswith("\n0"), done.stderr
    assert (tmp_path / "run/cache.json").exists()
    assert after == set(), sorted(after)
    # ignite's own transport: none of requests, urllib3, http.client or ssl (HTTP_HEAVY).
    assert "ignite.resource.httpwire" in done.loaded  # type: ignore[attr-defined]
    assert not done.loaded & set(HTTP_HEAVY), sorted(done.loaded & set(HTTP_HEAVY))  # type: ignore[attr-defined]


def test_what_the_preload_made_is_frozen_out_of_the_collectors_sight(tmp_path: Path, monkeypatch) -> None:
    """Not walked by the full collections after the flag, nor by the final ones at exit."""
    import gc

    from ignite import stages

    (tmp_path / "cmdline").write_text("ignition.platform.id=file\n")
    monkeypatch.setenv("IGNITE_STAGE_AFTER_FILE", str(tmp_path))  # there: no wait
    gc.unfreeze()
    try:
        stages._load_before_configs(stages.StageContext("fetch-offline", platform="file",
                                                        cmdline_file=tmp_path / "cmdline"))
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_fetch_offline_in_a_network_boot_loads_no_config_pipeline(tmp_path: Path) -> None:
    """An http:// config URL: the stage signals neednet and parses nothing, so its preload
    loads no schema walk, upgrade or reader (and nothing comes after the flag either)."""
    (tmp_path / "cmdline").write_text(f"ignition.platform.id=metal root={ROOT_DEVICE} "
                                      "ignition.config.url=http://10.0.2.100/config.ign\n")
    argv = [a if a != "file" else "metal" for a in stage_argv(tmp_path, "fetch-offline")]
    done, after = modules_after_the_flag(argv, boot_env(tmp_path, "fetch-offline"))
    assert done.returncode == 0 and done.stdout.endswith("\n0"), done.stderr
    assert (tmp_path / "run/neednet").exists() and not (tmp_path / "run/cache.json").exists()
    assert after == set(), sorted(after)
    spared = {"ignite.config.parse", "ignite.config.validate", "ignite.config.render", "ignite.config.structure",
              "ignite.config.translate.v3", "ignite.resource.http", "ignite.resource.httpwire"}
    assert not done.loaded & spared, sorted(done.loaded & spared)  # type: ignore[attr-defined]
