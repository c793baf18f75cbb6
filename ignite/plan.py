"""`ignite plan CONFIG`: what a first boot would do here, changing nothing (docs/plan.md).

The config is rendered as `ignite apply` renders it; then the stages' own planning code
runs (disks_plan.plan_storage, mount.plan_mounts, files_plan.plan_files) and stops before
acting. Image files in the device map are attached read-only; devices are only read
(sgdisk --print/--pretend, blkid --probe). The result is a dict (schemas/plan-1.json)
that `ignite.plan_text` shows to people."""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ignite import devicemap
from ignite.errors import UsageError, redact_url

if TYPE_CHECKING:
    from ignite.config.model import Config, Resource, Storage
    from ignite.stages.disks_partitions import DiskPlan
    from ignite.stages.disks_plan import StoragePlan
    from ignite.stages.files_plan import FilesPlan
    from ignite.stages.mount import MountStep

PLAN_FORMAT = 1


def make_plan(config_path: Path, root: Path, device_map: dict[str, str], *, fetch: bool = False,
              platform: str | None = None) -> dict[str, Any]:
    """The plan as a dict (schemas/plan-1.json). Raises the boot's own error (IgniteError,
    exit 1) when the boot would fail, UsageError (exit 2) for bad usage."""
    from ignite.apply import load

    if not Path(root).is_dir():
        raise UsageError(f"--root {root}: not a directory")
    for cfgdev, target in device_map.items():
        if not os.path.exists(target):
            raise UsageError(f"--device-map {cfgdev}={target}: {target} does not exist")
    try:
        config = load(Path(config_path))
    except OSError as exc:
        raise UsageError(f"{config_path}: cannot read: {exc.strerror or exc}") from None
    from ignite.stages.cache import full_config, system_base_config

    # The stages' config: the system base configs (base.d, base.platform.d/PLATFORM) under it.
    config = full_config(system_base_config(platform), config)
    unknown: list[str] = []
    result: dict[str, Any] = {"format": PLAN_FORMAT, "config": str(config_path), "root": str(root),
                              "platform": platform, "wouldSucceed": True}
    storage = config.storage
    needs_devices = bool(storage.disks or storage.raid or storage.luks or storage.filesystems)
    attached: list[str] = []
    try:
        if needs_devices and os.geteuid() != 0:
            unknown.append("disks, RAID, LUKS and filesystems: reading devices needs root")
            storage_plan = None
        elif needs_devices:
            mapped = devicemap.attach(device_map, attached, read_only=True)
            storage_plan = _plan_storage(storage, mapped)
        else:
            storage_plan = None
        result["disks"] = [] if storage_plan is None else [_disk_json(d) for d in storage_plan.disks]
        result["raid"] = [] if storage_plan is None else [
            {"name": r.raid.name, "level": r.raid.level, "devices": list(r.raid.devices)} for r in storage_plan.raid]
        result["luks"] = [] if storage_plan is None else [
            {"name": s.volume.name, "device": s.device, "action": s.action,
             "found": _sig(s.found)} for s in storage_plan.luks]
        result["filesystems"] = [] if storage_plan is None else [_fs_json(f) for f in storage_plan.filesystems]
        from ignite.stages.mount import plan_mounts

        mounts = plan_mounts(storage.filesystems, root)
        result["mounts"] = [_mount_json(m) for m in mounts]
        files = _plan_files(config, root, unknown)
        result["files"] = [_step_json(s) for s in files.steps if s.kind in ("file", "directory", "link")]
        result["users"] = [_step_json(s) for s in files.steps if s.kind in ("user", "group")]
        result["units"] = [_step_json(s) for s in files.steps if s.kind == "unit"]
        result["system"] = [_step_json(s) for s in files.steps if s.kind == "system"]
        result["kernelArguments"] = ([{"action": "add", "argument": a} for a in config.kernel_arguments.should_exist]
                                     + [{"action": "remove", "argument": a}
                                        for a in config.kernel_arguments.should_not_exist])
        if result["kernelArguments"]:
            unknown.append("kernel arguments: the kargs helper compares them with the booted kernel's at boot")
        result["resources"] = resources(config, fetch)
        ops: list[dict[str, str]] = []
        if storage_plan is not None:
            ops += [{"stage": "disks", "action": a, "target": t} for a, t in storage_plan.operations()]
        ops += [{"stage": "mount", "action": a, "target": t} for m in mounts for a, t in m.operations()]
        ops += [{"stage": "files", "action": a, "target": t} for a, t in files.operations()]
        result["operations"] = ops
    finally:
        devicemap.detach(attached, "plan")
    result["unknown"] = unknown
    result["summary"] = summary(result)
    return result


def _plan_storage(storage: Storage, device_map: dict[str, str]) -> StoragePlan:
    from ignite.stages.devices import Devices, created_devices
    from ignite.stages.disks_plan import plan_storage

    devices = Devices(device_map, timeout=0, created=created_devices(storage))
    return plan_storage(storage, devices, strict=True)


def _plan_files(config: Config, root: Path, unknown: list[str]) -> FilesPlan:
    from ignite.stages.files_plan import plan_files

    if not root.is_dir():
        raise UsageError(f"--root {root}: not a directory")
    plan = plan_files(config, root)
    unknown += plan.unknown
    formatted = [fs.path for fs in config.storage.filesystems if fs.path and fs.path != "/"]
    if formatted:
        unknown.append(f"paths under {', '.join(formatted)} are on filesystems the boot mounts there: judged "
                       "against the directory root as it is now")
    return plan


# --- remote resources --------------------------------------------------------------------------


def resources(config: Config, fetch: bool) -> list[dict[str, Any]]:
    """Every resource the stages would fetch: URL (credentials stripped), where it goes,
    its size where the server says (HEAD); with `fetch`, fetched and verified, nothing
    written."""
    found: list[tuple[str, Resource]] = []
    for f in config.storage.files:
        if f.contents.source is not None:
            found.append((f.path, f.contents))
        found += [(f.path, a) for a in f.append if a.source is not None]
    for vol in config.storage.luks:
        if vol.key_file.source:
            found.append((f"LUKS key of {vol.name}", vol.key_file))
    from ignite.resource import FetchSettings

    settings = FetchSettings.from_config(config) if found else None
    out = []
    for used_by, res in found:
        source = res.source or ""
        scheme = source.split(":", 1)[0].lower()
        if scheme == "data":
            continue  # inline in the config: nothing to fetch
        entry: dict[str, Any] = {"url": "data:…" if scheme == "data" else redact_url(source), "for": used_by,
                                 "size": None, "verified": None}
        if res.verification.hash:
            entry["hash"] = res.verification.hash.split("-", 1)[0]
        if scheme in ("http", "https") and settings is not None:
            from ignite.resource.http import announced_size

            entry["size"] = announced_size(source, settings)
        if fetch and settings is not None:
            from ignite.resource import fetch as fetch_resource

            sink = _Counter()
            fetch_resource(res, sink, settings)  # type: ignore[arg-type]  # a write-only sink
            entry["size"] = sink.count
            entry["verified"] = bool(res.verification.hash)
        out.append(entry)
    return out


class _Counter:
    """A sink that counts and drops what a fetch writes."""

    def __init__(self) -> None:
        self.count = 0

    def write(self, data: bytes) -> int:
        self.count += len(data)
        return len(data)

    def flush(self) -> None:
        pass


# --- JSON pieces ---------------------------------------------------------------------------------


def _sig(found: Any) -> dict[str, str] | None:
    if found is None:
        return None
    return {"type": found.type, "label": found.label, "uuid": found.uuid}


def _disk_json(plan: DiskPlan) -> dict[str, Any]:
    from ignite.stages.disks_plan import disk_operations
    from ignite.system import blkid

    ss = plan.sector_size
    now = []
    for number, part in sorted(plan.existing.items()):
        destroyed = plan.wipe_table or number in plan.deletes
        entry = {"number": number, "start": part.start * ss, "size": part.size * ss, "label": part.label,
                 "typeGuid": part.type_guid, "guid": part.guid, "destroyed": destroyed}
        if destroyed:
            from ignite.stages.devices import partition_node

            node = partition_node(plan.node, number)
            found = blkid.probe(node) if os.path.exists(node) else blkid.probe(
                plan.node, offset=part.start * ss, size=part.size * ss)
            entry["filesystem"] = _sig(found) if found.type else None
        now.append(entry)
    created = {p.number: p for p in plan.creates}
    operations = disk_operations(plan)
    verbs = {int(t.rsplit(" ", 1)[1]): a.split()[0] for a, t in operations if a.endswith(" partition")}
    after = []
    for number, (start, size) in sorted(plan.layout.items()):
        made = created.get(number)
        action = verbs.get(number, "keep")
        label = made.label if made is not None else plan.existing[number].label
        after.append({"number": number, "action": action, "start": start * ss, "size": size * ss, "label": label})
    deleted = [n for n in plan.deletes if n not in created]
    return {"device": plan.device, "node": plan.node, "sectorSize": ss, "wipeTable": plan.wipe_table,
            "now": now, "after": after, "deleted": deleted,
            "operations": [{"action": a, "target": t} for a, t in operations]}


def _fs_json(step: Any) -> dict[str, Any]:
    fs = step.fs
    return {"device": fs.device, "format": fs.format, "label": fs.label, "path": fs.path,
            "action": step.action, "found": _sig(step.found)}


def _mount_json(step: MountStep) -> dict[str, Any]:
    return {"device": step.fs.device, "path": step.path, "format": step.fs.format,
            "options": list(step.fs.mount_options), "createDirectories": step.new_dirs}


def _step_json(step: Any) -> dict[str, Any]:
    return {"kind": step.kind, "target": step.target, "what": step.what, "action": step.action, **step.details}


# --- summary ---------------------------------------------------------------------------------------


def summary(plan: dict[str, Any]) -> str:
    """"1 disk repartitioned (3 partitions and 12 GiB destroyed), 4 filesystems (2 created,
    2 reused), 37 files, 2 users, 5 units"."""
    parts = []
    changed = [d for d in plan["disks"] if d["operations"]]
    if plan["disks"]:
        lost = [p for d in plan["disks"] for p in d["now"] if p["destroyed"]]
        text = f"{_n(len(changed), 'disk')} repartitioned"
        if lost:
            text += f" ({_n(len(lost), 'partition')} and {human(sum(p['size'] for p in lost))} destroyed)"
        parts.append(text)
    if plan["raid"]:
        parts.append(_n(len(plan["raid"]), "RAID array") + " created")
    if plan["luks"]:
        parts.append(_n(len(plan["luks"]), "LUKS volume"))
    if plan["filesystems"]:
        made = sum(f["action"] == "format" for f in plan["filesystems"])
        kept = sum(f["action"] == "reuse" for f in plan["filesystems"])
        later = len(plan["filesystems"]) - made - kept
        text = f"{_n(len(plan['filesystems']), 'filesystem')} ({made} created, {kept} reused"
        parts.append(text + (f", {later} decided at boot)" if later else ")"))
    if plan["mounts"]:
        parts.append(_n(len(plan["mounts"]), "mount"))
    parts.append(_n(len(plan["files"]), "file"))
    parts.append(_n(len([u for u in plan["users"] if u["kind"] == "user"]), "user"))
    groups = len([u for u in plan["users"] if u["kind"] == "group"])
    if groups:
        parts.append(_n(groups, "group"))
    parts.append(_n(len({_unit_name(u["target"]) for u in plan["units"]}), "unit"))
    if plan["kernelArguments"]:
        parts.append(_n(len(plan["kernelArguments"]), "kernel argument"))
    return ", ".join(parts)


def _unit_name(target: str) -> str:
    """The unit a step is about: a name, a unit file's path, or a dropin's path."""
    parts = target.split("/")
    return parts[-2].removesuffix(".d") if len(parts) > 1 and parts[-2].endswith(".d") else parts[-1]


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def stage_operations(stage: str, config: Config, root: Path, device_map: dict[str, str],
                     state: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    """What `ignite plan` predicts one stage records, as (action, target): for comparing a
    plan with the boot record of the run that follows it (the disks and files tests)."""
    if stage == "disks":
        return _plan_storage(config.storage, device_map).operations()
    if stage == "mount":
        from ignite.stages.mount import plan_mounts

        return [op for m in plan_mounts(config.storage.filesystems, root) for op in m.operations()]
    if stage == "files":
        from ignite.stages.files_plan import plan_files

        return plan_files(config, root, state).operations()
    return []
