"""What the files stage records, before it changes anything, of the nodes already there
(files_journal's `exists` and `snapshot` lines), and when it may do so that early.

A snapshot must say what one clean run would find when it reaches each node. Taken before
the users are made, it says so unless shadow-utils can make or replace a node the config
also writes: the account files, mail spools and login records, and whatever lies in,
holds or is a home of a user the config names. Otherwise it goes into the journal's first
block, with the users' notes, under one sync; for the nodes whose existence the users could
change, it is taken after them, right before the first node, as before (the journal's
`later` lines name them).

The preset file and the result file get snapshots of their own (their journal keys as
tags): absent before the stage, they are written whole and a rerun writes them again,
without the synced `begin` and data of an append. One that an entry or a home could make
or replace is recorded as present, and keeps that protocol.
"""
from __future__ import annotations

import os
import posixpath

from ignite import distro
from ignite.stages.files_journal import BEFORE_USERS

TYPE_CHECKING = False  # not typing's: the files stage runs at every boot
if TYPE_CHECKING:
    from collections.abc import Callable

    from ignite.config.model import Passwd
    from ignite.root import Root
    from ignite.stages.files_journal import Journal
    from ignite.stages.files_nodes import NodeEntry


def existing_keys(entries: list[NodeEntry], prefix: str = "") -> list[str]:
    """The keys whose node a clean run would find in place: there now, or at the path of
    an earlier entry (legacy configs may name one path twice)."""
    found = []
    seen: set[str] = set()
    for e in entries:
        if e.host in seen or os.path.lexists(e.host):
            found.append(prefix + e.key)
        seen.add(e.host)
    return found


def take_early(
    journal: Journal, root: Root, entries: list[NodeEntry], touched: tuple[list[str], list[str]], presets: bool
) -> None:
    """The snapshots that can go into the journal's first block (before `start`).
    `touched`: account_paths of the config's users and groups (none: two empty lists)."""
    names, homes = touched
    later = {
        e.key for e in entries
        if e.kind != "directory"  # a directory's is never judged
        and (any(nested(e.host, h) for h in homes) or any(e.host.startswith(a) or a.startswith(e.host + "/")
                                                             for a in names))
    }
    if entries and not later:
        journal.snapshot(entries[0].key, lambda: existing_keys(entries))
    elif later and len(later) < sum(e.kind != "directory" for e in entries):
        # The others now; those the users could make or replace after them.
        journal.snapshot(BEFORE_USERS, lambda: [k for k in existing_keys(entries) if k not in later],
                         later=(entries[0].key, later))
    movers = [e.host for e in entries] + homes
    for key, path in (("presets", distro.PRESET_FILE), ("result", distro.RESULT_FILE)):
        if key != "presets" or presets:
            host = root.resolve(path)
            there = os.path.lexists(host) or any(nested(host, m) for m in movers)
            journal.snapshot(key, _keys([key] if there else []))


def _keys(keys: list[str]) -> Callable[[], list[str]]:
    return lambda: keys


def account_paths(root: Root, passwd: Passwd) -> tuple[list[str], list[str]]:
    """Host paths shadow-utils may make or replace for this config's users and groups:
    those of the account files and records (a path starting with one of them counts: the
    backups and locks), and the users' homes."""
    names = [root.resolve(p) for p in distro.ACCOUNT_TOOL_PATHS]
    bases = {distro.DEFAULT_HOME_BASE, _home_base(root)}
    homes = []
    for user in passwd.users:
        for home in [user.home_dir] if user.home_dir else [posixpath.join(b, user.name) for b in bases]:
            homes.append(root.resolve(home))
    return names, homes


def _home_base(root: Root) -> str:
    """useradd's HOME= in the target (the last one counts), else /home."""
    from ignite.system.users import read_text

    base = distro.DEFAULT_HOME_BASE
    for line in (read_text(root, distro.USERADD_DEFAULTS) or "").splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and name.strip() == "HOME" and value.strip().startswith("/"):
            base = value.strip()
    return base


def nested(a: str, b: str) -> bool:
    """Whether two paths are one, or one lies below the other."""
    return a == b or a.startswith(b.rstrip("/") + "/") or b.startswith(a.rstrip("/") + "/")
