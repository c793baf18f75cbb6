"""The config leaves the platform's store at the end of a successful files stage, as
upstream's ignition-rmcfg: VMware guestinfo (and the OVF environment), VirtualBox guest
properties. The host tools are stand-ins that keep the store in a JSON file and answer
as the real tools do."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from ignite import providers
from ignite.config.parse import parse
from ignite.errors import ProviderError
from ignite.providers import ProviderContext
from ignite.resource import FetchSettings
from ignite.stages import StageContext, run_stage

CONFIG = '{"ignition":{"version":"3.4.0"}}'
OVF = """<?xml version="1.0" encoding="UTF-8"?>
<Environment xmlns="http://schemas.dmtf.org/ovf/environment/1" xmlns:oe="http://schemas.dmtf.org/ovf/environment/1">
  <PropertySection>
    <Property oe:key="guestinfo.hostname" oe:value="node1"/>
    <Property oe:key="guestinfo.ignition.config.data" oe:value="e30K"/>
    <Property oe:key="guestinfo.ignition.config.data.encoding" oe:value="base64"/>
  </PropertySection>
</Environment>
"""

RPCTOOL = '''
import json, sys
store_path = STORE
store = json.load(open(store_path))
verb, _, rest = sys.argv[1].partition(" ")
if store.get("broken"):
    print("Failed sending message to VMware.", file=sys.stderr); sys.exit(1)
if verb == "info-get":
    if rest not in store:
        print("No value found", file=sys.stderr); sys.exit(1)
    print(store[rest])
elif verb == "info-set":
    key, _, value = rest.partition(" ")
    store[key] = value
    json.dump(store, open(store_path, "w"))
'''

VBOXCONTROL = '''
import json, sys
store_path = STORE
store = json.load(open(store_path))
args = [a for a in sys.argv[1:] if a != "--nologo"]
if args[:2] == ["guestproperty", "get"]:
    if args[2] not in store:
        print("No value set!"); sys.exit(2)
    print("Value: " + store[args[2]])
elif args[:2] == ["guestproperty", "delete"]:
    store.pop(args[2], None)
    store.setdefault("deleted", []).append(args[2])
    json.dump(store, open(store_path, "w"))
'''


def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tool: str, source: str, store: dict) -> Path:
    path = tmp_path / f"{tool}.json"
    path.write_text(json.dumps(store))
    script = tmp_path / tool
    script.write_text(f"#!{sys.executable}\n" + source.replace("STORE", repr(str(path))))
    script.chmod(0o755)
    monkeypatch.setenv(f"IGNITE_TOOL_{tool.upper().replace('-', '_')}", str(script))
    return path


def files_stage(tmp_path: Path, platform: str) -> None:
    (tmp_path / "root").mkdir()
    ctx = StageContext(stage="files", root=tmp_path / "root", platform=platform, config_cache=tmp_path / "cache.json",
                       state_file=tmp_path / "state", cmdline_file=tmp_path / "cmdline")
    ctx.set_config(parse(CONFIG.encode()))
    run_stage(ctx)


@pytest.fixture
def vmware(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "sys_vendor").write_text("VMware, Inc.\n")
    monkeypatch.setenv("IGNITE_DMI_DIR", str(tmp_path))
    return tmp_path


def test_vmware_guestinfo_and_ovf_config_are_replaced_after_the_files_stage(vmware: Path, monkeypatch) -> None:
    store = stand_in(vmware, monkeypatch, "vmware-rpctool", RPCTOOL, {
        "guestinfo.ignition.config.data": "secret-config", "guestinfo.ovfEnv": OVF,
    })
    files_stage(vmware, "vmware")
    after = json.loads(store.read_text())
    assert after["guestinfo.ignition.config.data"] == "e30K"
    assert after["guestinfo.ignition.config.data.encoding"] == "base64"
    assert "ignition.config" not in after["guestinfo.ovfEnv"]
    assert after["guestinfo.ovfEnv"] == OVF.replace(
        '    <Property oe:key="guestinfo.ignition.config.data" oe:value="e30K"/>\n', ""
    ).replace('    <Property oe:key="guestinfo.ignition.config.data.encoding" oe:value="base64"/>\n', "").rstrip("\n")
    # What is left reads as the empty config "{}" (which is not a config: no more secrets).
    assert providers.get("vmware").fetch(ProviderContext("vmware", FetchSettings())) == b"{}\n"


def test_vmware_rpctool_failing_is_an_error_not_an_empty_config(vmware: Path, monkeypatch) -> None:
    stand_in(vmware, monkeypatch, "vmware-rpctool", RPCTOOL, {"broken": True})
    with pytest.raises(ProviderError, match="vmware-rpctool failed.*Failed sending message"):
        providers.get("vmware").fetch(ProviderContext("vmware", FetchSettings()))


def test_vmware_unset_guestinfo_is_no_config(vmware: Path, monkeypatch) -> None:
    stand_in(vmware, monkeypatch, "vmware-rpctool", RPCTOOL, {})
    assert providers.get("vmware").fetch(ProviderContext("vmware", FetchSettings())) is None


def test_virtualbox_properties_are_deleted_after_the_files_stage(tmp_path: Path, monkeypatch) -> None:
    store = stand_in(tmp_path, monkeypatch, "VBoxControl", VBOXCONTROL, {"/Ignition/Config": CONFIG})
    assert providers.get("virtualbox").fetch(ProviderContext("virtualbox", FetchSettings())) == CONFIG.encode()
    files_stage(tmp_path, "virtualbox")
    after = json.loads(store.read_text())
    assert "/Ignition/Config" not in after
    assert after["deleted"] == ["/Ignition/Config/Encoding", "/Ignition/Config"]


def test_other_platforms_delete_nothing(tmp_path: Path, monkeypatch) -> None:
    store = stand_in(tmp_path, monkeypatch, "VBoxControl", VBOXCONTROL, {"/Ignition/Config": CONFIG})
    files_stage(tmp_path, "qemu")
    assert "deleted" not in json.loads(store.read_text())


def test_the_stage_knows_which_providers_delete_their_config() -> None:
    from ignite.stages import DELETE_CONFIG_PLATFORMS

    having = {p for p in providers.PLATFORMS + tuple(providers.LEGACY) if hasattr(providers.get(p), "delete_config")}
    assert having == DELETE_CONFIG_PLATFORMS
