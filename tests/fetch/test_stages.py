"""The fetch-offline and fetch stages end to end: sources, rendering, CAs, base configs,
neednet, the cache and the state, against local servers only."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ignite.errors import ConfigError, FetchError, UsageError

from .conftest import Reply, Server, free_port
from .stage_boot import Boot, cfg, dump

REPO = Path(__file__).resolve().parents[2]


def test_file_platform_offline_config(tmp_path: Path, system) -> None:
    boot = Boot(
        tmp_path, config=dump(cfg(storage={"files": [{"path": "/etc/motd", "contents": {"source": "data:,hi"}}]}))
    )
    boot.run("fetch-offline")
    assert boot.cache["storage"]["files"][0]["path"] == "/etc/motd"
    assert boot.cache["ignition"]["version"] == "3.6.0"
    assert not boot.neednet
    assert oct((tmp_path / "run" / "ignition.json").stat().st_mode & 0o777) == "0o600"
    assert boot.fetched == [
        {"kind": "base", "source": "system", "referenced": False},
        {"kind": "user", "source": "file", "referenced": False},
    ]


def test_remote_file_contents_set_neednet_but_cache_the_config(tmp_path: Path, system) -> None:
    boot = Boot(tmp_path, config=dump(cfg(storage={"files": [{"path": "/x", "contents": {"source": "http://h/x"}}]})))
    boot.run("fetch-offline")
    assert boot.neednet and boot.cache is not None


def test_cmdline_url_offline_then_online(tmp_path: Path, system, http_server: Server) -> None:
    http_server.route("/boot.ign", Reply(200, dump(cfg(storage={"files": [{"path": "/pxe"}]}))))
    boot = Boot(tmp_path, cmdline=f"quiet ignition.config.url={http_server.url('/boot.ign')}", platform="metal")
    boot.run("fetch-offline")
    assert boot.neednet and boot.cache is None
    boot.run("fetch")
    assert boot.cache["storage"]["files"][0]["path"] == "/pxe"
    assert boot.fetched[-1] == {"kind": "user", "source": "cmdline", "referenced": False}


def test_cmdline_url_404_is_fatal(tmp_path: Path, system, http_server: Server) -> None:
    boot = Boot(tmp_path, cmdline=f"coreos.config.url={http_server.url('/none.ign')}", platform="metal")
    with pytest.raises(FetchError) as err:
        boot.run("fetch")
    assert err.value.kind == "notfound"


def test_cmdline_fetch_deadline(tmp_path: Path, system) -> None:
    url = f"http://127.0.0.1:{free_port()}/c.ign"
    boot = Boot(tmp_path, cmdline=f"ignition.config.url={url} ignition.fetch.timeout=1s", platform="metal")
    started = time.monotonic()
    with pytest.raises(FetchError, match="unable to fetch resource in time"):
        boot.run("fetch")
    assert time.monotonic() - started < 5


def test_cmdline_data_url_and_bare_path(tmp_path: Path, system) -> None:
    from urllib.parse import quote

    url = "data:," + quote('{"ignition":{"version":"3.4.0"},"passwd":{"users":[{"name":"core"}]}}', safe="")
    boot = Boot(tmp_path, cmdline=f"ignition.config.url={url}", platform="metal")
    boot.run("fetch-offline")
    assert boot.cache["passwd"]["users"] == [{"name": "core"}]
    bare = Boot(tmp_path / "b", platform="metal") if (tmp_path / "b").mkdir() is None else None
    (tmp_path / "b" / "cmdline").write_text("ignition.config.url=/no/scheme.ign\n")
    bare.run("fetch-offline")
    assert bare.cache == {"ignition": {"version": "3.6.0"}}


def test_system_user_ign_beats_the_platform(tmp_path: Path, system) -> None:
    system["etc"].mkdir(parents=True)
    (system["etc"] / "user.ign").write_bytes(dump(cfg(storage={"files": [{"path": "/system"}]})))
    boot = Boot(tmp_path, config=dump(cfg(storage={"files": [{"path": "/platform"}]})))
    boot.run("fetch-offline")
    assert boot.cache["storage"]["files"] == [{"path": "/system"}]
    assert boot.fetched[1]["source"] == "system"


def test_empty_platform_config_is_the_empty_config(tmp_path: Path, system) -> None:
    boot = Boot(tmp_path, platform="metal")
    boot.run("fetch-offline")
    assert boot.cache == {"ignition": {"version": "3.6.0"}}
    assert boot.fetched == [{"kind": "base", "source": "system", "referenced": False}]


def test_platform_from_the_kernel_command_line(tmp_path: Path, system) -> None:
    boot = Boot(tmp_path, cmdline="ignition.platform.id=metal", platform=None)
    boot.run("fetch-offline")
    assert boot.cache is not None
    with pytest.raises(UsageError, match="no platform"):
        Boot(tmp_path / "x", platform=None).run("fetch-offline") if (tmp_path / "x").mkdir() is None else None


def test_base_configs_priority_platform_and_later_stages(tmp_path: Path, system) -> None:
    for name in ("run", "etc", "usr"):
        (system[name] / "base.d").mkdir(parents=True)
    (system["usr"] / "base.d" / "10-a.ign").write_bytes(dump(cfg(storage={"files": [{"path": "/vendor-a"}]})))
    (system["etc"] / "base.d" / "10-a.ign").write_bytes(dump(cfg(storage={"files": [{"path": "/admin-a"}]})))
    (system["usr"] / "base.d" / "20-b").write_bytes(dump(cfg(storage={"files": [{"path": "/vendor-b"}]})))
    plat = system["usr"] / "base.platform.d" / "file"
    plat.mkdir(parents=True)
    (plat / "p.ign").write_bytes(dump(cfg(storage={"files": [{"path": "/platform"}]})))
    boot = Boot(tmp_path, config=dump(cfg(storage={"files": [{"path": "/user"}]})))
    boot.run("fetch-offline")
    assert boot.cache["storage"]["files"] == [{"path": "/user"}]  # base configs are never cached
    full = boot.ctx("files").config()
    assert [f.path for f in full.storage.files] == ["/admin-a", "/vendor-b", "/platform", "/user"]


def test_invalid_base_d_is_fatal_but_a_bad_platform_fragment_is_ignored(tmp_path: Path, system) -> None:
    plat = system["run"] / "base.platform.d" / "file"
    plat.mkdir(parents=True)
    (plat / "bad.ign").write_bytes(b"{not json")
    boot = Boot(tmp_path, config=dump(cfg()))
    boot.run("fetch-offline")
    (system["run"] / "base.d").mkdir(parents=True)
    (system["run"] / "base.d" / "empty.ign").write_bytes(b"")
    with pytest.raises(ConfigError, match="failed to acquire system base config"):
        boot.run("fetch-offline")


def _imports_after(code: str, env: dict[str, str]) -> set[str]:
    probe = (
        code + "\nimport sys, json; "
        "print(json.dumps(sorted(m for m in ('requests', 'jsonschema', 'urllib3') if m in sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env={**os.environ, **env}, cwd=REPO, check=True
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_offline_stage_and_later_stages_import_neither_requests_nor_jsonschema(tmp_path: Path, system) -> None:
    boot = Boot(tmp_path, config=dump(cfg(storage={"files": [{"path": "/f", "contents": {"source": "data:,x"}}]})))
    env = {k: v for k, v in os.environ.items() if k.startswith("IGNITION_SYSTEM")}
    stage = (
        "from pathlib import Path\nfrom ignite.stages import StageContext, run_stage\n"
        f"d = Path({str(tmp_path)!r})\n"
        "ctx = StageContext(stage='{stage}', platform='file', config_cache=d/'run'/'ignition.json', "
        "state_file=d/'run'/'ignition'/'state', neednet_file=d/'run'/'ignition'/'neednet', "
        "cmdline_file=d/'cmdline', config_file=d/'user-config.ign')\n"
    )
    assert _imports_after(stage.format(stage="fetch-offline") + "run_stage(ctx)", env) == set()
    assert boot.cache is not None
    assert _imports_after(stage.format(stage="files") + "ctx.config()", env) == set()


def test_a_plain_run_on_this_workstation_reaches_no_cloud_address(tmp_path: Path) -> None:
    """`ignite run --stage fetch` with this machine's own /proc/cmdline: every connect
    outside loopback is recorded and refused by an audit hook in the child process."""
    real = Path("/proc/cmdline").read_text()
    if "ignition.platform.id" in real or "ignition.config.url" in real:
        pytest.skip("this machine's kernel command line names an Ignition platform")
    probe = (
        "import sys\n"
        "seen = []\n"
        "def hook(event, args):\n"
        "    if event == 'socket.connect':\n"
        "        addr = args[1]\n"
        "        if isinstance(addr, tuple) and not str(addr[0]).startswith(('127.', '::1')):\n"
        "            seen.append(addr[0]); raise PermissionError('blocked')\n"
        "sys.addaudithook(hook)\n"
        "from ignite.cli import main\n"
        f"sys.argv = ['ignite', 'run', '--stage', '{{stage}}', '--config-cache', '{tmp_path}/c.json', "
        f"'--state-file', '{tmp_path}/state', '--neednet', '{tmp_path}/neednet', '--root', '{tmp_path}/root']\n"
        "try:\n    code = main()\nexcept SystemExit as e:\n    code = e.code\n"
        "print('CONNECTS', seen, 'EXIT', code)\n"
    )
    for stage in ("fetch-offline", "fetch"):
        out = subprocess.run(
            [sys.executable, "-c", probe.format(stage=stage)], capture_output=True, text=True, cwd=REPO, timeout=60
        )
        assert "CONNECTS [] EXIT 2" in out.stdout, out.stdout + out.stderr
        assert "no platform" in out.stderr


def test_packet_stage_fetches_user_data_and_phones_home(
    tmp_path: Path, system, http_server: Server, monkeypatch
) -> None:
    monkeypatch.setenv("IGNITE_ENDPOINT_PACKET", http_server.url(""))
    http_server.route("/userdata", Reply(200, dump(cfg(storage={"files": [{"path": "/metal"}]}))))
    http_server.route(
        "/metadata", Reply(200, json.dumps({"phone_home_url": http_server.url("/ph/phone-home")}).encode())
    )
    http_server.route("/ph/events", Reply(200))
    boot = Boot(tmp_path, platform="packet")
    boot.run("fetch")
    assert boot.cache["storage"]["files"] == [{"path": "/metal"}]
    events = [json.loads(s.body) for s in http_server.seen if s.path == "/ph/events"]
    assert events == [{"state": "running", "message": "[fetch] Ignition status: finished successfully"}]


def test_hyperv_pools_become_provider_output_files(tmp_path: Path, system, monkeypatch) -> None:
    import base64

    def record(key: str, value: str) -> bytes:
        return key.encode().ljust(512, b"\0") + value.encode().ljust(2048, b"\0")

    pools = tmp_path / "kvp"
    pools.mkdir()
    pool0 = record("ignition.config", json.dumps(cfg(storage={"files": [{"path": "/hv"}]})))
    (pools / ".kvp_pool_0").write_bytes(pool0)
    (pools / ".kvp_pool_3").write_bytes(record("VirtualMachineName", "vm1"))
    monkeypatch.setenv("IGNITE_HYPERV_KVP_DIR", str(pools))
    boot = Boot(tmp_path, platform="hyperv")
    boot.run("fetch-offline")
    assert boot.cache["storage"]["files"] == [{"path": "/hv"}]
    state = json.loads((tmp_path / "run" / "ignition" / "state").read_text())
    files = state["providerOutputFiles"]
    assert [f["path"] for f in files] == ["/var/lib/hyperv/.kvp_pool_0", "/var/lib/hyperv/.kvp_pool_3"]
    assert files[0]["mode"] == 0o600 and files[0]["overwrite"] is True
    assert base64.b64decode(files[0]["contents"]["source"].split(",", 1)[1]) == pool0


def test_device_without_path_is_a_clear_error(tmp_path: Path, system) -> None:
    from ignite.errors import ProviderError

    boot = Boot(tmp_path, cmdline="ignition.config.device=boot", platform="metal")
    with pytest.raises(ProviderError, match='both "ignition.config.device" and "ignition.config.path"'):
        boot.run("fetch-offline")
