"""Where a config's device path is on this machine: waits for it, follows `ignite apply`'s
device map, and knows the partition node names of a disk. Shared by the disks and mount
stages (and plan, apply), as cache and state are: no stage reaches into another's modules."""
from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ignite.errors import DeviceError
from ignite.system import udev

if TYPE_CHECKING:
    from ignite.config.model import Storage

_BY_LINK_PREFIX = "/dev/disk/by-"
_BLKID_KEY = {"partlabel": "PART_ENTRY_NAME", "label": "LABEL", "uuid": "UUID", "partuuid": "PART_ENTRY_UUID"}


def partition_number(suffix: str) -> int | None:
    """N of a partition suffix `N` or `pN`: what `^p?(\\d+)$` matched (a final newline allowed)."""
    digits = suffix[1:] if suffix.startswith("p") else suffix
    digits = digits[:-1] if digits.endswith("\n") else digits
    return int(digits) if digits.isdecimal() else None


def by_link(path: str) -> tuple[str, str] | None:
    """(kind, name) of /dev/disk/by-{partlabel,label,uuid,partuuid}/name: what
    `^/dev/disk/by-(partlabel|label|uuid|partuuid)/(.+)$` matched (a final newline allowed)."""
    if not path.startswith(_BY_LINK_PREFIX):
        return None
    kind, slash, name = path[len(_BY_LINK_PREFIX):].partition("/")
    name = name[:-1] if name.endswith("\n") else name
    if not slash or kind not in _BLKID_KEY or not name or "\n" in name:
        return None
    return kind, name


def partition_node(disk: str, number: int) -> str:
    """`/dev/loop0` + 2 → `/dev/loop0p2`; `/dev/vda` + 2 → `/dev/vda2`."""
    return f"{disk}{'p' if disk[-1].isdigit() else ''}{number}"


def split_partition(node: str) -> tuple[str, int] | None:
    """(disk node, number) of a partition node the kernel knows, else None."""
    name = os.path.basename(node)
    sysdir = f"/sys/class/block/{name}"
    try:
        number = int(open(f"{sysdir}/partition").read())
    except OSError:
        return None
    parent = os.path.basename(os.path.dirname(os.path.realpath(sysdir)))
    return f"/dev/{parent}", number


class Devices:
    """Resolves config device paths. With a device map (`ignite apply`), a mapped disk's
    partitions follow it, and by-label/by-partlabel/by-uuid links are found by probing
    the mapped disks when no udev makes them."""

    def __init__(self, device_map: Mapping[str, str] | None = None, timeout: float | None = None,
                 created: tuple[str, ...] = ()):
        self.device_map = dict(device_map or {})
        self.timeout = udev.DEFAULT_TIMEOUT if timeout is None else timeout
        # With a device map only mapped devices (and the arrays and LUKS mappings the
        # config itself creates) may be used: an image build never touches the host's disks.
        self.created = set(created)

    def mapped(self, path: str) -> str:
        if path in self.device_map:
            return self.device_map[path]
        for disk, target in self.device_map.items():
            if path.startswith(disk) and (number := partition_number(path[len(disk):])) is not None:
                return partition_node(target, number)
        return path

    def resolve(self, path: str, timeout: float | None = None, json_path: str = "") -> str:
        """The device node for `path`, waiting for it to appear; DeviceError naming it, and
        where the config names it (`json_path`), if not."""
        target = self.mapped(path)
        if self.device_map and target == path and not by_link(path) and path not in self.created:
            raise DeviceError(path, "not in the device map: refusing to use a device of this machine", json_path)
        from ignite.progress import Waiting

        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        waiting = Waiting(path if target == path else f"{path} ({target})", limit)
        delay = 0.01
        while True:
            if self.device_map and by_link(target):
                if found := self._probe_link(target):
                    return found
            else:
                real = os.path.realpath(target)
                if os.path.exists(real):
                    return real
            if time.monotonic() >= deadline:
                shown = path if target == path else f"{path} (mapped to {target})"
                raise DeviceError(shown, "device does not exist" if limit <= 0 else
                                  f"device did not appear within {limit:g} s", json_path)
            waiting.tick()
            time.sleep(delay)
            delay = min(delay * 2, 0.25)

    def _probe_link(self, path: str) -> str | None:
        link = by_link(path)
        if not link:
            return None
        from ignite.system import blkid, mounts

        key, wanted = _BLKID_KEY[link[0]], link[1]
        for disk in self.device_map.values():
            if not disk.startswith("/dev/"):
                continue
            for node in [disk, *mounts.partition_nodes(disk).values()]:
                values = blkid.export(node)
                if values.get(key, "").lower() == wanted.lower() if "UUID" in key else values.get(key) == wanted:
                    return node
        return None


def created_devices(storage: Storage) -> tuple[str, ...]:
    """The device paths the config's RAID arrays and LUKS volumes make."""
    from ignite.system.mdadm import array_path

    return tuple([array_path(r.name) for r in storage.raid] + [f"/dev/mapper/{v.name}" for v in storage.luks]
                 + [f"/dev/disk/by-id/dm-name-{v.name}" for v in storage.luks])
