"""mkfs for each format ignite makes, with Ignition's flags: user options first."""
from __future__ import annotations

from collections.abc import Sequence

from ignite.errors import DeviceError
from ignite.system.run import run

FORMATS = ("ext4", "btrfs", "xfs", "swap", "vfat", "none")


def canonical_uuid(uuid: str, fmt: str) -> str:
    """Lower case; a vfat volume id loses its dash (ABCD-1234 → abcd1234)."""
    uuid = uuid.lower()
    if fmt == "vfat" and len(uuid) == 9 and uuid[4] == "-":
        uuid = uuid[:4] + uuid[5:]
    return uuid


def argv(fmt: str, device: str, label: str | None, uuid: str | None, options: Sequence[str]) -> list[str]:
    """[tool name, args…] for `fmt`; empty for `none`."""
    opts = list(options)
    if fmt == "ext4":
        cmd = (
            ["mkfs.ext4", *opts, "-F"]
            + (["-U", canonical_uuid(uuid, fmt)] if uuid else [])
            + (["-L", label] if label else [])
        )
    elif fmt == "btrfs":
        cmd = (
            ["mkfs.btrfs", *opts, "--force"]
            + (["-U", canonical_uuid(uuid, fmt)] if uuid else [])
            + (["-L", label] if label else [])
        )
    elif fmt == "xfs":
        cmd = (
            ["mkfs.xfs", *opts, "-f"]
            + (["-m", f"uuid={canonical_uuid(uuid, fmt)}"] if uuid else [])
            + (["-L", label] if label else [])
        )
    elif fmt == "swap":
        cmd = (
            ["mkswap", *opts, "-f"]
            + (["-U", canonical_uuid(uuid, fmt)] if uuid else [])
            + (["-L", label] if label else [])
        )
    elif fmt == "vfat":
        cmd = (
            ["mkfs.vfat", *opts]
            + (["-i", canonical_uuid(uuid, fmt)] if uuid else [])
            + (["-n", label] if label else [])
        )
    elif fmt == "none":
        return []
    else:
        raise DeviceError(device, f"unsupported filesystem format {fmt!r}")
    return [*cmd, device]


def make(fmt: str, device: str, label: str | None, uuid: str | None, options: Sequence[str]) -> None:
    cmd = argv(fmt, device, label, uuid, options)
    if cmd:
        run(cmd[0], *cmd[1:])
