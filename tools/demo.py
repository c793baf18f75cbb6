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

from ignite.cli import NEWEST, format_entry, translate_bytes, validate_bytes  # noqa: E402
from ignite.config.report import format_path  # noqa: E402
from ignite.errors import IgniteError  # noqa: E402

MAX_LINES = 20


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
        (len(storage.get("disks", [])), "disk"),
        (sum(len(d.get("partitions", [])) for d in storage.get("disks", [])), "partition"),
        (len(storage.get("raid", [])), "RAID array"),
        (len(storage.get("luks", [])), "LUKS volume"),
        (len(storage.get("filesystems", [])), "filesystem"),
        (len(storage.get("files", [])), "file"),
        (len(storage.get("directories", [])), "directory"),
        (len(storage.get("links", [])), "link"),
        (len(passwd.get("users", [])), "user"),
        (len(passwd.get("groups", [])), "group"),
        (len(cfg.get("systemd", {}).get("units", [])), "unit"),
        (len(cfg.get("ignition", {}).get("config", {}).get("merge", [])), "config to merge"),
        (len(cfg.get("kernelArguments", {}).get("shouldExist", [])), "kernel argument to ensure"),
    ]
    parts = [f"{n} {what}" + ("s" if n != 1 and not what.endswith("merge") else "") for n, what in counts if n]
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
    return 0 if not bad else 1


if __name__ == "__main__":
    sys.exit(main())
