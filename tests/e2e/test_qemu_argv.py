"""Every QEMU command line the e2e suite builds keeps the guest on QEMU's restricted user
network (no boot needed: the command lines are built and checked)."""
from __future__ import annotations

from pathlib import Path

import pytest
import qemu_guest
from qemu_guest import Forward, Guest, Images, Nic, assert_restricted, qemu_argv

IMAGES = Images(Path("/k"), Path("/i"))
GUESTS = [
    Guest("offline"),
    Guest("one-nic", nics=[Nic(forwards=(Forward("10.0.2.100", 80, 8080),))]),
    Guest("dead-first", nics=[Nic(dhcp=False), Nic(forwards=(Forward("10.0.2.100", 80, 8080),))]),
    Guest("pxe", pxe=True, nics=[Nic(tftp=Path("/srv"), bootfile="boot.ipxe", boot_rom=True,
                                     forwards=(Forward("10.0.2.100", 80, 1),))]),
    Guest("cloud", nics=[Nic(net="169.254.0.0/16", forwards=(Forward("169.254.169.254", 80, 1),))]),
]


@pytest.mark.parametrize("guest", GUESTS, ids=lambda g: g.name)
def test_every_user_netdev_is_restricted(guest):
    argv = qemu_argv(IMAGES, guest)
    netdevs = [value for flag, value in zip(argv, argv[1:], strict=False) if flag == "-netdev"]
    assert all(v.startswith("user,") and "restrict=on" in v.split(",") for v in netdevs), argv
    assert len(netdevs) == sum(1 for n in guest.nics if n.dhcp)
    assert argv[argv.index("-nic") + 1] == "none"


def test_the_command_lines_of_the_boots_that_ran_are_restricted():
    """qemu_argv checks each command line as it builds it; this re-checks the ones the
    boots actually used (artifacts/e2e/NAME.argv.json), whichever test built them."""
    import json

    for path in sorted(qemu_guest.ARTIFACTS.glob("*.argv.json")) if qemu_guest.ARTIFACTS.exists() else []:
        argv = json.loads(path.read_text())
        assert_restricted(argv)
        netdevs = [value for flag, value in zip(argv, argv[1:], strict=False) if flag == "-netdev"]
        assert all("restrict=on" in v.split(",") for v in netdevs), path


@pytest.mark.parametrize("argv", [
    ["-netdev", "user,id=n0"],
    ["-netdev", "user,id=n0,restrict=off"],
    ["-netdev", "tap,id=n0,restrict=on"],
    ["-netdev", "bridge,id=n0,br=br0"],
    ["-nic", "user"],
    ["-net", "nic"],
])
def test_unrestricted_networks_are_refused(argv):
    with pytest.raises(ValueError):
        assert_restricted(["qemu-system-x86_64", *argv])
