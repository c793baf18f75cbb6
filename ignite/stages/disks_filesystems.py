"""Filesystems: reuse under upstream's rules, else wipe and mkfs; independent runs in parallel."""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ignite.config.model import Filesystem
from ignite.errors import CommandError, DeviceError
from ignite.system import blkid, mkfs, udev

log = logging.getLogger("ignite.disks")
NON_BLOCK_FORMATS = ("virtiofs",)


@dataclass(frozen=True)
class FsPlan:
    fs: Filesystem
    index: int
    node: str
    action: str  # "reuse" or "format"
    found: blkid.Signature

    @property
    def where(self) -> str:
        return f"storage.filesystems.{self.index}"

    def mkfs_argv(self) -> list[str]:
        fs = self.fs
        return mkfs.argv(fs.format or "", self.node, fs.label, fs.uuid, fs.options)


def wanted(filesystems: tuple[Filesystem, ...]) -> list[tuple[int, Filesystem]]:
    """The filesystems the disks stage handles: a format is set and it is a block format."""
    return [(i, fs) for i, fs in enumerate(filesystems) if fs.format is not None and fs.format not in NON_BLOCK_FORMATS]


def plan_filesystem(fs: Filesystem, index: int, node: str) -> FsPlan:
    """Probes `node` and decides; DeviceError (nothing formatted) when an existing
    filesystem may not be reused and must not be wiped."""
    found = blkid.probe(node)
    return FsPlan(fs, index, node, decide_filesystem(fs, index, found), found)


def decide_filesystem(fs: Filesystem, index: int, found: blkid.Signature) -> str:
    """"reuse" or "format" for what a device carries (`found`), under upstream's rules;
    DeviceError when an existing filesystem may not be reused and must not be wiped."""
    fmt = fs.format or ""
    if fmt not in mkfs.FORMATS and fmt != "":
        raise DeviceError(fs.device, f"unsupported filesystem format {fmt!r}", f"storage.filesystems.{index}.format")
    if fs.wipe_filesystem is True:
        return "format"
    expected = "" if fmt == "none" else fmt
    if found.type == expected and _same(fs.label, found.label) and _same_uuid(fs.uuid, found.uuid, fmt):
        return "reuse"
    if found.type:
        differs = []
        if found.type != expected:
            differs.append(f"found {found.type}, want {expected or 'no filesystem'}")
        if not _same(fs.label, found.label):
            differs.append(f"label {found.label!r}, want {fs.label!r}")
        if not _same_uuid(fs.uuid, found.uuid, fmt):
            differs.append(f"UUID {found.uuid}, want {fs.uuid}")
        raise DeviceError(fs.device, f"filesystem is not of the correct type ({'; '.join(differs)}) and "
                          "wipeFilesystem is false: refusing to format it", f"storage.filesystems.{index}")
    if fmt == "":
        return "reuse"
    return "format"


def _same(wanted: str | None, found: str) -> bool:
    return wanted is None or wanted == found


def _same_uuid(wanted: str | None, found: str, fmt: str) -> bool:
    return wanted is None or mkfs.canonical_uuid(wanted, fmt) == mkfs.canonical_uuid(found, fmt)


def apply_filesystems(plans: list[FsPlan]) -> None:
    """Formats in parallel; every failure is reported, each naming its device."""
    todo = [p for p in plans if p.action == "format"]
    for plan in plans:
        if plan.action == "reuse":
            log.info("%s: already correctly formatted, skipping mkfs", plan.fs.device)
    if not todo:
        return
    with ThreadPoolExecutor(max_workers=min(len(todo), 8)) as pool:
        errors = [e for e in pool.map(_format, todo) if e]
    if errors:
        raise DeviceError(errors[0].device, "\n".join(str(e) for e in errors)) if len(errors) > 1 else errors[0]


def _format(plan: FsPlan) -> DeviceError | None:
    fs = plan.fs
    try:
        blkid.wipe(plan.node)
        mkfs.make(fs.format or "", plan.node, fs.label, fs.uuid, fs.options)
        if fs.format != "none":
            udev.settle(plan.node)
    except CommandError as exc:
        return DeviceError(fs.device, f"cannot make the {fs.format} filesystem: {exc}", plan.where)
    log.info("%s: made %s filesystem", fs.device, fs.format)
    return None
