"""Machine identity in config URLs: ${mac}, ${uuid}, ${serial}, ${hostname}, against a
sysfs/procfs tree of the test's own (the real machine's facts must not matter)."""
from __future__ import annotations

from pathlib import Path

import pytest

from ignite.errors import IdentityError
from ignite.identity import Facts, expand

ROUTE_HEADER = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"


def machine(tmp_path: Path, nics: dict[str, tuple[int, str, str]], *, default_route: str | None = None,
            uuid: str | None = "4C4C4544-0042-3510-8051-B4C04F4A4E32", serial: str | None = "SN 12/34",
            hostname: str = "(none)", v6_route: str | None = None) -> Facts:
    """nics: name -> (ifindex, mac, carrier)."""
    net = tmp_path / "net"
    for name, (index, mac, carrier) in {"lo": (1, "00:00:00:00:00:00", "1"), **nics}.items():
        d = net / name
        d.mkdir(parents=True)
        (d / "ifindex").write_text(f"{index}\n")
        (d / "address").write_text(f"{mac}\n")
        (d / "carrier").write_text(f"{carrier}\n")
        (d / "type").write_text("772\n" if name == "lo" else "1\n")
    dmi = tmp_path / "dmi"
    dmi.mkdir()
    if uuid is not None:
        (dmi / "product_uuid").write_text(uuid + "\n")
    if serial is not None:
        (dmi / "product_serial").write_text(serial + "\n")
    route = ROUTE_HEADER
    if default_route:
        route += f"{default_route}\t00000000\t0202000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
    route += "eth9\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
    (tmp_path / "route").write_text(route)
    v6 = ""
    if v6_route:
        zeros = "0" * 32
        v6 = f"{zeros} 00 {zeros} 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003 {v6_route}\n"
    (tmp_path / "ipv6_route").write_text(v6)
    (tmp_path / "hostname").write_text(hostname + "\n")
    return Facts(str(net), str(dmi), str(tmp_path / "route"), str(tmp_path / "ipv6_route"), str(tmp_path / "hostname"))


def test_a_url_without_a_placeholder_is_used_byte_for_byte(tmp_path: Path) -> None:
    url = "http://cfg.example/a%2Fb/$mac/{uuid}/%zz?x=${"[:-2] + "#frag"
    assert expand(url, Facts(str(tmp_path / "none"))) == url


def test_mac_is_the_nic_with_the_default_route_not_the_first(tmp_path: Path) -> None:
    facts = machine(tmp_path, {"ens3": (2, "52:54:00:AA:00:01", "1"), "ens4": (3, "52:54:00:aa:00:02", "1")},
                    default_route="ens4")
    assert expand("http://h/${mac}.ign", facts) == "http://h/52%3A54%3A00%3Aaa%3A00%3A02.ign"


def test_mac_from_an_ipv6_only_default_route(tmp_path: Path) -> None:
    facts = machine(tmp_path, {"ens3": (2, "52:54:00:aa:00:01", "1"), "ens4": (3, "52:54:00:aa:00:02", "1")},
                    v6_route="ens4")
    assert expand("${mac}", facts) == "52%3A54%3A00%3Aaa%3A00%3A02"


def test_without_a_route_mac_is_the_first_nic_with_a_link(tmp_path: Path) -> None:
    facts = machine(tmp_path, {"ens5": (4, "52:54:00:aa:00:05", "1"), "ens3": (2, "52:54:00:aa:00:03", "0"),
                               "ens4": (3, "52:54:00:AA:00:04", "1")})
    assert expand("${mac}", facts) == "52%3A54%3A00%3Aaa%3A00%3A04"


def test_no_nic_with_a_link_is_an_error_naming_the_variable(tmp_path: Path) -> None:
    facts = machine(tmp_path, {"ens3": (2, "52:54:00:aa:00:03", "0")})
    with pytest.raises(IdentityError, match=r"\$\{mac\}: no network interface"):
        expand("http://h/${mac}", facts)


def test_uuid_serial_and_hostname_are_url_encoded(tmp_path: Path) -> None:
    facts = machine(tmp_path, {}, hostname="node-7.rack b")
    assert expand("http://h/c?uuid=${uuid}&serial=${serial}&host=${hostname}", facts) == (
        "http://h/c?uuid=4c4c4544-0042-3510-8051-b4c04f4a4e32&serial=SN%2012%2F34&host=node-7.rack%20b")


@pytest.mark.parametrize("serial", ["Not Specified", "To Be Filled By O.E.M.", ""])
def test_a_serial_the_firmware_leaves_unset_is_an_error(tmp_path: Path, serial: str) -> None:
    facts = machine(tmp_path, {}, serial=serial)
    with pytest.raises(IdentityError, match=r"\$\{serial\}: the firmware does not set it"):
        expand("${serial}", facts)


def test_unreadable_smbios_is_an_error_naming_the_file(tmp_path: Path) -> None:
    facts = machine(tmp_path, {}, uuid=None)
    with pytest.raises(IdentityError, match=r"\$\{uuid\}: cannot read .*product_uuid"):
        expand("${uuid}", facts)


def test_no_hostname_yet_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(IdentityError, match=r"\$\{hostname\}: the kernel has no host name"):
        expand("${hostname}", machine(tmp_path, {}))


@pytest.mark.parametrize("url, named", [
    ("http://h/${MAC}", "${MAC}"), ("http://h/${ip}", "${ip}"), ("http://h/${}", "${}"),
])
def test_an_unknown_variable_is_an_error_that_names_it(tmp_path: Path, url: str, named: str) -> None:
    with pytest.raises(IdentityError, match=r"unknown variable " + named.replace("$", r"\$").replace("{", r"\{")):
        expand(url, machine(tmp_path, {}))


def test_an_unterminated_placeholder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(IdentityError, match="unterminated"):
        expand("http://h/${uuid", machine(tmp_path, {}))


def test_the_fetch_stage_fetches_the_per_machine_url(tmp_path: Path, http_server, monkeypatch) -> None:
    """End to end: the command line's URL names ${uuid} and ${mac}; the server sees this
    machine's values, and the stage caches the config it served for them."""
    import json

    from ignite import identity
    from ignite.stages import StageContext, run_stage

    from .conftest import Reply

    facts = machine(tmp_path, {"ens3": (2, "52:54:00:12:34:56", "1")}, default_route="ens3")
    for name, value in (("SYS_NET", facts.sys_net), ("DMI_DIR", facts.dmi_dir), ("ROUTE_V4", facts.route_v4),
                        ("ROUTE_V6", facts.route_v6), ("HOSTNAME", facts.hostname_file)):
        monkeypatch.setattr(identity, name, value)
    config = {"ignition": {"version": "3.4.0"},
              "storage": {"files": [{"path": "/etc/who", "contents": {"source": "data:,me"}}]}}
    http_server.route("/machines/4c4c4544-0042-3510-8051-b4c04f4a4e32/52%3A54%3A00%3A12%3A34%3A56.ign",
                      Reply(200, json.dumps(config).encode()))
    cmdline = tmp_path / "cmdline"
    cmdline.write_text(f"ignition.config.url={http_server.url('/machines/${uuid}/${mac}.ign')}\n")
    ctx = StageContext("fetch", root=tmp_path / "root", platform="metal", config_cache=tmp_path / "ignition.json",
                       state_file=tmp_path / "state" / "state", neednet_file=tmp_path / "neednet",
                       cmdline_file=cmdline, fetch_timeout=10)
    run_stage(ctx)
    machine_path = "/machines/4c4c4544-0042-3510-8051-b4c04f4a4e32/52%3A54%3A00%3A12%3A34%3A56.ign"
    assert [s.path for s in http_server.seen] == [machine_path]
    assert json.loads((tmp_path / "ignition.json").read_text())["storage"]["files"][0]["path"] == "/etc/who"
