"""The semantic rules of v1 and 2.0-2.4, each version by its own rules (Ignition 0.x, `spec2x`).

Input is a normalized config dict of that version (canonical keys, nulls removed, JSON
types checked). Messages are 0.x's; 0.x reported no JSON paths, so each entry carries the
path of the value it is about. As in 0.x, an object whose own check fails fatally is not
looked into further.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import Any

from ignite.config.report import DEPRECATED, Report
from ignite.config.rules.common import check_header_text, hint_decimal_mode
from ignite.config.translate.legacy_urls import INVALID_URL, hash_problem, scheme_of, url_problem
from ignite.config.unitfile import go_quote as _go_quote
from ignite.config.unitfile import has_install_section, parse_unit_contents
from ignite.errors import ConfigError

Version = tuple[int, int]
Path = tuple

_GUID = re.compile(r"^(|[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})$")
_GUID_MESSAGE = 'doesn\'t match the form "01234567-89AB-CDEF-EDCB-A98765432101"'
_SYSTEMD_EXTS = {".service", ".socket", ".device", ".mount", ".automount", ".swap", ".target",
                 ".path", ".timer", ".snapshot", ".slice", ".scope"}
_NETWORKD_EXTS = {".link", ".netdev", ".network"}
_LABEL_MAX = {"ext4": 16, "btrfs": 256, "xfs": 12, "swap": 15, "vfat": 11}
_RAID_NO_SPARES = {"linear", "raid0", "0", "stripe"}
_RAID_LEVELS = _RAID_NO_SPARES | {"raid1", "1", "mirror", "raid4", "4", "raid5", "5", "raid6", "6", "raid10", "10"}
_CREATE_VS_FLAT = ("gecos", "groups", "homeDir", "noCreateHome", "noLogInit", "noUserGroup",
                   "primaryGroup", "shell", "system", "uid")


def parse_version(version: str) -> Version:
    """"1" → (1, 0); "2.3.0" → (2, 3)."""
    if version == "1":
        return (1, 0)
    major, minor, _ = version.split(".")
    return (int(major), int(minor))


def validate_legacy(cfg: dict[str, Any], version: str) -> Report:
    report = Report()
    _Checker(parse_version(version), report).config(cfg)
    return report


def path_ext(name: str) -> str:
    """Go's path.Ext: the suffix from the last dot of the last element."""
    base = name.rsplit("/", 1)[-1]
    dot = base.rfind(".")
    return base[dot:] if dot >= 0 else ""


def _is_abs(path: str) -> bool:
    return path.startswith("/")


class _Checker:
    def __init__(self, version: Version, report: Report):
        self.v = version
        self.r = report

    def err(self, message: str, path: Path) -> None:
        self.r.error(message, path)

    def warn(self, message: str, path: Path) -> None:
        self.r.warning(message, path)

    def config(self, cfg: dict) -> None:
        """In 0.x's order: the config-wide rules, then each section in its Go struct's field order."""
        if self.v < (2, 1):
            self.unsigned(cfg)
        if self.v >= (2, 0):
            self.filesystem_references(cfg.get("storage", {}))
        sections: dict[str, Callable[[], None]] = {
            "ignition": lambda: self.ignition(cfg.get("ignition", {}), ("ignition",)),
            "storage": lambda: self.storage(cfg.get("storage", {})),
            "systemd": lambda: self.each(cfg, ("systemd", "units"), self.unit),
            "networkd": lambda: self.each(cfg, ("networkd", "units"), self.networkd_unit),
            "passwd": lambda: self.each(cfg, ("passwd", "users"), self.user),
        }
        order: tuple[str, ...]
        if self.v < (2, 0):
            order = ("storage", "systemd", "networkd", "passwd")
        elif self.v < (2, 1):
            order = ("ignition", "storage", "systemd", "networkd", "passwd")
        else:  # from 2.1 the types are generated from the JSON schema, fields sorted by name
            order = ("ignition", "networkd", "passwd", "storage", "systemd")
        for section in order:
            sections[section]()

    def unsigned(self, cfg: dict) -> None:
        """v1 and 2.0 decoded these into unsigned Go types: a negative number did not decode."""
        storage = cfg.get("storage", {})
        found: list[tuple[Any, Path]] = []
        for i, disk in enumerate(storage.get("disks", [])):
            for j, part in enumerate(disk.get("partitions", [])):
                found += [(part.get(k), ("storage", "disks", i, "partitions", j, k)) for k in ("size", "start")]
        files: list[tuple[Path, Any]] = [(("storage", "files", i), f) for i, f in enumerate(storage.get("files", []))]
        for i, fs in enumerate(storage.get("filesystems", [])):
            files += [(("storage", "filesystems", i, "files", j), f) for j, f in enumerate(fs.get("files", []))]
        found += [(file.get("mode"), where + ("mode",)) for where, file in files]
        for i, user in enumerate(cfg.get("passwd", {}).get("users", [])):
            found.append((user.get("create", {}).get("uid"), ("passwd", "users", i, "create", "uid")))
        for i, group in enumerate(cfg.get("passwd", {}).get("groups", [])):
            found.append((group.get("gid"), ("passwd", "groups", i, "gid")))
        for value, path in found:
            if value is not None and value < 0:
                self.err(f"json: cannot unmarshal number {value} into an unsigned integer", path)

    def storage(self, storage: dict) -> None:
        lists: dict[str, Callable[[dict, Path], None]] = {
            "disks": self.disk, "raid": self.raid, "filesystems": self.filesystem,
            "files": lambda node, path: self.node("files", node, path),
            "directories": lambda node, path: self.node("directories", node, path),
            "links": lambda node, path: self.node("links", node, path),
        }
        order = ("disks", "raid", "filesystems", "files") if self.v < (2, 1) else \
            ("directories", "disks", "files", "filesystems", "links", "raid")
        for key in order:
            self.each({"storage": storage}, ("storage", key), lists[key])

    @staticmethod
    def each(cfg: dict, where: tuple[str, str], check: Callable[[dict, Path], None]) -> None:
        for i, item in enumerate(cfg.get(where[0], {}).get(where[1], [])):
            check(item, where + (i,))

    # ignition section and resources
    def ignition(self, ign: dict, path: Path) -> None:
        config = ign.get("config", {})
        for i, ref in enumerate(config.get("append", [])):
            self.resource(ref, path + ("config", "append", i))
        if "replace" in config:
            self.resource(config["replace"], path + ("config", "replace"))
        cas = ign.get("security", {}).get("tls", {}).get("certificateAuthorities", [])
        for i, ca in enumerate(cas):
            self.resource(ca, path + ("security", "tls", "certificateAuthorities", i))

    def resource(self, res: dict, path: Path, *, file: bool = False) -> None:
        source = res.get("source", "")
        if file and "compression" in res and res["compression"] not in ("", "gzip"):
            self.err("invalid compression method", path + ("compression",))
        problem = url_problem(source, self.v)
        if problem:
            if file and self.v >= (2, 3):
                problem = f"invalid url {_go_quote(source)}: {problem}"
            self.err(problem, path + ("source",))
        if res.get("httpHeaders"):
            self.headers(res["httpHeaders"], source, path + ("httpHeaders",))
        hash_value = res.get("verification", {}).get("hash")
        if hash_value is not None:
            problem = hash_problem(hash_value)
            if problem:
                self.err(problem, path + ("verification", "hash"))

    def headers(self, headers: list, source: str, path: Path) -> None:
        seen: set[str] = set()
        for i, header in enumerate(headers):
            name = header.get("name", "")
            if name == "":
                self.err("HTTP header name can't be empty", path + (i, "name"))
            elif name in seen:
                self.err(f"Found duplicate HTTP header: {_go_quote(name)}", path + (i, "name"))
            seen.add(name)
            for key in ("name", "value"):
                problem = check_header_text(header.get(key))
                if problem:
                    self.err(problem, path + (i, key))
        scheme = scheme_of(source)
        if scheme is None:
            self.err(INVALID_URL, path)
            return
        if scheme not in ("http", "https"):
            self.err("cannot use HTTP headers with this source scheme", path)

    # storage
    def disk(self, disk: dict, path: Path) -> None:
        parts = disk.get("partitions", [])
        fatal = False
        device = disk.get("device", "")
        if device == "":
            self.err("disk device is required", path + ("device",))
            fatal = True
        numbers = [p.get("number", 0) for p in parts]
        if self.v < (2, 0):
            colliding = len(numbers) != len(set(numbers))
        else:
            nonzero = [n for n in numbers if n != 0]
            colliding = len(nonzero) != len(set(nonzero))
        checks = [
            (colliding, "partition numbers collide"),
            (_overlap(parts, pointers=self.v >= (2, 3)), "partitions overlap"),
            (any(p.get("start", 0) % 2048 for p in parts), "partitions misaligned"),
        ]
        if self.v >= (2, 3):
            zero = any(p.get("number", 0) == 0 for p in parts)
            not_exist = any(p.get("shouldExist") is False for p in parts)
            sectors = any("size" in p or "start" in p for p in parts)
            mib = any("sizeMiB" in p or "startMiB" in p for p in parts)
            checks += [
                (zero and not_exist, "shouldExist is false for a partition and other partition(s) has start or size 0"),
                (sectors and mib, "cannot mix MBs and sectors within a disk"),
            ]
        for failed, message in checks:
            if failed:
                self.err(message, path + ("partitions",))
                fatal = True
        if fatal and self.v < (2, 1):
            return  # 0.x checked these on the disk object itself, before its fields
        if device and not _is_abs(device):
            self.err("path not absolute", path + ("device",))
        for i, part in enumerate(parts):
            self.partition(part, path + ("partitions", i))

    def partition(self, part: dict, path: Path) -> None:
        if self.v >= (2, 3):
            sectors = "size" in part or "start" in part
            fatal = False
            if sectors and ("sizeMiB" in part or "startMiB" in part):
                self.err("cannot mix MBs and sectors within a disk", path)
                fatal = True
            if part.get("shouldExist") is False and (
                    "label" in part or part.get("typeGuid") or part.get("guid") or sectors):
                self.err("shouldExist specified false with other options also specified", path)
                fatal = True
            if fatal:
                return
            if "size" in part:
                self.r.add(DEPRECATED, "size is deprecated; use sizeMB instead", path + ("size",))
            if "start" in part:
                self.r.add(DEPRECATED, "start is deprecated; use startMB instead", path + ("start",))
        label = part.get("label")
        if label is not None:
            too_long = len(label.encode()) > 36
            if too_long:
                self.err("partition labels may not exceed 36 characters", path + ("label",))
            # 2.0 stopped at the first finding; v1 had no colon rule
            if ":" in label and (self.v >= (2, 1) or (self.v == (2, 0) and not too_long)):
                self.warn("partition label will be truncated to text before the colon", path + ("label",))
        keys = ("typeGuid", "guid") if self.v >= (2, 1) else ("typeGuid",)
        for key in keys:
            value = part.get(key, "")
            if not _GUID.match(value):
                message = (
                    _GUID_MESSAGE
                    if self.v >= (2, 0)
                    else 'partition type-guid must have the form "01234567-89AB-CDEF-EDCB-A98765432101", '
                    f"got: {_go_quote(value)}"
                )
                self.err(message, path + (key,))

    def raid(self, raid: dict, path: Path) -> None:
        level = raid.get("level", "")
        bad_level = level not in _RAID_LEVELS
        bad_spares = level in _RAID_NO_SPARES and raid.get("spares", 0) != 0
        if bad_level:
            self.err("unrecognized raid level", path + ("level",))
        elif bad_spares:
            self.err("spares unsupported for arrays with a level greater than 0", path + ("level",))
        if (bad_level or bad_spares) and self.v < (2, 1):
            return
        for i, device in enumerate(raid.get("devices", [])):
            if not _is_abs(device):
                self.err("path not absolute", path + ("devices", i))

    def filesystem(self, fs: dict, path: Path) -> None:
        if self.v < (2, 0):
            self.v1_filesystem(fs, path)
            return
        mount = fs.get("mount")
        fatal = mount is None and "path" not in fs or mount is not None and "path" in fs
        if mount is None and "path" not in fs:
            self.err("filesystem is missing mount or path", path)
        if mount is not None:
            if "path" in fs:
                self.err("filesystem has both mount and path defined", path)
            if "create" in mount and self.v >= (2, 1):
                if mount.get("wipeFilesystem"):
                    self.err("cannot use both create object and wipeFilesystem field", path + ("mount", "create"))
                if mount.get("options"):
                    self.err("cannot use both create object and mount-level options field", path + ("mount", "create"))
                self.warn(
                    "the create object has been deprecated in favor of mount-level options", path + ("mount", "create")
                )
        if fatal:
            return  # 0.x does not look into an object whose own check failed
        if "path" in fs and not _is_abs(fs["path"]):
            message = "path not absolute" if self.v < (2, 3) else \
                f"filesystem {_go_quote(fs.get('name', ''))}: path not absolute"
            self.err(message, path + ("path",))
        if mount is not None:
            self.mount(mount, path + ("mount",))

    def mount(self, mount: dict, path: Path) -> None:
        fmt = mount.get("format", "")
        formats = ("ext4", "btrfs", "xfs", "swap", "vfat") if self.v >= (2, 1) else ("ext4", "btrfs", "xfs")
        if fmt not in formats:
            self.err("invalid filesystem format", path + ("format",))
            if self.v >= (2, 1):
                return
        if not _is_abs(mount.get("device", "")):
            self.err("path not absolute", path + ("device",))
        label = mount.get("label")
        if label is not None and fmt in _LABEL_MAX and len(label.encode()) > _LABEL_MAX[fmt]:
            self.err(f"filesystem labels cannot be longer than {_LABEL_MAX[fmt]} characters when using {fmt}",
                     path + ("label",))

    def v1_filesystem(self, fs: dict, path: Path) -> None:
        if not _is_abs(fs.get("device", "")):
            self.err("path not absolute", path + ("device",))
        if fs.get("format", "") not in ("ext4", "btrfs", "xfs"):
            self.err("invalid filesystem format", path + ("format",))
        for i, file in enumerate(fs.get("files", [])):
            fpath = path + ("files", i)
            if not _is_abs(file.get("path", "")):
                self.err("path not absolute", fpath + ("path",))
            self.mode(file, fpath, warn_unset=False)

    def node(self, kind: str, node: dict, path: Path) -> None:
        if kind == "files" and self.v >= (2, 2) and node.get("overwrite") is True and node.get("append"):
            self.err("cannot set both append and overwrite to true", path)
            return
        if node.get("filesystem", "") == "":
            self.err("no filesystem specified", path + ("filesystem",))
            if self.v < (2, 1):
                return
        owners = ("group", "user") if self.v >= (2, 1) else ()
        for owner in owners[:1]:
            self.owner(node, owner, path)
        if not _is_abs(node.get("path", "")):
            self.err("path not absolute", path + ("path",))
        for owner in owners[1:]:
            self.owner(node, owner, path)
        if kind == "files":
            self.resource(node.get("contents", {}), path + ("contents",), file=True)
        if kind in ("files", "directories"):
            self.mode(node, path, warn_unset=self.v >= (2, 2))

    def owner(self, node: dict, owner: str, path: Path) -> None:
        value = node.get(owner, {})
        if "id" in value and value.get("name", "") != "":
            self.err("cannot set both id and name", path + (owner,))

    def mode(self, node: dict, path: Path, *, warn_unset: bool) -> None:
        if "mode" not in node:
            if warn_unset:
                self.warn("permissions unset, defaulting to 0000", path + ("mode",))
            return
        mode = node["mode"]
        if mode < 0 or mode > 0o7777:
            self.err("illegal file mode", path + ("mode",))
        elif hint := hint_decimal_mode(mode):
            self.warn(hint, path + ("mode",))

    def filesystem_references(self, storage: dict) -> None:
        names = {"root"} | {fs.get("name", "") for fs in storage.get("filesystems", [])}
        for kind, label in (("files", "File"), ("links", "Link"), ("directories", "Directory")):
            for i, node in enumerate(storage.get(kind, [])):
                fs = node.get("filesystem", "")
                if fs and fs not in names:
                    self.warn(f"{label} {_go_quote(node.get('path', ''))} references nonexistent filesystem "
                              f"{_go_quote(fs)}. (This is ok if it is defined in a referenced config)",
                              ("storage", kind, i, "filesystem"))
        seen = {"root"}
        for i, fs in enumerate(storage.get("filesystems", [])):
            name = fs.get("name", "")
            if name in seen:
                self.warn(f"Filesystem {_go_quote(name)} shadows exising filesystem definition",
                          ("storage", "filesystems", i, "name"))
            seen.add(name)

    # systemd, networkd, passwd
    def unit(self, unit: dict, path: Path) -> None:
        name = unit.get("name", "")
        if self.v >= (2, 0):
            contents = unit.get("contents", "")
            enabled = bool(unit.get("enable")) or unit.get("enabled") is True
            if self.unit_contents(contents, path + ("contents",), name=name, enabled=enabled) and self.v < (2, 1):
                return
        if path_ext(name) not in _SYSTEMD_EXTS:
            self.err("invalid systemd unit extension", path + ("name",))
        for i, dropin in enumerate(unit.get("dropins", [])):
            self.dropin(dropin, path + ("dropins", i), "invalid systemd drop-in extension")

    def dropin(self, dropin: dict, path: Path, bad_ext: str) -> None:
        if self.v >= (2, 0):
            self.unit_contents(dropin.get("contents", ""), path + ("contents",))
        if path_ext(dropin.get("name", "")) != ".conf":
            self.err(bad_ext, path + ("name",))

    def unit_contents(self, contents: str, path: Path, *, name: str = "", enabled: bool = False) -> bool:
        """Checks unit syntax; True if it was invalid."""
        try:
            options = parse_unit_contents(contents)
        except ConfigError as err:
            self.err(_bytes_as_0x(err.message), path)
            return True
        # 0.x warned only when the unit had options at all
        if enabled and options and not has_install_section(options):
            self.warn(f"unit {_go_quote(name)} is enabled, but has no install section so enable does nothing", path)
        return False

    def networkd_unit(self, unit: dict, path: Path) -> None:
        if self.v >= (2, 0) and self.unit_contents(unit.get("contents", ""), path + ("contents",)) and self.v < (2, 1):
            return
        if path_ext(unit.get("name", "")) not in _NETWORKD_EXTS:
            self.err("invalid networkd unit extension", path + ("name",))
        for i, dropin in enumerate(unit.get("dropins", [])):
            self.dropin(dropin, path + ("dropins", i), "invalid networkd drop-in extension")

    def user(self, user: dict, path: Path) -> None:
        if self.v < (2, 1) or "create" not in user:
            return
        self.warn("the create object has been deprecated in favor of user-level options", path + ("create",))
        for key in _CREATE_VS_FLAT:
            if key == "uid" and "uid" in user or key != "uid" and user.get(key):
                self.err(f"cannot use both the create object and the user-level {key} field", path + (key,))


def _overlap(parts: list[dict], *, pointers: bool) -> bool:
    """0.x's overlap test on sector extents. Partitions at start 0 take the default and are
    skipped; from 2.3, where size/start are optional, so are those without both. Before 2.3
    0.x compared partitions by value, so two identical entries never overlapped each other."""
    spans = []
    for p in parts:
        start, size = p.get("start", 0), p.get("size", 0)
        if start and (not pointers or "size" in p):
            spans.append((p, start, start + size - 1 if size else start))
    for i, (p, ps, pe) in enumerate(spans):
        for j, (o, os_, oe) in enumerate(spans):
            if i == j or (not pointers and _same_partition(p, o)):
                continue
            if os_ <= ps <= oe or os_ <= pe <= oe or (ps < os_ and pe > oe):
                return True
    return False


def _same_partition(a: dict, b: dict) -> bool:
    keys = ("label", "number", "size", "start", "typeGuid", "guid")
    zero = {"label": "", "typeGuid": "", "guid": ""}
    return all(a.get(k, zero.get(k, 0)) == b.get(k, zero.get(k, 0)) for k in keys)


_GARBAGE = re.compile(r'^(invalid unit content: found garbage after section name .*: )("(?:[^"\\]|\\.)*")$')


def _bytes_as_0x(message: str) -> str:
    """The go-systemd of Ignition 0.x printed the garbage after a section name as a byte
    list (`[106 117 110 107]`), not quoted."""
    match = _GARBAGE.match(message)
    if not match:
        return message
    try:
        text = ast.literal_eval(match.group(2))
    except (ValueError, SyntaxError):
        return message
    return match.group(1) + "[" + " ".join(str(b) for b in text.encode("utf-8", "surrogateescape")) + "]"
