"""The nodes the files stage writes while shadow-utils makes the users and groups.

useradd and groupadd spend most of their time waiting: each syncs the account files it
rewrites, and makes a home. The nodes that nothing of theirs can touch are written in
those waits, one node per step of the runner's wait loop (ignite.system.run.meanwhile:
one thread, so no lock, and never while a user's SSH keys are written with the user's
ids); the rest follow the users, in the planned order, as in Ignition. A node is written
alongside when:
- it names no owner by name (ids only, or none): names are looked up in the account
  files the tools are rewriting, and may be those of the users being made;
- it is not a hard link (its target may be any node of the run);
- its contents, if any, are in the config (data: URLs): a step stays short, and a
  fetch's retries never hold up the users;
- it neither is, holds nor lies in anything the tools make, replace or read: the account
  files and records, the homes, and the tools' inputs (distro.ACCOUNT_TOOL_INPUTS), so
  the users come out as Ignition's order makes them. Except for homes, a name counts with
  whatever it begins (`/etc/passwd-`, `/etc/login.defs.d`);
- none of the directories it would make on its way holds one of those (useradd makes a
  home's parents itself);
- it neither holds nor lies in a node written after the users (their order is kept).

Only on a first run, and for nodes whose snapshot went into the journal's first block
(files_snapshot): on a rerun every node follows the users. The users' error comes first:
a node's is raised once the users are done (a command is never killed half done for it),
and no node is written after it.
"""
from __future__ import annotations

import os

from ignite import distro

TYPE_CHECKING = False  # not typing's: the files stage runs at every boot
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from ignite.config.model import File
    from ignite.root import Root
    from ignite.stages.files_journal import Journal
    from ignite.stages.files_nodes import NodeEntry


def entries_meanwhile(
    entries: list[NodeEntry], root: Root, touched: tuple[list[str], list[str]], journal: Journal
) -> list[NodeEntry]:
    """The entries written while the users are made, in the planned order. `touched`:
    files_snapshot.account_paths of the config's users and groups."""
    if not entries or journal.resumed:
        return []
    top = root.path.rstrip("/")
    # Names are beginnings: an account file's backups and locks, `login.defs.d`, `useradd.d`.
    names = [*touched[0], *(root.resolve(p) for p in distro.ACCOUNT_TOOL_INPUTS)]
    homes = set(touched[1])
    stems: dict[str, tuple[str, ...]] = {}  # a directory: the beginnings of the names in it
    for name in names:
        parent, _, base = name.rpartition("/")
        stems[parent] = (*stems.get(parent, ()), base)
    holding = _holding(homes | set(names), top)  # the directories that hold one of those

    def clear(host: str) -> bool:
        """Neither one of those nor in one; `root.resolve` has made every path canonical."""
        parent, _, base = host.rpartition("/")
        stem = stems.get(parent)
        return host not in homes and not (stem and base.startswith(stem))

    free_dirs: dict[str, bool] = {top: True}

    def free_dir(d: str) -> bool:
        """A directory that lies in none of those, and that holds one only if it exists
        (a node's way to it makes no parent of theirs)."""
        found = free_dirs.get(d)
        if found is None:
            found = free_dirs[d] = (clear(d) and (d not in holding or os.path.lexists(d))
                                    and free_dir(d[:d.rfind("/")]))
        return found

    tag = entries[0].key
    after = {
        e.host for e in entries
        if not journal.covered(e.key, tag) or e.hard or e.node.user.name or e.node.group.name or not _local(e)
        or not clear(e.host) or e.host in holding or not free_dir(e.host[:e.host.rfind("/")])
    }
    while after and len(after) < len(entries):  # what holds or lies in a node written after the users follows them
        held = _holding(after, top)
        more = {e.host for e in entries if e.host not in after
                and (e.host in held or any(d in after for d in _above(e.host, top)))}
        if not more:
            break
        after |= more
    return [e for e in entries if e.host not in after]


def run_beside(users: Callable[[], None], nodes: Iterator[None], record_nodes: Callable[[], None]) -> None:
    """`users`, with `nodes` advanced a step (a node) at a time while their commands run.
    A node's error is raised once the users are done; theirs comes first. On either, the
    nodes written so far are recorded (`record_nodes`) before it is raised."""
    from ignite.system.run import meanwhile

    with meanwhile(nodes) as work:
        try:
            users()
        except BaseException:
            record_nodes()
            raise
    if work.error is not None:
        record_nodes()
        raise work.error


def _local(e: NodeEntry) -> bool:
    """Whether the node's contents, if any, are in the config (data: URLs): a step is short."""
    if e.kind != "file":
        return True
    f: File = e.node  # type: ignore[assignment]  # kind "file": a File
    sources = [f.contents.source, *(a.source for a in f.append)]
    return all(s is None or s.startswith("data:") for s in sources)


def _above(host: str, top: str) -> list[str]:
    """The directories `host` lies in, below `top`."""
    found = []
    cut = host.rfind("/")
    while cut > len(top):
        host = host[:cut]
        found.append(host)
        cut = host.rfind("/")
    return found


def _holding(hosts: set[str], top: str) -> set[str]:
    held: set[str] = set()
    for host in hosts:
        held.update(_above(host, top))
    return held
