"""The kernel's network arguments as ignite-network and the generator read them, run on the
host against a fake command line (systemd-network-generator writes into a scratch root;
nothing is configured on the host). Fast; no QEMU."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NETWORK = REPO / "dracut" / "30ignite" / "ignite-network"
GENERATOR = REPO / "dracut" / "30ignite" / "ignite-generator"
NETGEN = Path("/usr/lib/systemd/systemd-network-generator")

pytestmark = pytest.mark.skipif(not NETGEN.exists(), reason="no systemd-network-generator (package systemd)")


def check(tmp_path: Path, cmdline: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "cmdline").write_text(cmdline + "\n")
    env = {"PATH": os.environ["PATH"], "IGNITE_KERNEL_CMDLINE_PATH": str(tmp_path / "cmdline")}
    return subprocess.run(["bash", str(NETWORK), "check"], env=env, capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("args", [
    "ip=dhcp",
    "ip=dhcp6",
    "ip=10.0.2.15::10.0.2.2:255.255.255.0:myhost:eth0:none nameserver=10.0.2.3",
    "ifname=net0:52:54:00:12:34:56 ip=net0:dhcp rd.neednet=1",
    "ip=dhcp nameserver=10.0.2.53 nameserver=10.0.2.54",
])
def test_what_bare_metal_users_pass_is_accepted(tmp_path, args):
    done = check(tmp_path, f"ignition.firstboot {args}")
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("typo", [
    "ip=dchp",
    "ip=10.0.2.15::10.0.2.2:255.255.255.0:myhost:eth0:nonee",
    "ip=10.0.2.300::10.0.2.2:255.255.255.0:h:eth0:none",
    "nameserver=not-an-address",
])
def test_a_typo_gets_one_line_naming_the_argument(tmp_path, typo):
    done = check(tmp_path, f"ignition.firstboot ip=dhcp {typo}" if not typo.startswith("ip=") else
                 f"ignition.firstboot {typo}")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f'"{typo}" is not valid' in lines[0], done.stderr


def test_ifname_link_files_are_written_at_generator_time(tmp_path):
    """udev applies .link files when the NIC appears, before any ignite unit runs."""
    (tmp_path / "cmdline").write_text("ignition.firstboot ifname=boot0:52:54:00:aa:bb:cc ip=boot0:dhcp\n")
    env = {"PATH": os.environ["PATH"], "IGNITE_KERNEL_CMDLINE_PATH": str(tmp_path / "cmdline"),
           "IGNITE_ENV_FILE": str(tmp_path / "run/ignition.env"), "IGNITE_GENERATOR_LOG": str(tmp_path / "log"),
           "IGNITE_NETWORK_ROOT": str(tmp_path / "root")}
    subprocess.run([str(GENERATOR), str(tmp_path / "units")], env=env, check=True, timeout=10)
    link = (tmp_path / "root/run/systemd/network/90-boot0.link").read_text()
    assert "MACAddress=52:54:00:aa:bb:cc" in link and "Name=boot0" in link
    # An offline boot without ifname= writes nothing.
    shutil.rmtree(tmp_path / "root")
    (tmp_path / "cmdline").write_text("ignition.firstboot ip=dhcp\n")
    subprocess.run([str(GENERATOR), str(tmp_path / "units")], env=env, check=True, timeout=10)
    assert not (tmp_path / "root").exists()


def network_env(tmp_path: Path, cmdline: str, **extra: str) -> dict[str, str]:
    (tmp_path / "cmdline").write_text(cmdline + "\n")
    return {"PATH": os.environ["PATH"], "IGNITE_KERNEL_CMDLINE_PATH": str(tmp_path / "cmdline"),
            "IGNITE_NETWORK_ROOT": str(tmp_path / "root"),
            "IGNITE_NETWORK_DIR": str(tmp_path / "root/run/systemd/network"),
            "IGNITE_STATE_DIR": str(tmp_path / "state"), **extra}


def first_network_file(tmp_path: Path) -> str:
    """What networkd applies to an Ethernet link: the first matching .network file, in
    lexical order (every file written here matches any Ethernet link)."""
    files = sorted((tmp_path / "root/run/systemd/network").glob("*.network"))
    assert files, "no .network file written"
    return files[0].read_text()


@pytest.mark.parametrize("args", ["", "nameserver=10.0.2.53", "nameserver=10.0.2.53 rd.route=10.1.0.0/16:10.0.2.2"])
def test_without_ip_every_ethernet_link_gets_dhcp_even_with_nameserver(tmp_path, args):
    """nameserver= alone makes the generator write a network for every link without DHCP;
    ignite's DHCP default must still be the one networkd applies (else no lease, ever)."""
    done = subprocess.run(["bash", str(NETWORK), "config"], env=network_env(tmp_path, f"ignition.firstboot {args}"),
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    first = first_network_file(tmp_path)
    assert "Written by ignite-network" in first and "DHCP=yes" in first, first


def test_with_ip_the_generator_network_is_applied(tmp_path):
    done = subprocess.run(["bash", str(NETWORK), "config"],
                          env=network_env(tmp_path, "ignition.firstboot ip=dhcp nameserver=10.0.2.53"),
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    first = first_network_file(tmp_path)
    assert "systemd-network-generator" in first and "DNS=10.0.2.53" in first, first


def test_a_failed_up_repeats_its_reason_when_started_again(tmp_path):
    """The failure unit starts a failed network unit again: the new start fails at once
    with the first attempt's reason (no second wait, no error about leftovers)."""
    calls = tmp_path / "calls"
    generator = tmp_path / "generator"
    generator.write_text(f"#!/bin/sh\necho run >> {calls}\nexit 1\n")
    generator.chmod(0o755)
    env = network_env(tmp_path, "ignition.firstboot", IGNITE_NETWORKD="/bin/true",
                      IGNITE_NETWORK_GENERATOR=str(generator))
    outcomes = [subprocess.run(["bash", str(NETWORK), "up"], env=env, capture_output=True, text=True, timeout=30)
                for _ in range(2)]
    assert [o.returncode for o in outcomes] == [1, 1]
    assert [o.stderr for o in outcomes] == ["ignite-network: systemd-network-generator failed\n"] * 2, outcomes
    assert calls.read_text() == "run\n"  # the second start did not run it again
