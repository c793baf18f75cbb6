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


def _netdev_options(edit):  # noqa: ANN001, ANN202 - a list edit on the options of a built netdev
    """A real command line (the one-NIC guest's) with its netdev's options edited."""
    def change(argv: list[str]) -> list[str]:
        at = argv.index("-netdev") + 1
        return [*argv[:at], ",".join(edit(argv[at].split(","))), *argv[at + 1:]]
    return change


def _nic(value: str):  # noqa: ANN202
    def change(argv: list[str]) -> list[str]:
        at = argv.index("-nic") + 1
        return [*argv[:at], value, *argv[at + 1:]]
    return change


# Each takes a command line the suite really builds and breaks its network in one way.
BREAKAGES = {
    "restrict dropped": _netdev_options(lambda o: [x for x in o if not x.startswith("restrict=")]),
    "restrict switched off": _netdev_options(lambda o: [x.replace("=on", "=off") if x.startswith("restrict=") else x
                                                        for x in o]),
    "tap backend": _netdev_options(lambda o: ["tap", *o[1:]]),
    "bridge backend": _netdev_options(lambda o: ["bridge", *o[1:]]),
    "a -nic other than none": _nic("model=virtio"),
    "legacy -net": lambda argv: [*argv, "-net", "nic"],
}


@pytest.mark.parametrize("breakage", BREAKAGES, ids=str)
def test_unrestricted_networks_are_refused(breakage: str) -> None:
    argv = qemu_argv(IMAGES, GUESTS[1])
    assert_restricted(argv)  # the real one passes
    with pytest.raises(ValueError):
        assert_restricted(BREAKAGES[breakage](argv))
