"""The external tools ignite runs, named once so that a distribution can change them.

Each can be overridden with an environment variable IGNITE_TOOL_<NAME> (upper case,
dashes and dots as underscores), e.g. IGNITE_TOOL_SGDISK=/opt/bin/sgdisk.
"""
from __future__ import annotations

import os

TOOLS: dict[str, str] = {
    "blkid": "blkid",
    "blockdev": "blockdev",
    "chroot": "chroot",
    "clevis": "clevis",
    "cryptsetup": "cryptsetup",
    "groupadd": "groupadd",
    "groupdel": "groupdel",
    "groupmod": "groupmod",
    "is-live-image": "is-live-image",
    # the distribution hook that persists kernelArguments (dracut/30ignite ships one)
    "kargs-helper": "ignite-kargs-helper",
    "losetup": "losetup",
    "mdadm": "mdadm",
    "mkfs.btrfs": "mkfs.btrfs",
    "mkfs.ext4": "mkfs.ext4",
    "mkfs.vfat": "mkfs.vfat",
    "mkfs.xfs": "mkfs.xfs",
    "mkswap": "mkswap",
    "mount": "mount",
    "partx": "partx",
    "setfiles": "setfiles",
    "sgdisk": "sgdisk",
    "systemctl": "systemctl",
    "udevadm": "udevadm",
    "umount": "umount",
    "useradd": "useradd",
    "userdel": "userdel",
    "usermod": "usermod",
    "wipefs": "wipefs",
    # config channels of some platforms (ignite/providers)
    "modprobe": "modprobe",
    "vmware-rpctool": "vmware-rpctool",
    "VBoxControl": "VBoxControl",
    "vmur": "vmur",
    "chccwdev": "chccwdev",
    "cio_ignore": "cio_ignore",
}


def tool(name: str) -> str:
    """The executable for a logical tool name."""
    override = os.environ.get("IGNITE_TOOL_" + name.upper().replace("-", "_").replace(".", "_"))
    return override or TOOLS[name]
