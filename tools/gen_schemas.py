#!/usr/bin/env python3
"""Writes schemas/3.0.0.json … 3.6.0.json and 3.7.0-experimental.json.

The field tables below follow the spec notes (docs/spec/config.md#versions) and upstream's Go types:
each version gets exactly its own fields. Conventions of the generated schemas:
- an optional field whose absence differs from its zero value (a Go pointer) has
  `"type": [T, "null"]`; a value field has `"type": T`;
- objects are `$defs` entries without a `type`; the use site says `"type": "object"`
  next to its `$ref` (so a nullable object, 3.2's `clevis`, can say `["object", "null"]`);
- every object is closed (`additionalProperties: false`).

Run `python tools/gen_schemas.py` after editing; tests/config/test_schemas.py fails when the
files in schemas/ differ from what this script writes.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

VERSIONS = ("3.0.0", "3.1.0", "3.2.0", "3.3.0", "3.4.0", "3.5.0", "3.6.0", "3.7.0-experimental")
SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
ID_BASE = "https://ignite.invalid/schemas/"

_SCALARS = {"s": "string", "i": "integer", "b": "boolean"}


def field(spec: str) -> dict:
    """`s` string, `s?` nullable string (likewise i, b), `[s]` list of strings,
    `X` object of $defs X, `X?` nullable object, `[X]` list of X."""
    if spec.startswith("["):
        return {"type": "array", "items": field(spec[1:-1])}
    nullable = spec.endswith("?")
    name = spec.rstrip("?")
    if name in _SCALARS:
        kind = _SCALARS[name]
        return {"type": [kind, "null"] if nullable else kind}
    return {"$ref": f"#/$defs/{name}", "type": ["object", "null"] if nullable else "object"}


def obj(**fields: str) -> dict:
    return {
        "properties": {key: field(spec) for key, spec in sorted(fields.items())},
        "additionalProperties": False,
    }


def _v(version: str) -> tuple[int, int]:
    major, minor, _ = version.split("-")[0].split(".")
    return int(major), int(minor)


def defs_for(version: str) -> dict[str, dict]:
    v = _v(version)
    since = lambda minor: v >= (3, minor)  # noqa: E731 - reads as a table below

    resource = "Resource" if since(1) else None
    d: dict[str, dict] = {}

    root = dict(ignition="Ignition", passwd="Passwd", storage="Storage", systemd="Systemd")
    if since(3):
        root["kernelArguments"] = "KernelArguments"
        d["KernelArguments"] = obj(shouldExist="[s]", shouldNotExist="[s]")
    d["Config"] = obj(**root)

    ignition = dict(version="s", config="IgnitionConfig", security="Security", timeouts="Timeouts")
    if since(1):
        ignition["proxy"] = "Proxy"
        d["Proxy"] = obj(httpProxy="s?", httpsProxy="s?", noProxy="[s]")
    d["Ignition"] = obj(**ignition)
    config_ref = resource or "ConfigReference"
    d["IgnitionConfig"] = obj(merge=f"[{config_ref}]", replace=config_ref)
    d["Security"] = obj(tls="TLS")
    d["TLS"] = obj(certificateAuthorities=f"[{resource or 'CaReference'}]")
    d["Timeouts"] = obj(httpResponseHeaders="i?", httpTotal="i?")
    d["Verification"] = obj(hash="s?")
    if since(1):
        d["Resource"] = obj(compression="s?", httpHeaders="[HTTPHeader]", source="s?", verification="Verification")
        d["HTTPHeader"] = obj(name="s", value="s?")
    else:
        d["ConfigReference"] = obj(source="s?", verification="Verification")
        d["CaReference"] = obj(source="s", verification="Verification")
        d["FileContents"] = obj(compression="s?", source="s?", verification="Verification")

    storage = dict(directories="[Directory]", disks="[Disk]", files="[File]", filesystems="[Filesystem]",
                   links="[Link]", raid="[Raid]")
    if since(2):
        storage["luks"] = "[Luks]"
    d["Storage"] = obj(**storage)

    d["Disk"] = obj(device="s", partitions="[Partition]", wipeTable="b?")
    partition = dict(guid="s?", label="s?", number="i", shouldExist="b?", sizeMiB="i?", startMiB="i?",
                     typeGuid="s?", wipePartitionEntry="b?")
    if since(2):
        partition["resize"] = "b?"
    d["Partition"] = obj(**partition)
    d["Raid"] = obj(devices="[s]", level="s?" if since(3) else "s", name="s", options="[s]", spares="i?")
    filesystem = dict(device="s", format="s?", label="s?", options="[s]", path="s?", uuid="s?",
                      wipeFilesystem="b?")
    if since(1):
        filesystem["mountOptions"] = "[s]"
    d["Filesystem"] = obj(**filesystem)

    node = dict(group="NodeGroup", overwrite="b?", path="s", user="NodeUser")
    contents = resource or "FileContents"
    d["File"] = obj(**node, append=f"[{contents}]", contents=contents, mode="i?")
    d["Directory"] = obj(**node, mode="i?")
    d["Link"] = obj(**node, hard="b?", target="s?" if since(3) else "s")
    d["NodeUser"] = obj(id="i?", name="s?")
    d["NodeGroup"] = obj(id="i?", name="s?")

    if since(2):
        luks = dict(clevis="Clevis" if since(3) else "Clevis?", device="s?", keyFile="Resource", label="s?",
                    name="s", options="[s]", uuid="s?", wipeVolume="b?")
        if since(4):
            luks.update(discard="b?", openOptions="[s]")
        if since(5):
            luks["cex"] = "Cex"
            d["Cex"] = obj(enabled="b?")
        d["Luks"] = obj(**luks)
        d["Clevis"] = obj(custom="ClevisCustom" if since(3) else "ClevisCustom?", tang="[Tang]",
                          threshold="i?", tpm2="b?")
        if since(3):
            d["ClevisCustom"] = obj(config="s?", needsNetwork="b?", pin="s?")
        else:
            d["ClevisCustom"] = obj(config="s", needsNetwork="b?", pin="s")
        tang = dict(thumbprint="s?", url="s")
        if since(4):
            tang["advertisement"] = "s?"
        d["Tang"] = obj(**tang)

    d["Passwd"] = obj(groups="[PasswdGroup]", users="[PasswdUser]")
    user = dict(  # noqa: S604 (`shell` is the passwd field, not subprocess's)
        gecos="s?", groups="[s]", homeDir="s?", name="s", noCreateHome="b?", noLogInit="b?",
        noUserGroup="b?", passwordHash="s?", primaryGroup="s?", sshAuthorizedKeys="[s]", shell="s?",
        system="b?", uid="i?")
    group = dict(gid="i?", name="s", passwordHash="s?", system="b?")
    if since(2):
        user["shouldExist"] = "b?"
        group["shouldExist"] = "b?"
    d["PasswdUser"] = obj(**user)
    d["PasswdGroup"] = obj(**group)

    d["Systemd"] = obj(units="[Unit]")
    d["Unit"] = obj(contents="s?", dropins="[Dropin]", enabled="b?", mask="b?", name="s")
    d["Dropin"] = obj(contents="s?", name="s")
    return dict(sorted(d.items()))


def schema_for(version: str) -> dict:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{ID_BASE}{version}.json",
        "title": f"Ignition config, spec version {version}",
        "description": (
            "Structure only: types and known keys. A [T, \"null\"] type marks an optional field whose "
            "absence differs from its zero value; Ignition (and ignite) also take null for any other "
            "field as absent, which this schema does not allow. Unknown keys are only warnings for "
            "Ignition. Value rules (paths, URLs, modes, ...) belong to the semantic validator."
        ),
        "$ref": "#/$defs/Config",
        "type": "object",
        "$defs": defs_for(version),
    }


def render(version: str) -> str:
    return json.dumps(schema_for(version), indent=2) + "\n"


def main() -> int:
    SCHEMA_DIR.mkdir(exist_ok=True)
    for version in VERSIONS:
        (SCHEMA_DIR / f"{version}.json").write_text(render(version))
    return 0


if __name__ == "__main__":
    sys.exit(main())
