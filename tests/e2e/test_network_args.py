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
