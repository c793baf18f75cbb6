#!/usr/bin/env python3
"""`make demo` (for now): validate and translate every example, printed for a person.

For each config in examples/: its spec version, the verdict with every error and warning,
then its translation to the newest spec (what the boot stages would act on), with every
field the newest spec cannot express, and a short inventory of what it provisions.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ignite.cli import format_entry, validate_bytes  # noqa: E402
from ignite.config.report import format_path  # noqa: E402
from ignite.config.translate.target import NEWEST, translate_bytes  # noqa: E402
from ignite.errors import IgniteError  # noqa: E402

MAX_LINES = 20
DOWN_TO = "3.3.0"
OLD_ENOUGH = ("3.0.0", "3.1.0", "3.2.0", "3.3.0")


def source_version(data: bytes) -> str:
    try:
        obj = json.loads(data)
    except ValueError:
        return "?"
    if isinstance(obj, dict) and "ignitionVersion" in obj:
        return f"v{obj['ignitionVersion']}"
    version = obj.get("ignition", {}).get("version") if isinstance(obj, dict) else None
    return version or "?"


def inventory(cfg: dict) -> str:
    storage, passwd = cfg.get("storage", {}), cfg.get("passwd", {})
    counts = [
        (len(storage.get("disks", [])), "disk", "disks"),
        (sum(len(d.get("partitions", [])) for d in storage.get("disks", [])), "partition", "partitions"),
        (len(storage.get("raid", [])), "RAID array", "RAID arrays"),
        (len(storage.get("luks", [])), "LUKS volume", "LUKS volumes"),
        (len(storage.get("filesystems", [])), "filesystem", "filesystems"),
        (len(storage.get("files", [])), "file", "files"),
        (len(storage.get("directories", [])), "directory", "directories"),
        (len(storage.get("links", [])), "link", "links"),
        (len(passwd.get("users", [])), "user", "users"),
        (len(passwd.get("groups", [])), "group", "groups"),
        (len(cfg.get("systemd", {}).get("units", [])), "unit", "units"),
        (len(cfg.get("ignition", {}).get("config", {}).get("merge", [])), "config to merge", "configs to merge"),
        (len(cfg.get("kernelArguments", {}).get("shouldExist", [])), "kernel argument to ensure",
         "kernel arguments to ensure"),
    ]
    parts = [f"{n} {one if n == 1 else many}" for n, one, many in counts if n]
    return ", ".join(parts) or "nothing (a config that only names its version)"


def show(path: Path) -> bool:
    data = path.read_bytes()
    shown = str(path.relative_to(REPO))
    print(f"\n━━ {shown}  (spec {source_version(data)}, {len(data)} bytes)")
    entries, valid = validate_bytes(data, shown)
    errors = sum(e["kind"] == "error" for e in entries)
    print(f"   validate: {'VALID' if valid else 'INVALID'} — {errors} error(s), {len(entries) - errors} other note(s)")
    for e in entries:
        print("     " + format_entry(shown, e, format_path))
    if not valid:
        return False
    try:
        out, problems = translate_bytes(data, shown, NEWEST)
    except IgniteError as e:
        print(f"   translate: FAILED: {e}")
        return False
    print(f"   translate → {NEWEST}: {inventory(out)}")
    for p in problems:
        print(f"     not expressible in {NEWEST}: {p}")
    if source_version(data).startswith("3.") and source_version(data) not in OLD_ENOUGH:
        try:
            _, lost = translate_bytes(data, shown, DOWN_TO)
        except IgniteError as e:
            print(f"   translate → {DOWN_TO}: FAILED: {e}")
            return False
        print(f"   translate → {DOWN_TO} (what Ignition 2.14 reads): "
              + ("nothing lost" if not lost else f"{len(lost)} field(s) not expressible"))
        for p in lost:
            print(f"     not expressible in {DOWN_TO}: {p}")
    text = json.dumps(out, indent=2).splitlines()
    for line in text[:MAX_LINES]:
        print("     │ " + line)
    if len(text) > MAX_LINES:
        print(f"     │ … {len(text) - MAX_LINES} more lines (ignite translate {shown})")
    return True


def main() -> int:
    examples = sorted((REPO / "examples").glob("*.ign"))
    if not examples:
        print("no examples found in examples/")
        return 1
    print(f"ignite demo: validating and translating {len(examples)} example configs")
    results = {p.name: show(p) for p in examples}
    good = sum(results.values())
    print(f"\n{good} of {len(results)} examples are valid and translate to {NEWEST}.")
    bad = [name for name, ok in results.items() if not ok]
    if bad:
        print("not valid: " + ", ".join(bad))
    # then the main job: provision a disk image with `ignite apply` (tools/demo_provision.py)
    print("\nignite demo: provisioning a disk image from an example config\n")
    import demo_provision

    provisioned = demo_provision.main([])
    return 0 if not bad and provisioned == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
