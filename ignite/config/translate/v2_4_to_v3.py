"""2.4.0 → the newest spec (3.6.0), keeping what the 2.x config meant.

We produce 3.6.0 directly rather than 3.1.0 followed by the 3.x chain: the 3.5 → 3.6 step
strips setuid/setgid/sticky bits, which 2.x applied, so going through it would change the
config's meaning.

Where 3.x JSON cannot say what 2.x meant, the model's legacy-only keys carry it
(`sizeSectors`/`startSectors`, filesystem `name`, node `filesystem`); see ign-converter's
refusals in docs/spec/legacy.md#to-3x — we translate instead:

- networkd units become files under /etc/systemd/network/ (as Flatcar does), after the
  config's own files, as 2.x wrote them after the storage nodes;
- user `create{}` becomes the flat user fields (as Flatcar does);
- files: `overwrite` absent → true, `mode` absent → 0 (what 2.x applied), `append: true` →
  `overwrite: false` + `append[]` (mode absent stays absent: 2.x kept the existing file's
  mode when appending); an empty source is an empty file (`data:,`);
- entries with the same path or unit name stay, in order: 2.x applied them one after the
  other and so do the files stage and the unit writer;
- `mount.create{force, options}` → `wipeFilesystem: force`, `options` += create options;
- `enable` → `enabled` (an explicit `enabled: false` wins);
- `oem://` sources are kept: the fetcher supports them;
- a filesystem named "root" is the target root (its device is still formatted if asked);
  one given by path only, under another name, has no equivalent and is an error.
"""
from __future__ import annotations

import posixpath
from typing import Any

from ignite.config.report import Report
from ignite.config.translate.v1_to_v2_0 import data_url
from ignite.config.versions import NEWEST

ROOT = "root"
NETWORKD_DIR = "/etc/systemd/network"
SECTORS_PER_MIB = 2048
_USER_STRINGS = ("gecos", "homeDir", "primaryGroup", "shell")
_USER_FLAGS = ("noCreateHome", "noUserGroup", "noLogInit", "system")


def translate(cfg: dict[str, Any], report: Report) -> dict[str, Any]:
    """Errors (what cannot be carried at all) go to `report`."""
    out: dict[str, Any] = {"ignition": _ignition(cfg.get("ignition", {}))}
    storage = _storage(cfg.get("storage", {}), cfg.get("networkd", {}), report)
    if storage:
        out["storage"] = storage
    units = [_unit(u) for u in cfg.get("systemd", {}).get("units", [])]
    if units:
        out["systemd"] = {"units": units}
    passwd = _passwd(cfg.get("passwd", {}))
    if passwd:
        out["passwd"] = passwd
    return out


def _put(out: dict, key: str, value: Any) -> None:
    """Sets a key unless the value is 2.x's zero value (which 2.x could not tell from absent)."""
    if value not in (None, "", False, [], {}):  # 0 == False: a zero number is left out too
        out[key] = value


def _resource(ref: dict, *, empty_source: str | None = None) -> dict:
    res: dict[str, Any] = {}
    source = ref.get("source", "")
    if source:
        res["source"] = source
    elif empty_source is not None:
        res["source"] = empty_source
    _put(res, "compression", ref.get("compression"))
    headers = [{"name": h.get("name", ""), "value": h.get("value", "")} for h in ref.get("httpHeaders", [])]
    _put(res, "httpHeaders", headers)
    if "hash" in ref.get("verification", {}):
        res["verification"] = {"hash": ref["verification"]["hash"]}
    return res


def _ignition(ign: dict) -> dict:
    out: dict[str, Any] = {"version": NEWEST}
    config: dict[str, Any] = {}
    _put(config, "merge", [_resource(r) for r in ign.get("config", {}).get("append", [])])
    if "replace" in ign.get("config", {}):
        config["replace"] = _resource(ign["config"]["replace"])
    _put(out, "config", config)
    proxy: dict[str, Any] = {}
    for key in ("httpProxy", "httpsProxy", "noProxy"):
        _put(proxy, key, ign.get("proxy", {}).get(key))
    _put(out, "proxy", proxy)
    cas = ign.get("security", {}).get("tls", {}).get("certificateAuthorities", [])
    if cas:
        out["security"] = {"tls": {"certificateAuthorities": [_resource(ca) for ca in cas]}}
    timeouts = {k: v for k, v in ign.get("timeouts", {}).items() if k in ("httpResponseHeaders", "httpTotal")}
    _put(out, "timeouts", timeouts)
    return out


def _storage(storage: dict, networkd: dict, report: Report) -> dict:
    out: dict[str, Any] = {}
    _put(out, "disks", [_disk(d, ("storage", "disks", i), report) for i, d in enumerate(storage.get("disks", []))])
    _put(out, "raid", [_raid(r) for r in storage.get("raid", [])])
    filesystems = []
    for i, fs in enumerate(storage.get("filesystems", [])):
        name = fs.get("name", "")
        if name == ROOT:
            # nodes on "root" go to the target root, as ign-converter and Flatcar map them
            report.warning('a filesystem named "root" is taken as the target root; nodes on it are written there',
                           ("storage", "filesystems", i, "name"))
            if "mount" in fs:
                filesystems.append({k: v for k, v in _filesystem(fs).items() if k != "name"})
            continue
        if "mount" not in fs:
            report.error(f"filesystem {name!r}: a 2.x filesystem given by path only (an already "
                         "mounted directory in the initramfs) has no 3.x equivalent", ("storage", "filesystems", i))
            continue
        filesystems.append(_filesystem(fs))
    _put(out, "filesystems", filesystems)

    def on(node: dict) -> str | None:
        name = node.get("filesystem", "")
        return None if name == ROOT else name

    files = [_file(f, on(f)) for f in storage.get("files", [])]
    files += _networkd_files(networkd)
    _put(out, "files", files)
    _put(out, "directories", [_directory(d, on(d)) for d in storage.get("directories", [])])
    _put(out, "links", [_link(lk, on(lk)) for lk in storage.get("links", [])])
    return out


def _disk(disk: dict, path: tuple, report: Report) -> dict:
    out: dict[str, Any] = {"device": disk.get("device", "")}
    _put(out, "wipeTable", disk.get("wipeTable"))
    partitions = []
    for i, part in enumerate(disk.get("partitions", [])):
        for key in ("size", "start", "sizeMiB", "startMiB"):
            if part.get(key, 0) < 0:
                # 2.x passed it to sgdisk, which failed at boot; we fail before touching the disk
                report.error(f"partition {key} may not be negative", path + ("partitions", i, key))
        partitions.append(_partition(part))
    _put(out, "partitions", partitions)
    return out


def _partition(part: dict) -> dict:
    out: dict[str, Any] = {}
    if "label" in part:
        out["label"] = part["label"]
    _put(out, "number", part.get("number"))
    for sectors_key, mib_key, legacy_key in (("size", "sizeMiB", "sizeSectors"), ("start", "startMiB", "startSectors")):
        if mib_key in part:
            out[mib_key] = part[mib_key]
        elif sectors_key in part:
            value = part[sectors_key]
            if value % SECTORS_PER_MIB == 0:
                out[mib_key] = value // SECTORS_PER_MIB
            else:
                out[legacy_key] = value
    _put(out, "typeGuid", part.get("typeGuid"))
    _put(out, "guid", part.get("guid"))
    if "shouldExist" in part:
        out["shouldExist"] = part["shouldExist"]
    _put(out, "wipePartitionEntry", part.get("wipePartitionEntry"))
    return out


def _raid(raid: dict) -> dict:
    out: dict[str, Any] = {"name": raid.get("name", ""), "level": raid.get("level", ""),
                           "devices": list(raid.get("devices", []))}
    _put(out, "spares", raid.get("spares"))
    _put(out, "options", list(raid.get("options", [])))
    return out


def _filesystem(fs: dict) -> dict:
    mount = fs["mount"]
    out: dict[str, Any] = {"device": mount.get("device", ""), "format": mount.get("format", "")}
    create = mount.get("create")
    wipe = mount.get("wipeFilesystem") or (create is not None and create.get("force"))
    _put(out, "wipeFilesystem", bool(wipe))
    for key in ("label", "uuid"):
        if key in mount:
            out[key] = mount[key]
    options = list(mount.get("options", [])) + list((create or {}).get("options", []))
    _put(out, "options", options)
    name = fs.get("name", "")
    _put(out, "name", name)
    return out


def clean_path(path: str) -> str:
    """Go's path.Clean, which 2.x applied when it joined a node's path to its filesystem."""
    cleaned = posixpath.normpath(path) if path else "."
    return "/" + cleaned.lstrip("/") if cleaned.startswith("//") else cleaned


def _node(node: dict, filesystem: str | None) -> dict:
    out: dict[str, Any] = {"path": clean_path(node.get("path", ""))}
    for owner in ("user", "group"):
        value: dict[str, Any] = {}
        if "id" in node.get(owner, {}):
            value["id"] = node[owner]["id"]
        _put(value, "name", node.get(owner, {}).get("name"))
        _put(out, owner, value)
    if filesystem:
        out["filesystem"] = filesystem
    return out


def _file(file: dict, filesystem: str | None) -> dict:
    out = _node(file, filesystem)
    resource = _resource(file.get("contents", {}), empty_source="data:,")
    if file.get("append"):
        out["overwrite"] = False
        out["append"] = [resource]
        # 2.x kept the existing file's mode when appending without one
        if "mode" in file:
            out["mode"] = file["mode"]
    else:
        out["overwrite"] = file.get("overwrite", True)
        out["contents"] = resource
        out["mode"] = file.get("mode", 0)
    return out


def _directory(directory: dict, filesystem: str | None) -> dict:
    out = _node(directory, filesystem)
    if "overwrite" in directory:
        out["overwrite"] = directory["overwrite"]
    out["mode"] = directory.get("mode", 0)
    return out


def _link(link: dict, filesystem: str | None) -> dict:
    out = _node(link, filesystem)
    if "overwrite" in link:
        out["overwrite"] = link["overwrite"]
    out["target"] = link.get("target", "")
    _put(out, "hard", link.get("hard"))
    return out


def _networkd_files(networkd: dict) -> list[dict]:
    files = []
    for unit in networkd.get("units", []):
        name = unit.get("name", "")
        if unit.get("contents"):
            files.append(_networkd_file(f"{NETWORKD_DIR}/{name}", unit["contents"]))
        for dropin in unit.get("dropins", []):
            if dropin.get("contents"):
                files.append(_networkd_file(f"{NETWORKD_DIR}/{name}.d/{dropin.get('name', '')}", dropin["contents"]))
    return files


def _networkd_file(path: str, contents: str) -> dict:
    return {"path": clean_path(path), "overwrite": True, "mode": 0o644, "contents": {"source": data_url(contents)}}


def _unit(unit: dict) -> dict:
    out: dict[str, Any] = {"name": unit.get("name", "")}
    _put(out, "contents", unit.get("contents"))
    if unit.get("enabled") is False:
        out["enabled"] = False
    elif unit.get("enable") or unit.get("enabled"):
        out["enabled"] = True
    _put(out, "mask", unit.get("mask"))
    dropins = []
    for dropin in unit.get("dropins", []):
        new = {"name": dropin.get("name", "")}
        _put(new, "contents", dropin.get("contents"))
        dropins.append(new)
    _put(out, "dropins", dropins)
    return out


def _passwd(passwd: dict) -> dict:
    out: dict[str, Any] = {}
    _put(out, "users", [_user(u) for u in passwd.get("users", [])])
    groups = []
    for group in passwd.get("groups", []):
        new: dict[str, Any] = {"name": group.get("name", "")}
        if "gid" in group:
            new["gid"] = group["gid"]
        _put(new, "passwordHash", group.get("passwordHash"))
        _put(new, "system", group.get("system"))
        groups.append(new)
    _put(out, "groups", groups)
    return out


def _user(user: dict) -> dict:
    flat = dict(user)
    flat.update(user.get("create", {}))  # 2.x forbids mixing, so nothing is overridden
    out: dict[str, Any] = {"name": user.get("name", "")}
    if "passwordHash" in user:
        out["passwordHash"] = user["passwordHash"]
    _put(out, "sshAuthorizedKeys", list(user.get("sshAuthorizedKeys", [])))
    if "uid" in flat:
        out["uid"] = flat["uid"]
    for key in _USER_STRINGS + _USER_FLAGS:
        _put(out, key, flat.get(key))
    _put(out, "groups", list(flat.get("groups", [])))
    return out
