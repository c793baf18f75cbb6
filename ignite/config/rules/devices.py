"""Rules of block devices: disks and partitions, RAID arrays, LUKS volumes (clevis, tang, cex)."""
from __future__ import annotations

from ignite import jsonio
from ignite.config import urls
from ignite.config.rules.common import Ctx, byte_len, check_guid, check_path, validate_resource

TYPE_CHECKING = False  # not typing's: every fetch stage validates its config
if TYPE_CHECKING:
    from typing import Any

ERR_DISK_DEVICE_REQUIRED = "disk device is required"
ERR_NUMBERS_COLLIDE = "partition numbers collide"
ERR_OVERLAP = "partitions overlap"
ERR_DUPLICATE_LABELS = "cannot use the same partition label twice"
ERR_SHOULD_NOT_EXIST = "shouldExist specified false with other options also specified"
ERR_NEED_LABEL_OR_NUMBER = "a partition number >= 1 or a label must be specified"
ERR_PART_LABEL_TOO_LONG = "partition labels may not exceed 36 characters"
ERR_PART_LABEL_COLON = "partition label will be truncated to text before the colon"
ERR_RAID_LEVEL_REQUIRED = "raid level is required"
ERR_RAID_LEVEL = "unrecognized raid level"
ERR_RAID_SPARES = "spares unsupported for linear and raid0 arrays"
ERR_RAID_DEVICES = "raid devices required"
ERR_LUKS_SLASH = "device names cannot contain slashes"
ERR_LUKS_LABEL = "luks device labels cannot be longer than 47 characters"
ERR_LUKS_KEY_FILE = "invalid key-file source"
ERR_CUSTOM_WITH_OTHERS = "cannot use custom clevis config with tpm2, tang, or threshold"
ERR_CEX_WITH_CLEVIS = "cannot use cex with clevis"
ERR_CEX_WITH_KEY_FILE = "cannot use key file with cex"
ERR_PIN_REQUIRED = "missing required custom clevis pin"
ERR_CONFIG_REQUIRED = "missing required custom clevis config"
ERR_UNKNOWN_PIN = "unsupported clevis pin"
ERR_THUMBPRINT_REQUIRED = "thumbprint is required"
ERR_ADVERTISEMENT = "advertisement is not valid JSON"

RAID_LEVELS = frozenset({"linear", "raid0", "0", "stripe", "raid1", "1", "mirror", "raid4", "4",
                         "raid5", "5", "raid6", "6", "raid10", "10"})
_NO_SPARES_LEVELS = frozenset({"linear", "raid0", "0", "stripe"})
CLEVIS_PINS = frozenset({"tpm2", "tang", "sss"})


def _numbers_collide(parts: list[dict[str, Any]]) -> int | None:
    # upstream picks the colliding group by Go map iteration; we take the first number seen
    seen: dict[int, list[int]] = {}
    for i, p in enumerate(parts):
        number = p.get("number", 0)
        if number != 0:
            seen.setdefault(number, []).append(i)
    for indexes in seen.values():
        if len(indexes) > 1:
            return indexes[1]
    return None


def _end(p: dict[str, Any]) -> int:
    start: int = p["startMiB"]
    size: int = p["sizeMiB"]
    return start if size == 0 else start + size - 1


def _placed(p: dict[str, Any]) -> bool:
    return p.get("startMiB") is not None and p.get("sizeMiB") is not None and p["startMiB"] != 0


def _overlap(parts: list[dict[str, Any]]) -> int | None:
    for a, p in enumerate(parts):
        if not _placed(p):
            continue
        start, end = p["startMiB"], _end(p)
        for i, o in enumerate(parts):
            if i == a or not _placed(o):
                continue
            o_start, o_end = o["startMiB"], _end(o)
            if o_start <= start <= o_end or o_start <= end <= o_end or (start < o_start and end > o_end):
                return i
    return None


def _labels_collide(parts: list[dict[str, Any]]) -> int | None:
    seen: set[str] = set()
    for i, p in enumerate(parts):
        label = p.get("label")
        if label is not None:
            if label in seen:
                return i
            seen.add(label)
    return None


def _validate_partition(ctx: Ctx, p: dict[str, Any], path: tuple) -> None:
    label = p.get("label")
    if p.get("shouldExist") is False and (
        label is not None or p.get("typeGuid") or p.get("guid")
        or p.get("startMiB") is not None or p.get("sizeMiB") is not None
    ):
        ctx.error(ERR_SHOULD_NOT_EXIST, path)
    if p.get("number", 0) == 0 and label is None:
        ctx.error(ERR_NEED_LABEL_OR_NUMBER, path)
    if label is not None:
        if byte_len(label) > 36:
            ctx.error(ERR_PART_LABEL_TOO_LONG, path + ("label",))
        elif ":" in label:
            ctx.error(ERR_PART_LABEL_COLON, path + ("label",))
    ctx.error(check_guid(p.get("guid")), path + ("guid",))
    ctx.error(check_guid(p.get("typeGuid")), path + ("typeGuid",))


def validate_disk(ctx: Ctx, disk: dict[str, Any], path: tuple) -> None:
    parts = disk.get("partitions") or []
    device = disk.get("device", "")
    if device == "":
        ctx.error(ERR_DISK_DEVICE_REQUIRED, path + ("device",))
    else:
        ctx.error(check_path(device), path + ("device",))
        for check, message in (
            (_numbers_collide, ERR_NUMBERS_COLLIDE),
            (_overlap, ERR_OVERLAP),
            (_labels_collide, ERR_DUPLICATE_LABELS),
        ):
            index = check(parts)
            if index is not None:
                ctx.error(message, path + ("partitions", index))
    for i, p in enumerate(parts):
        _validate_partition(ctx, p, path + ("partitions", i))


def _check_raid_level(ctx: Ctx, raid: dict[str, Any]) -> str | None:
    level = raid.get("level")
    if ctx.minor >= 3 and not level:
        return ERR_RAID_LEVEL_REQUIRED
    level = level or ""
    if level not in RAID_LEVELS:
        return ERR_RAID_LEVEL
    if level in _NO_SPARES_LEVELS and raid.get("spares"):
        return ERR_RAID_SPARES
    return None


def validate_raid(ctx: Ctx, raid: dict[str, Any], path: tuple) -> None:
    ctx.error(_check_raid_level(ctx, raid), path + ("level",))
    devices = raid.get("devices") or ()
    if not devices:
        ctx.error(ERR_RAID_DEVICES, path + ("devices",))
    for i, device in enumerate(devices):
        ctx.error(check_path(device), path + ("devices", i))


def _clevis_present(clevis: dict[str, Any]) -> bool:
    return bool((clevis.get("custom") or {}).get("pin") or clevis.get("tang")
                or clevis.get("tpm2") or clevis.get("threshold"))


def _validate_custom(ctx: Ctx, custom: dict[str, Any], path: tuple) -> None:
    pin, config = custom.get("pin"), custom.get("config")
    if ctx.minor == 2:
        # 3.2: plain strings, and needsNetwork alone does not trigger the checks
        if not pin and not config:
            return
        if (pin or "") not in CLEVIS_PINS:
            ctx.error(ERR_UNKNOWN_PIN, path + ("pin",))
        if not config:
            ctx.error(ERR_CONFIG_REQUIRED, path + ("config",))
        return
    if not pin and not config and not custom.get("needsNetwork"):
        return
    if not pin:
        ctx.error(ERR_PIN_REQUIRED, path + ("pin",))
    elif ctx.minor <= 5 and pin not in CLEVIS_PINS:
        ctx.error(ERR_UNKNOWN_PIN, path + ("pin",))
    if not config:
        ctx.error(ERR_CONFIG_REQUIRED, path + ("config",))


def _validate_tang(ctx: Ctx, tang: dict[str, Any], path: tuple) -> None:
    ctx.error(urls.validate_http_url(tang.get("url", "")), path + ("url",))
    if not tang.get("thumbprint"):
        ctx.error(ERR_THUMBPRINT_REQUIRED, path + ("thumbprint",))
    advertisement = tang.get("advertisement")
    if ctx.minor >= 4 and advertisement:
        try:
            jsonio.loads(advertisement)
        except ValueError:
            ctx.error(ERR_ADVERTISEMENT, path + ("advertisement",))


def validate_luks(ctx: Ctx, luks: dict[str, Any], path: tuple) -> None:
    if "/" in luks.get("name", ""):
        ctx.error(ERR_LUKS_SLASH, path + ("name",))
    label = luks.get("label")
    if label and byte_len(label) > 47:
        ctx.error(ERR_LUKS_LABEL, path + ("label",))
    device = luks.get("device")
    if not device:
        ctx.error(ERR_DISK_DEVICE_REQUIRED, path + ("device",))
    else:
        ctx.error(check_path(device), path + ("device",))
    clevis = luks.get("clevis")
    others = clevis is not None and bool(clevis.get("tang") or clevis.get("tpm2") or clevis.get("threshold"))
    if ctx.minor == 2:
        custom_set = clevis is not None and "custom" in clevis
    else:
        custom_set = bool(((clevis or {}).get("custom") or {}).get("pin"))
    if custom_set and others:
        ctx.error(ERR_CUSTOM_WITH_OTHERS, path + ("clevis",))
    key_file = luks.get("keyFile") or {}
    if urls.validate_url_nil_ok(key_file.get("source"), ctx.minor) is not None:
        ctx.error(ERR_LUKS_KEY_FILE, path + ("keys",))
    if ctx.minor >= 5 and (luks.get("cex") or {}).get("enabled"):
        if _clevis_present(clevis or {}):
            ctx.error(ERR_CEX_WITH_CLEVIS, path + ("cex",))
        if key_file.get("source"):
            ctx.error(ERR_CEX_WITH_KEY_FILE, path + ("cex",))
    # children: clevis (custom, then each tang), then the key file resource
    if clevis is not None or ctx.minor >= 3:
        clevis = clevis or {}
        if ctx.minor >= 3 or "custom" in clevis:
            _validate_custom(ctx, clevis.get("custom") or {}, path + ("clevis", "custom"))
        for i, tang in enumerate(clevis.get("tang") or ()):
            _validate_tang(ctx, tang, path + ("clevis", "tang", i))
    validate_resource(ctx, key_file, path + ("keyFile",))
