"""Butane YAML bytes -> Ignition JSON config, with Butane's verdict and diagnostics.

The steps follow Butane's: read variant and version; decode the document into the spec's
structs (go-yaml's type errors are fatal); unused keys are warnings; the spec's own rules;
the translation with its sugar; the variant's field filters; then Ignition's validation of
the generated config, its entries mapped back to Butane paths and YAML positions.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ignite.config.butane import decode, desugar, looks_like_butane, specs, sugar, yamltree
from ignite.config.butane.schema_data import BASES, VARIANT_STRUCTS
from ignite.config.report import ERROR, WARNING, Entry, format_path

ROOT_DISK = "/dev/disk/by-id/coreos-boot-disk"
_MOUNTPOINT = re.compile(r"^/(etc|var)(/|$)")


@dataclass
class Result:
    """config: the Ignition config (None when rejected); entries: Butane's report, positioned;
    error: the verdict's one line when rejected; ignition_version: the output's spec."""
    config: dict[str, Any] | None
    entries: list[Entry] = field(default_factory=list)
    error: str | None = None
    ignition_version: str | None = None
    variant: str | None = None
    version: str | None = None
    locate: Callable[[Entry], Entry] | None = None  # an Ignition-path entry, placed in the YAML

    @property
    def warnings(self) -> list[Entry]:
        return [e for e in self.entries if e.kind != ERROR]


def translate(text: str, *, files_dir: str | None = None, strict: bool = False,
              check_output: bool = True) -> Result:
    """Butane's translation of `text`. check_output=False leaves Ignition's validation of
    the generated config to the caller (config parsing runs it anyway): `result.locate`
    then places the caller's entries, by Ignition JSON path, in the YAML."""
    try:
        root = yamltree.compose(text)
    except yamltree.YamlError as e:
        entry = Entry(ERROR, f"yaml: {e.message}", (), e.line, e.column)
        return Result(None, [entry], "Error unmarshaling yaml: " + _yaml_line(e))
    result = _translate(root, files_dir, check_output)
    if strict and result.config is not None and result.warnings:
        result.config = None
        result.error = "Config produced warnings and --strict was specified"
    return result


def _semver(text: str) -> str | None:
    """go-semver's reading: MAJOR.MINOR.PATCH as decimal integers (leading zeros allowed),
    then -prerelease and +metadata; the canonical form, or None."""
    rest, _, meta = text.partition("+")
    core, _, pre = rest.partition("-")
    parts = core.split(".")
    if len(parts) != 3 or not all(re.fullmatch(r"[+-]?[0-9]+", p) for p in parts):
        return None
    out = ".".join(str(int(p)) for p in parts)
    return out + (f"-{pre}" if pre else "") + (f"+{meta}" if meta else "")


def _yaml_line(e: yamltree.YamlError) -> str:
    return f"yaml: line {e.line}: {e.message}" if e.line else f"yaml: {e.message}"


def _header(root: Any) -> tuple[str | None, str | None, list[Entry]]:
    """variant and version, as Butane's first, lenient decode reads them."""
    dec = decode.Decoder({"commonFields": "variant:string version:string"}, "config")
    try:
        common = dec.decode(root, "commonFields", ()) if root is not None else {}
    except decode.AliasBombError as e:
        return None, None, [Entry(ERROR, str(e), (), e.line, e.column)]
    if dec.problems:
        return None, None, [Entry(ERROR, m, path, line, col)
                            for (line, col, m), path in zip(dec.problems, dec.problem_paths, strict=True)]
    common = common or {}
    return common.get("variant"), common.get("version"), []


def _translate(root: Any, files_dir: str | None, check_output: bool) -> Result:
    variant, version, problems = _header(root)
    if problems:
        detail = "\n".join(f"  line {e.line}: {e.message}" for e in problems)
        return Result(None, problems, "Error unmarshaling yaml: yaml: unmarshal errors:\n" + detail)
    if not variant:
        return Result(None, [Entry(ERROR, "error parsing variant; must be specified", ("variant",))],
                      "error parsing variant; must be specified")
    parsed = _semver(version or "")
    if parsed is None:
        return Result(None, [Entry(ERROR, "error parsing version; must be a valid semver", ("version",))],
                      "error parsing version; must be a valid semver", variant=variant)
    version = parsed
    if variant in specs.REFUSED:
        message = specs.REFUSED[variant]
        return Result(None, [Entry(ERROR, message, ("variant",))], message, variant=variant, version=version)
    spec = specs.SPECS.get((variant, version or ""))
    if spec is None:
        message = f"No translator exists for variant {variant} with version {version}"
        return Result(None, [Entry(ERROR, message, ("version",))], message, variant=variant, version=version)
    return _run(root, spec, files_dir, check_output)


def _run(root: Any, spec: specs.Spec, files_dir: str | None, check_output: bool) -> Result:
    structs = BASES[spec.base]
    variant_structs = VARIANT_STRUCTS.get(f"{spec.variant}/{spec.package}", {}) if spec.variant == "fcos" else {}
    dec = decode.Decoder(structs, spec.base, {k: v for k, v in variant_structs.items() if k != "Config"},
                         spec.package)
    config_fields = structs["Config"] + (" " + variant_structs["Config"] if variant_structs.get("Config") else "")
    dec.variant_structs["Config"] = config_fields
    try:
        cfg = dec.decode(root, "Config", ()) or {}
    except decode.AliasBombError as e:
        return Result(None, [Entry(ERROR, str(e), (), e.line, e.column)], f"yaml: {e}")
    if dec.problems:
        entries = [
            Entry(ERROR, m, path, line, col)
            for (line, col, m), path in zip(dec.problems, dec.problem_paths, strict=True)
        ]
        return Result(None, entries, str(decode.UnmarshalError(dec.problems)))

    def locate(kind: str, message: str, path: tuple[Any, ...], key: bool = False) -> Entry:
        pos = (dec.key_positions.get(path) if key else None) or _nearest(dec.positions, path)
        return Entry(kind, message, path, *(pos or (None, None)))

    entries = [locate(WARNING, f"unused key {key}", path, key=True) for path, _, _, key in dec.unused]
    entries += [Entry(WARNING, f"context tree does not match content tree at {format_path(path)}. Line and column "
                               "reporting may be inconsistent. Unused keys may not be reported", path, line, col)
                for path, line, col in dec.null_structs]
    named = {name: text for name, text in dec.structs.items()}
    named.update(dec.variant_structs)
    tr = desugar.Translator(dec.fields, named, files_dir, _child_validator(spec))
    tr.plain_inline = spec.level == 1

    # Butane's rules on the source
    tr.validate(cfg, "Config", ())
    if spec.variant == "fcos":
        _validate_fcos(cfg, spec, tr)
    fatal_entries = [locate(k, m, p) for k, m, p in tr.diags]
    entries += fatal_entries
    if any(e.kind == ERROR for e in fatal_entries):
        return Result(None, entries, "source config is invalid", spec.ignition, spec.variant, spec.version)
    tr.diags = []

    out = tr.translate(cfg, "Config", ())
    out.pop("version", None)
    out.pop("variant", None)
    for key in ("bootDevice", "grub"):
        out.pop(key, None)
    ignition = dict(out.get("ignition") or {})
    ignition["version"] = spec.ignition
    out["ignition"] = desugar.order(ignition)
    storage = cfg.get("storage") or {}
    units = sugar.mount_units(storage)
    if units:
        out = sugar.merge({"systemd": {"units": units}}, out)
    tr.diags += sugar.trees(out, storage.get("trees") or [], files_dir)
    if (cfg.get("systemd") or {}).get("quadlets"):
        tr.diags += sugar.quadlets(out, cfg["systemd"]["quadlets"], files_dir)
    if not out.get("storage"):
        out.pop("storage", None)
    if spec.variant == "fcos":
        out = _fcos_render(cfg, spec, out, tr)
    entries += [locate(k, m, p) for k, m, p in tr.diags]
    if any(e.kind == ERROR for e in entries):
        return Result(None, entries, "source config is invalid", spec.ignition, spec.variant, spec.version)

    for dotted, message in spec.filters:
        for path in _where(out, dotted.split("."), ()):
            entries.append(locate(ERROR, message, tuple(_snake(p) if isinstance(p, str) else p for p in path)))
    if any(e.kind == ERROR for e in entries):
        return Result(None, entries, "source config is invalid", spec.ignition, spec.variant, spec.version)

    out = desugar.deep_order(out)

    def locate_json(entry: Entry) -> Entry:
        return locate(entry.kind, entry.message, tuple(_snake(p) if isinstance(p, str) else p for p in entry.path))

    result = Result(out, entries, None, spec.ignition, spec.variant, spec.version, locate_json)
    if not check_output:
        return result
    entries += [locate_json(e) for e in _ignition_report(out, spec.ignition)]
    if any(e.kind == ERROR for e in entries):
        result.config, result.error = None, "config generated was invalid"
    return result


def _nearest(positions: dict[tuple[Any, ...], tuple[int, int]], path: tuple[Any, ...]) -> tuple[int, int] | None:
    while path:
        if path in positions:
            return positions[path]
        path = path[:-1]
    return positions.get(())


def _snake(name: str) -> str:
    return re.sub(r"(MiB|[A-Z])", r"_\1", name).lower()


def _where(obj: Any, parts: list[str], at: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Every path (list indexes included) where the dotted field is set."""
    if not parts:
        return [at] if obj not in (None, {}, []) else []
    if isinstance(obj, list):
        return [p for i, item in enumerate(obj) for p in _where(item, parts, at + (i,))]
    if isinstance(obj, dict) and parts[0] in obj:
        return _where(obj[parts[0]], parts[1:], at + (parts[0],))
    return []


def _ignition_report(cfg: dict[str, Any], version: str) -> list[Entry]:
    from ignite.config import structure
    from ignite.config.validate import validate

    normalized, structural = structure.normalize(cfg, version)
    if structural.is_fatal:
        return structural.entries
    return validate(normalized, version, hints=False).entries  # butane's diagnostics, exactly


def _child_validator(spec: specs.Spec) -> Any:
    def check(path: tuple[Any, ...], raw: bytes) -> list[desugar.Diag]:
        from ignite.config import versions
        from ignite.config.parse import parse_report

        if looks_like_butane(raw):  # Butane reads a child config as Ignition JSON only
            return [(ERROR, "config is not valid", path + ("inline",))]
        result = parse_report(raw)
        if result.source_version is not None and result.source_version != spec.ignition:
            # Butane reads a child with its own output spec's types
            return [(WARNING, "skipping validation for the merge/replace ignition config due to an unkown version",
                     path + ("version",))]
        if result.valid:
            return []
        if result.error and "version" in result.error and "unsupported" in result.error:
            return [(WARNING, "skipping validation for the merge/replace ignition config due to an unkown version",
                     path + ("version",))]
        if result.error == versions.ERR_EMPTY or not result.report.entries or result.source_version is None:
            return [(ERROR, result.error or "config is not valid", path + ("inline",))]
        return [(ERROR, e.message, path + ("inline",)) for e in result.report.entries if e.kind == ERROR][:1] or \
            [(ERROR, result.error or "config is not valid", path + ("inline",))]
    return check


# --- fcos ----------------------------------------------------------------------------------

def _validate_fcos(cfg: dict[str, Any], spec: specs.Spec, tr: desugar.Translator) -> None:
    level = spec.level
    bd = cfg.get("boot_device") or {}
    mirror = (bd.get("mirror") or {}).get("devices") or []
    storage = cfg.get("storage") or {}
    if level >= 6:
        mirror_set = set(mirror)
        for i, disk in enumerate(storage.get("disks") or []):
            if (
                disk.get("device", "") != ROOT_DISK
                and disk.get("wipe_table") is not True
                and disk.get("device", "") not in mirror_set
            ):
                for p, part in enumerate(disk.get("partitions") or []):
                    if not part.get("number") and part.get("label") is not None:
                        tr.warning("partitions cannot be reused by label; number must be specified except on boot disk "
                                   "(/dev/disk/by-id/coreos-boot-disk) or when wipe_table is true",
                                   ("storage", "disks", i, "partitions", p, "number"))
        for i, fs in enumerate(storage.get("filesystems") or []):
            if fs.get("path") is not None and not _MOUNTPOINT.match(fs["path"]) and fs.get("with_mount_unit") is True:
                tr.error(desugar.ERR_MOUNT_FORBIDDEN, ("storage", "filesystems", i, "path"))
    if "boot_device" in cfg:
        _validate_boot_device(bd, level, tr)
    for i, user in enumerate((cfg.get("grub") or {}).get("users") or []):
        where = ("grub", "users", i)
        if not user.get("name"):
            tr.error('field "name" is required', where + ("name",))
        if not user.get("password_hash"):
            tr.error('field "password_hash" is required', where + ("password_hash",))


def _validate_boot_device(bd: dict[str, Any], level: int, tr: desugar.Translator) -> None:
    where = ("boot_device",)
    mirror = (bd.get("mirror") or {}).get("devices") or []
    luks = bd.get("luks") or {}
    layout = bd.get("layout")
    if mirror and layout is None:
        msg = "boot_device.layout should be specified when boot_device.mirror is specified"
        (tr.error if level >= 7 else tr.warning)(msg, where + ("mirror",))
    if layout is not None:
        if level >= 6:
            if layout in ("s390x-eckd", "s390x-zfcp"):
                device = luks.get("device")
                pattern = r"(/dev/dasd[a-z]$)" if layout == "s390x-eckd" else r"(/dev/sd[a-z]$)"
                if not device:
                    tr.error("device is required for layouts: s390x-eckd, s390x-zfcp", where + ("layout",))
                elif not re.search(pattern, device):
                    tr.error(
                        "device name must start with /dev/dasd on s390x-eckd layout or /dev/sd on s390x-zfcp layout",
                        where + ("layout",),
                    )
            elif layout not in ("aarch64", "ppc64le", "x86_64", "s390x-virt"):
                tr.error("layout must be one of: aarch64, ppc64le, s390x-eckd, s390x-virt, s390x-zfcp, x86_64",
                         where + ("layout",))
            if layout.startswith("s390x") and mirror:
                tr.error("mirroring not supported on layouts: s390x-eckd, s390x-zfcp, s390x-virt", where + ("layout",))
        elif layout not in ("aarch64", "ppc64le", "x86_64"):
            tr.error("layout must be one of: aarch64, ppc64le, x86_64", where + ("layout",))
    if level >= 6:
        cex = (luks.get("cex") or {}).get("enabled") is True
        if cex:
            if layout is None:
                tr.error("when using cex the targeted architecture must match s390x", where + ("luks", "cex"))
            elif not layout.startswith("s390x"):
                tr.error("when using cex the targeted architecture must match s390x", where + ("layout",))
            if luks.get("tang") or luks.get("tpm2") is True:
                tr.error("cannot use cex with clevis", where + ("luks",))
        if luks.get("device") and level >= 7:
            has_tang = any(t for t in luks.get("tang") or [])
            if not (has_tang or luks.get("tpm2") is True or cex):
                tr.error("no method specified for luks", where + ("luks", "luks"))
    if len(mirror) == 1:
        # Butane checks the mirror twice (from boot_device and on its own): two entries
        for _ in range(2):
            tr.error("mirroring requires at least two devices", where + ("mirror", "devices"))


_RESERVED_NUMBERS = {"BIOS-BOOT": 1, "PowerPC-PReP-boot": 1, "EFI-SYSTEM": 2, "boot": 3, "root": 4}


def _fcos_render(cfg: dict[str, Any], spec: specs.Spec, out: dict[str, Any], tr: desugar.Translator) -> dict[str, Any]:
    level = spec.level
    if spec.version >= "1.3.0" and cfg.get("boot_device"):
        rendered = sugar.boot_device(cfg["boot_device"], level < 6)
        if rendered is not None:
            out = sugar.merge(rendered, out)
    for i, disk in enumerate((out.get("storage") or {}).get("disks") or []):
        parts = disk.get("partitions") or []
        for p, part in enumerate(parts):
            label = part.get("label")
            if label is None:
                continue
            where = ("storage", "disks", i, "partitions", p)
            if spec.version >= "1.3.0" and label == "root":
                if not part.get("sizeMiB"):
                    if any(not q.get("startMiB") for j, q in enumerate(parts) if j != p):
                        tr.warning("root partition cannot expand; it is set to fill available space but is followed "
                                   "by an auto-positioned partition", where + ("label",))
                elif part["sizeMiB"] < 8192:
                    tr.warning("root should have 8GiB of space assigned", where + ("size_mib",))
            if (
                disk.get("wipeTable") is not True
                and label in _RESERVED_NUMBERS
                and part.get("number", 0) != _RESERVED_NUMBERS[label]
            ):
                tr.warning("incorrect partition number; a new partition will be created using reserved label",
                           where + ("label",))
    users = (cfg.get("grub") or {}).get("users") or []
    if level >= 5 and users:
        out = sugar.merge(sugar.grub_users(users), out)
    return out
