"""`ignite plan` output: the one-line summary, then one group per device and per
directory; destructive operations stand out (red on a terminal only, `NO_COLOR` honoured).
JSON: the plan dict as it is (schemas/plan-1.json)."""
from __future__ import annotations

import json
import os
import posixpath
import sys
from pathlib import Path
from typing import Any, TextIO

from ignite.errors import IgniteError, UsageError
from ignite.plan import PLAN_FORMAT, human, make_plan


def plan_command(config: Path, root: Path, device_map: dict[str, str], *, platform: str | None, fmt: str,
                 fetch: bool) -> int:
    if not Path(config).is_file():
        raise UsageError(f"{config}: no such config file")
    try:
        plan = make_plan(config, root, device_map, fetch=fetch, platform=platform)
    except IgniteError as exc:
        if isinstance(exc, UsageError):
            raise
        from ignite.report import classify, scrub

        message = scrub(str(exc))
        if fmt == "json":
            failure = {"kind": classify(exc), "message": message}
            print(json.dumps({"format": PLAN_FORMAT, "config": str(config), "root": str(root),
                              "wouldSucceed": False, "failure": failure}, indent=2))
        print(f"ignite: plan: the boot would fail: {message}", file=sys.stderr)
        return exc.exit_code
    if fmt == "json":
        print(json.dumps(plan, indent=2, ensure_ascii=False))
    else:
        write_text(plan, sys.stdout, colour=sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
    return 0


class _Out:
    def __init__(self, out: TextIO, colour: bool) -> None:
        self.out, self.colour = out, colour

    def line(self, text: str = "", danger: bool = False) -> None:
        if danger:
            text = f"\033[1;31m{text}\033[0m" if self.colour else f"{text}  <-- destructive"
        self.out.write(text + "\n")


def write_text(plan: dict[str, Any], out: TextIO, colour: bool = False) -> None:
    w = _Out(out, colour)
    w.line(plan["summary"])
    for disk in plan["disks"]:
        _disk(w, disk)
    if plan["raid"]:
        w.line()
        w.line("RAID")
        for r in plan["raid"]:
            w.line(f"  create {r['name']} ({r['level']}) over {', '.join(r['devices'])}", danger=True)
    if plan["luks"]:
        w.line()
        w.line("LUKS")
        for v in plan["luks"]:
            found = v["found"] or {}
            text = f"  {v['name']} on {v['device']}: {v['action']}"
            w.line(text + (f" (destroys {_sig(found)})" if v["action"] == "format" and found.get("type") else ""),
                   danger=v["action"] == "format" and bool(found.get("type")))
    if plan["filesystems"]:
        w.line()
        w.line("filesystems")
        for fs in plan["filesystems"]:
            found = fs["found"] or {}
            what = {"format": "create", "reuse": "reuse"}.get(fs["action"], fs["action"])
            text = f"  {fs['device']}: {what} {fs['format']}" + (f" {fs['label']!r}" if fs["label"] else "")
            if found.get("type"):
                text += f" (now: {_sig(found)})"
            w.line(text, danger=fs["action"] == "format" and bool(found.get("type")))
    if plan["mounts"]:
        w.line()
        w.line("mounts")
        for m in plan["mounts"]:
            dirs = f" (creates {', '.join(m['createDirectories'])})" if m["createDirectories"] else ""
            w.line(f"  {m['device']} on {m['path']} ({m['format']}){dirs}")
    _files(w, plan["files"])
    for title, key in (("users and groups", "users"), ("units", "units"), ("system", "system")):
        if plan[key]:
            w.line()
            w.line(title)
            for s in plan[key]:
                fields = f" ({', '.join(s['fields'])})" if s.get("fields") else ""
                w.line(f"  {s['kind']} {s['target']}: {s['what']}{fields}", danger=s["what"] == "delete")
    if plan["kernelArguments"]:
        w.line()
        w.line("kernel arguments")
        for k in plan["kernelArguments"]:
            w.line(f"  {k['action']} {k['argument']}")
    if plan["resources"]:
        w.line()
        w.line("remote resources")
        for r in plan["resources"]:
            size = "size unknown" if r["size"] is None else human(r["size"])
            checked = ", fetched and verified" if r["verified"] else (", fetched" if r["verified"] is False else "")
            w.line(f"  {r['url']} ({size}{checked}) for {r['for']}")
    if plan["unknown"]:
        w.line()
        w.line("not known here")
        for u in plan["unknown"]:
            w.line(f"  {u}")


def _sig(found: dict[str, str]) -> str:
    text = found.get("type", "")
    if found.get("label"):
        text += f" {found['label']!r}"
    if found.get("uuid"):
        text += f" {found['uuid']}"
    return text


def _disk(w: _Out, disk: dict[str, Any]) -> None:
    w.line()
    node = f" ({disk['node']})" if disk["node"] != disk["device"] else ""
    w.line(f"disk {disk['device']}{node}")
    w.line(f"  now: {len(disk['now'])} partition{'s' if len(disk['now']) != 1 else ''}")
    for p in disk["now"]:
        fs = f", {_sig(p['filesystem'])}" if p.get("filesystem") else ""
        text = f"    {p['number']:>3}  {human(p['size']):>9} at {human(p['start']):>9}  {p['label']!r}{fs}"
        w.line(text + ("  destroyed" if p["destroyed"] else ""), danger=p["destroyed"])
    if disk["wipeTable"]:
        w.line("  wipe the partition table", danger=True)
    for number in disk["deleted"]:
        w.line(f"  delete partition {number}", danger=True)
    w.line("  after:")
    for p in disk["after"]:
        w.line(f"    {p['number']:>3}  {p['action']:<8} {human(p['size']):>9} at {human(p['start']):>9}  "
               f"{p['label']!r}", danger=p["action"] in ("recreate",))


def _files(w: _Out, files: list[dict[str, Any]]) -> None:
    if not files:
        return
    groups: dict[str, list[dict[str, Any]]] = {}
    for f in files:
        groups.setdefault(posixpath.dirname(f["target"]) or "/", []).append(f)
    for directory in sorted(groups):
        w.line()
        w.line(f"{directory}/" if directory != "/" else "/")
        for f in groups[directory]:
            extra = []
            if "mode" in f:
                extra.append(f"mode {f.get('modeBefore', '') + ' → ' if 'modeBefore' in f else ''}{f['mode']}")
            if "owner" in f:
                extra.append(f"owner {f.get('ownerBefore', '') + ' → ' if 'ownerBefore' in f else ''}{f['owner']}")
            if f.get("linkTarget"):
                extra.append(f"→ {f['linkTarget']}")
            if f.get("redirectedTo"):
                extra.append(f"redirected by a symlink to {f['redirectedTo']}")
            if f.get("sources"):
                extra.append("from " + ", ".join(f["sources"]))
            name = posixpath.basename(f["target"]) or f["target"]
            text = f"  {f['what']:<9} {f['kind']:<9} {name}" + (f"  ({'; '.join(extra)})" if extra else "")
            w.line(text, danger=f["what"] == "overwrite")
