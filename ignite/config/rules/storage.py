"""Rules of `storage`: cross-node checks, files, directories, links and filesystems."""
from __future__ import annotations

from ignite.config.rules.common import (
    Ctx,
    byte_len,
    check_id_or_name,
    check_mode,
    check_path,
    check_path_nil_ok,
    check_special_bits,
    go_clean,
    go_join,
    hint_decimal_mode,
    validate_resource,
)
from ignite.config.rules.devices import validate_disk, validate_luks, validate_raid

TYPE_CHECKING = False  # not typing's: every fetch stage validates its config
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

ERR_FILE_USES_LINK = "file path includes link in config"
ERR_DIR_USES_LINK = "directory path includes link in config"
ERR_LINK_USES_LINK = "link path includes link in config"
ERR_LINK_TARGET_REQUIRED = "link target is required"
ERR_HARD_LINK_TO_DIR = "hard link target is a directory"
ERR_HARD_LINK_OWNER = "user/group ignored for hard link"
ERR_OVERWRITE_NIL_SOURCE = "overwrite must be false if source is unspecified"
ERR_PARTITIONS_OVERWRITTEN = "filesystem overwrites partitioned device"
ERR_IMPLICIT_WIPE = "device matches disk with wipeTable enabled; filesystem will be wiped"
# ignite's own (upstream has no such check); a warning, so verdicts stay Ignition's.
WARN_SAME_MOUNT_PATH = (
    "filesystem is mounted at the same path as storage.filesystems.{}; the later mount hides the earlier"
)
ERR_FORMAT_NIL = "format cannot be empty when path, label, uuid, wipeFilesystem, options, or mountOptions is specified"
ERR_INVALID_FORMAT = "invalid filesystem format"
ERR_LABEL_NEEDS_FORMAT = "filesystem must specify format if label is specified"
ERR_NO_DEVICE = "device not specified"
ERR_VIRTIOFS_TAG = "virtiofs device tag cannot be longer than 36 bytes"
ERR_VIRTIOFS_LABEL = "filesystem labels cannot be set when using virtiofs"
ERR_UUID_NOT_BLOCK = "filesystem uuid cannot be set for non-block-device filesystems"
ERR_WIPE_NOT_BLOCK = "wipeFilesystem cannot be set for non-block-device filesystems"
ERR_OPTIONS_NOT_BLOCK = "filesystem options (mkfs) cannot be set for non-block-device filesystems"

LABEL_LIMITS = {"ext4": 16, "btrfs": 256, "xfs": 12, "swap": 15, "vfat": 11}

S = ("storage",)


def filesystem_formats(minor: int) -> frozenset[str]:
    formats = {"ext4", "btrfs", "xfs", "swap", "vfat"}
    if minor >= 3:
        formats.add("none")
    if minor >= 7:
        formats.add("virtiofs")
    return frozenset(formats)


def _count(keys: Iterable[str]) -> dict[str, int]:
    """How many times each key comes (collections.Counter's count, without the collections
    package's import in every fetch stage)."""
    counts: dict[str, int] = {}
    for key in keys:
        counts[key] = counts.get(key, 0) + 1
    return counts


class _LinkPrefixes:
    """How many configured links a path lies under (`link path + "/"` is a prefix of it,
    counted once per link as upstream reports once per link). One dictionary lookup per
    "/" of the path whose prefix has the length of some link's: no walk over every link."""

    def __init__(self, links: Iterable[dict[str, Any]]):
        self.count = _count(link.get("path", "") + "/" for link in links)
        self.lengths = {len(prefix) for prefix in self.count}

    def under(self, path: str) -> int:
        if not self.count:
            return 0
        found = 0
        slash = path.find("/")
        while slash >= 0:
            if slash + 1 in self.lengths:
                found += self.count.get(path[:slash + 1], 0)
            slash = path.find("/", slash + 1)
        return found


def _validate_cross_nodes(ctx: Ctx, storage: dict[str, Any]) -> None:
    """Storage.Validate: nodes under configured links, link targets, filesystems over disks."""
    links = storage.get("links") or ()
    prefixes = _LinkPrefixes(links)
    for kind, message in (("directories", ERR_DIR_USES_LINK), ("files", ERR_FILE_USES_LINK)):
        for i, node in enumerate(storage.get(kind) or ()):
            for _ in range(prefixes.under(node.get("path", ""))):
                ctx.error(message, S + (kind, i))
    directories = _count(d.get("path", "") for d in storage.get("directories") or ())
    for i, link in enumerate(links):
        link_path = link.get("path", "")
        for _ in range(prefixes.under(link_path)):
            ctx.error(ERR_LINK_USES_LINK, S + ("links", i))
        target = link.get("target")
        if ctx.minor >= 3 and not target:
            ctx.error(ERR_LINK_TARGET_REQUIRED, S + ("links", i, "target"))
            continue
        if not link.get("hard"):
            continue
        target = target or ""
        resolved = go_clean(target)
        if not resolved.startswith("/"):
            resolved = go_join(link_path, target)
        for _ in range(directories.get(resolved, 0)):
            ctx.error(ERR_HARD_LINK_TO_DIR, S + ("links", i))
        for owner in ("user", "group"):
            for field in ("id", "name"):
                if (link.get(owner) or {}).get(field) is not None:
                    ctx.warning(ERR_HARD_LINK_OWNER, S + ("links", i, owner, field))
    disks: dict[str, dict[str, Any]] = {}
    for disk in storage.get("disks") or ():
        disks[disk.get("device", "")] = disk
    for i, fs in enumerate(storage.get("filesystems") or ()):
        disk = disks.get(fs.get("device", ""))
        if disk is None:
            continue
        if disk.get("partitions"):
            ctx.warning(ERR_PARTITIONS_OVERWRITTEN, S + ("filesystems", i, "device"))
        elif not fs.get("wipeFilesystem") and disk.get("wipeTable"):
            ctx.warning(ERR_IMPLICIT_WIPE, S + ("filesystems", i, "device"))
    mounted_at: dict[str, int] = {}
    for i, fs in enumerate(storage.get("filesystems") or ()):
        if not fs.get("path"):
            continue
        first = mounted_at.setdefault(fs["path"], i)
        if first != i:
            ctx.warning(WARN_SAME_MOUNT_PATH.format(first), S + ("filesystems", i, "path"))


def _validate_owners(ctx: Ctx, node: dict[str, Any], path: tuple) -> None:
    ctx.error(check_id_or_name(node.get("group") or {}), path + ("group",))
    ctx.error(check_id_or_name(node.get("user") or {}), path + ("user",))


def _validate_mode(ctx: Ctx, node: dict[str, Any], path: tuple) -> None:
    mode = node.get("mode")
    ctx.error(check_mode(mode), path + ("mode",))
    if ctx.minor < 6:
        ctx.warning(check_special_bits(mode), path + ("mode",))
    if ctx.hints:
        ctx.warning(hint_decimal_mode(mode), path + ("mode",))


def _validate_file(ctx: Ctx, f: dict[str, Any], path: tuple) -> None:
    ctx.error(check_path(f.get("path", "")), path + ("path",))
    _validate_mode(ctx, f, path)
    contents = f.get("contents") or {}
    if f.get("overwrite") and contents.get("source") is None:
        ctx.error(ERR_OVERWRITE_NIL_SOURCE, path + ("overwrite",))
    _validate_owners(ctx, f, path)
    kind = "file" if ctx.minor == 0 else "resource"
    for j, res in enumerate(f.get("append") or ()):
        validate_resource(ctx, res, path + ("append", j), kind)
    validate_resource(ctx, contents, path + ("contents",), kind)


def _validate_directory(ctx: Ctx, d: dict[str, Any], path: tuple) -> None:
    ctx.error(check_path(d.get("path", "")), path + ("path",))
    _validate_mode(ctx, d, path)
    _validate_owners(ctx, d, path)


def _check_fs_device(ctx: Ctx, fs: dict[str, Any]) -> str | None:
    device = fs.get("device", "")
    if ctx.minor >= 7 and fs.get("format") == "virtiofs":
        if device == "":
            return ERR_NO_DEVICE
        if byte_len(device) > 36:
            return ERR_VIRTIOFS_TAG
        return None
    return check_path(device)


def _check_fs_format(ctx: Ctx, fs: dict[str, Any]) -> str | None:
    fmt = fs.get("format")
    if not fmt:
        if (
            fs.get("path")
            or fs.get("label")
            or fs.get("uuid")
            or fs.get("wipeFilesystem")
            or (ctx.minor >= 1 and fs.get("mountOptions"))
            or fs.get("options")
        ):
            return ERR_FORMAT_NIL
        return None
    if fmt not in filesystem_formats(ctx.minor):
        return ERR_INVALID_FORMAT
    return None


def _check_fs_label(ctx: Ctx, fs: dict[str, Any]) -> str | None:
    label = fs.get("label")
    if not label:
        return None
    fmt = fs.get("format")
    if not fmt:
        return ERR_LABEL_NEEDS_FORMAT
    if ctx.minor >= 7 and fmt == "virtiofs":
        return ERR_VIRTIOFS_LABEL
    limit = LABEL_LIMITS.get(fmt)
    if limit is not None and byte_len(label) > limit:
        return f"filesystem labels cannot be longer than {limit} characters when using {fmt}"
    return None


def _validate_filesystem(ctx: Ctx, fs: dict[str, Any], path: tuple) -> None:
    ctx.error(check_path_nil_ok(fs.get("path")), path + ("path",))
    ctx.error(_check_fs_device(ctx, fs), path + ("device",))
    ctx.error(_check_fs_format(ctx, fs), path + ("format",))
    ctx.error(_check_fs_label(ctx, fs), path + ("label",))
    if ctx.minor >= 7 and fs.get("format") == "virtiofs":
        if fs.get("uuid"):
            ctx.error(ERR_UUID_NOT_BLOCK, path + ("uuid",))
        if fs.get("wipeFilesystem"):
            ctx.error(ERR_WIPE_NOT_BLOCK, path + ("wipeFilesystem",))
        if fs.get("options"):
            ctx.error(ERR_OPTIONS_NOT_BLOCK, path + ("options",))


def validate_storage(ctx: Ctx, storage: dict[str, Any]) -> None:
    _validate_cross_nodes(ctx, storage)
    for i, d in enumerate(storage.get("directories") or ()):
        _validate_directory(ctx, d, S + ("directories", i))
    for i, disk in enumerate(storage.get("disks") or ()):
        validate_disk(ctx, disk, S + ("disks", i))
    for i, f in enumerate(storage.get("files") or ()):
        _validate_file(ctx, f, S + ("files", i))
    for i, fs in enumerate(storage.get("filesystems") or ()):
        _validate_filesystem(ctx, fs, S + ("filesystems", i))
    for i, link in enumerate(storage.get("links") or ()):
        # links have no rules of their own: Node's path rule is promoted to them
        ctx.error(check_path(link.get("path", "")), S + ("links", i, "path"))
        _validate_owners(ctx, link, S + ("links", i))
    if ctx.minor >= 2:
        for i, luks in enumerate(storage.get("luks") or ()):
            validate_luks(ctx, luks, S + ("luks", i))
    for i, raid in enumerate(storage.get("raid") or ()):
        validate_raid(ctx, raid, S + ("raid", i))
