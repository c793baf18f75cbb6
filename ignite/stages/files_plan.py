"""What the files stage would do to a root, changing nothing: its own plan (plan_nodes,
check_owners, check_units, presets_of, the persisted LUKS keys) and then, entry by
entry, the branch its writers would take against what the root holds (and what earlier
entries of the same run will have made there).

Each step names the action the stage records for it (`write file`, `append to file`,
`set permissions`, `add user`, `preset enable`, …), so a plan can be compared with the
boot record of the run that follows it. Never contents or password hashes."""
from __future__ import annotations

import errno
import os
import posixpath
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ignite import distro
from ignite.errors import NodeError, RootEscapeError, ToolMissingError, UsageError, redact_url
from ignite.report import RESULT_FILE
from ignite.root import Root
from ignite.stages.files_nodes import DEFAULT_DIR_MODE, DEFAULT_FILE_MODE, NodeEntry, check_owners, plan_nodes

if TYPE_CHECKING:
    from ignite.config.model import Config, NodeGroup, NodeUser, Passwd, Unit
    from ignite.system.users import Accounts


@dataclass
class Step:
    """One thing the files stage does: `action` as its record names it (None: nothing to
    do, e.g. a link already right), `target` a root path or a name, `kind` the group it
    is shown in (file, directory, link, user, group, unit, system), details for people."""

    kind: str
    target: str
    action: str | None
    what: str  # create, overwrite, keep, append, add, modify, delete, write, enable, …
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def operation(self) -> tuple[str, str] | None:
        return None if self.action is None else (self.action, self.target)


@dataclass
class FilesPlan:
    steps: list[Step] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # what could not be known here, and why

    def operations(self) -> list[tuple[str, str]]:
        return [op for s in self.steps if (op := s.operation) is not None]


def plan_files(config: Config, root_dir: os.PathLike[str] | str, state: dict[str, Any] | None = None) -> FilesPlan:
    """The files stage's plan for `root_dir`; raises the error the stage would raise."""
    from ignite.system.users import Accounts

    state = state or {}
    root = Root(root_dir)
    if not os.path.isdir(root.path):
        raise UsageError(f"target root {root.path} is not a directory")
    plan = FilesPlan()
    entries = plan_nodes(config.storage, root)
    if config.systemd.units:
        from ignite.stages.files_units import check_units, presets_of

        check_units(config.systemd.units)
        presets_of(config.systemd.units)
    accounts = Accounts(Path(root.path))
    users = {u.name for u in config.passwd.users if u.should_exist is not False}
    groups = {g.name for g in config.passwd.groups if g.should_exist is not False}
    groups |= {u.name for u in config.passwd.users if u.should_exist is not False and not u.no_user_group}
    check_owners(entries, accounts, users, groups)
    sim = _Tree(root)
    if config.passwd.users or config.passwd.groups:
        plan.steps += _passwd_steps(config.passwd, root, accounts)
    plan.steps += [_node_step(e, sim, accounts) for e in entries]
    plan.steps += _legacy_steps(config, accounts, plan.unknown)
    if config.systemd.units:
        plan.steps += _unit_steps(config.systemd.units, root, sim)
    if config.storage.luks:
        plan.steps += _luks_steps(config, root, sim, accounts)
    if state.get("providerOutputFiles"):
        plan.steps += _provider_steps(state["providerOutputFiles"], root, sim, accounts)
    plan.steps.append(Step("file", RESULT_FILE, "write result file", "write"))
    if os.geteuid() != 0:
        plan.unknown.append("running without root: files the invoking user cannot read (other users' homes, "
                            "/etc/shadow) are judged by their names only")
    return plan


# --- nodes ---------------------------------------------------------------------------------


class _Tree:
    """The root as the stage will have changed it so far: lstat, with this run's own
    creations and removals on top."""

    def __init__(self, root: Root) -> None:
        self.root = root
        self.made: dict[str, str] = {}  # host path -> "file", "directory", "link"
        self.links: dict[str, str] = {}  # host path -> target, of the symlinks this run makes
        self.removed: list[str] = []  # trees an overwrite removes

    def kind(self, host: str) -> str:
        if host in self.made:
            return self.made[host]
        if any(host.startswith(path + "/") for path in self.removed):
            return "absent"
        try:
            st = os.lstat(host)
        except (FileNotFoundError, NotADirectoryError):
            return "absent"
        except PermissionError:
            return "unknown"
        if stat.S_ISLNK(st.st_mode):
            return "link"
        if stat.S_ISDIR(st.st_mode):
            return "directory"
        return "file" if stat.S_ISREG(st.st_mode) else "other"

    def lstat(self, host: str) -> os.stat_result | None:
        if host in self.made:
            return None
        try:
            return os.lstat(host)
        except OSError:
            return None

    def guard(self, host: str) -> None:
        """Root.guard as the stage will meet it: a symlink this run made earlier, above
        `host` (its path was resolved before the link existed), is followed by the kernel
        when the stage checks where `host` lies; an absolute target leaves the root."""
        parent = posixpath.dirname(host)
        above = parent
        while above != self.root.path and above not in self.links:
            above = posixpath.dirname(above)
        if above == self.root.path:
            return
        target = self.links[above]
        base = target if target.startswith("/") else posixpath.join(posixpath.dirname(above), target)
        real = os.path.realpath(base + parent[len(above):])
        if real != self.root.real and not real.startswith(self.root.real + "/"):
            raise RootEscapeError(host, self.root.path, f"would be written through {real}, outside")

    def make_parents(self, host_dir: str) -> None:
        """What Root.makedirs meets when the stage makes `host_dir`: the nearest ancestor
        there must be a directory (or a link to one), and the missing ones are made."""
        there, missing = self._nearest(host_dir)
        if there != self.root.path and not self._directory(there):
            raise NodeError(self.root.inner(there), "a non-directory is in the way of a needed directory")
        for d in missing:
            self.made[d] = "directory"

    def blocked(self, host: str) -> bool:
        """Whether a file stands where an ancestor of `host` should be (os.link's ENOTDIR).
        A link there is not: the stage resolves the target's path through it first."""
        there, _ = self._nearest(posixpath.dirname(host))
        return there != self.root.path and self.kind(there) in ("file", "other")

    def _nearest(self, host: str) -> tuple[str, list[str]]:
        """The nearest of `host` and its ancestors that is there (the root at the latest),
        and the missing ones below it."""
        missing = []
        while host != self.root.path and self.kind(host) == "absent":
            missing.append(host)
            host = posixpath.dirname(host)
        return host, missing

    def _directory(self, host: str) -> bool:
        kind = self.kind(host)
        if kind == "link" and host not in self.made:
            return os.path.isdir(host)  # as the stage's check, which follows it
        return kind in ("directory", "unknown")


def _legacy_steps(config: Config, accounts: Accounts, unknown: list[str]) -> list[Step]:
    """2.x nodes on a named filesystem: the stage mounts it and writes there. Its tree is
    not visible here: judged as an empty filesystem (a new one), and said so."""
    import tempfile

    from ignite.stages.files import legacy_filesystems

    steps: list[Step] = []
    for name, _fs in legacy_filesystems(config):
        unknown.append(f"nodes on filesystem {name!r}: judged as if it were empty (it is not mounted here)")
        with tempfile.TemporaryDirectory(prefix="ignite-plan-") as empty:
            fs_root = Root(empty)
            entries = plan_nodes(config.storage, fs_root, filesystem=name)
            steps += [_node_step(e, _Tree(fs_root), accounts) for e in entries]
    return steps


def _provider_steps(files: list[dict[str, Any]], root: Root, sim: _Tree, accounts: Accounts) -> list[Step]:
    """Files a platform asked for, kept in the state by the fetch stage."""
    from ignite.config.codec import from_json
    from ignite.config.model import File

    steps = []
    for i, data in enumerate(files):
        node = from_json(File, data)
        entry = NodeEntry("file", f"provider.{i}", node.path, root.resolve(node.path), node)
        steps.append(_node_step(entry, sim, accounts))
    return steps


def _node_step(e: NodeEntry, sim: _Tree, accounts: Accounts) -> Step:
    node: Any = e.node
    sim.guard(e.host)
    before = sim.kind(e.host)
    details: dict[str, Any] = {}
    if before == "unknown":  # a directory this user may not search
        details["unknown"] = "not visible without root: judged as absent"
        before = "absent"
    st = sim.lstat(e.host) if before != "absent" else None
    inner = sim.root.inner(e.host)
    if inner != posixpath.normpath("/" + e.path.lstrip("/")):
        details["redirectedTo"] = inner  # a symlink already in the root sends the path there
    replaced = bool(node.overwrite) and before != "absent"
    if replaced:
        details["replaces"] = before
        if before == "directory":
            sim.removed.append(e.host)
        before, st = "absent", None
    if e.kind == "file":
        return _file_step(e, node, before, st, replaced, details, sim, accounts)
    if e.kind == "directory":
        if before not in ("absent", "directory"):
            raise NodeError(e.path, "A non-directory already exists and overwrite is false", e.json_path)
        if before == "absent" and not replaced:
            sim.make_parents(e.host)
        _owner_mode(details, st, node, DEFAULT_DIR_MODE, accounts)
        sim.made[e.host] = "directory"
        if before == "absent":
            return Step("directory", e.path, "create directory", "overwrite" if replaced else "create", details)
        return Step("directory", e.path, "set permissions", "keep", details)
    target = node.target or ""
    details["linkTarget"] = target
    if e.hard:
        target_kind = sim.kind(sim.root.resolve(target))
        if before != "absent":
            if target_kind == "absent":
                raise NodeError(e.path, f"error creating hard link: target {target} does not exist", e.json_path)
            tst = sim.lstat(sim.root.resolve(target))
            if st is None or tst is None or (st.st_dev, st.st_ino) != (tst.st_dev, tst.st_ino):
                raise NodeError(e.path, "a file already exists at that path but is not the target and overwrite "
                                "is false", e.json_path)
            return Step("link", e.path, None, "keep", details)
        sim.make_parents(posixpath.dirname(e.host))
        target_host = sim.root.resolve(target)
        target_kind = sim.kind(target_host)  # the parents just made may be the target
        if target_kind == "absent":
            if sim.blocked(target_host):  # os.link's ENOTDIR, not ENOENT
                raise NodeError(e.path, f"error creating {sim.root.inner(e.host)}: {os.strerror(errno.ENOTDIR)}",
                                e.json_path)
            raise NodeError(e.path, f"hard link target {target} does not exist", e.json_path)
        if target_kind == "directory":  # os.link refuses a directory
            raise NodeError(e.path, f"error creating {sim.root.inner(e.host)}: {os.strerror(errno.EPERM)}",
                            e.json_path)
        sim.made[e.host] = "file"
        return Step("link", e.path, "create hard link", "overwrite" if replaced else "create", details)
    if before == "link":
        existing = os.readlink(e.host)
        if posixpath.normpath(existing) == posixpath.normpath(target):
            return Step("link", e.path, None, "keep", details)
        raise NodeError(e.path, f"a symlink exists at that path but points to {existing}, not {target} and "
                        "overwrite is false", e.json_path)
    if before != "absent":
        raise NodeError(e.path, "a non-symlink already exists at that path and overwrite is false", e.json_path)
    sim.make_parents(posixpath.dirname(e.host))
    sim.made[e.host] = "link"
    sim.links[e.host] = target
    return Step("link", e.path, "create symlink", "overwrite" if replaced else "create", details)


def _file_step(e: NodeEntry, node: Any, before: str, st: os.stat_result | None, replaced: bool,
               details: dict[str, Any], sim: _Tree, accounts: Accounts) -> Step:
    sources = ([node.contents.source] if node.contents.source is not None else []) + [a.source for a in node.append]
    remote = [_shown_url(s) for s in sources if s is not None]
    if remote:
        details["sources"] = remote
    if before not in ("absent", "file"):
        raise NodeError(e.path, "A non regular file exists there already and overwrite is false", e.json_path)
    if before == "absent":
        sim.make_parents(posixpath.dirname(e.host))
    _owner_mode(details, st, node, DEFAULT_FILE_MODE, accounts)
    sim.made[e.host] = "file"
    if before == "file":
        if node.contents.source is not None:
            raise NodeError(e.path, "A file exists there already and overwrite is false", e.json_path)
        if not node.append:
            return Step("file", e.path, "set permissions", "keep", details)
        return Step("file", e.path, "append to file", "append", details)
    return Step("file", e.path, "write file", "overwrite" if replaced else "create", details)


def _shown_url(url: str) -> str:
    return "data:…" if url.lower().startswith("data:") else redact_url(url)


def _owner_mode(details: dict[str, Any], st: os.stat_result | None, node: Any, default_mode: int,
                accounts: Accounts) -> None:
    """Mode and owner, before → after, where they change."""
    mode = node.mode if node.mode is not None else (default_mode if st is None else stat.S_IMODE(st.st_mode))
    if st is None or stat.S_IMODE(st.st_mode) != mode:
        details["mode"] = f"{mode:04o}"
        if st is not None:
            details["modeBefore"] = f"{stat.S_IMODE(st.st_mode):04o}"
    owner = _owner_text(node.user, node.group, accounts)
    if owner is not None:
        details["owner"] = owner
        if st is not None:
            details["ownerBefore"] = f"{st.st_uid}:{st.st_gid}"


def _owner_text(user: NodeUser, group: NodeGroup, accounts: Accounts) -> str | None:
    if user.id is None and not user.name and group.id is None and not group.name:
        return None

    def one(ident: int | None, name: str | None, lookup: Any) -> str:
        if ident is not None:
            return str(ident)
        if name:
            found = lookup(name)
            number = getattr(found, "uid", found)
            return f"{name}({number})" if number is not None else f"{name}(made by this config)"
        return "unchanged"

    return f"{one(user.id, user.name, accounts.user)}:{one(group.id, group.name, accounts.group)}"


# --- users and groups ----------------------------------------------------------------------


def _passwd_steps(passwd: Passwd, root: Root, accounts: Accounts) -> list[Step]:
    from ignite.stages.files_users import authorized_keys_path
    from ignite.system import users as tools

    steps = [Step("system", root.inner(str(lock)), "remove stale lock", "delete")
             for lock in tools.stale_locks(root)]
    groups = {row[0]: row for row in tools.account_rows(root, "group") if row}
    for group in passwd.groups:
        row = groups.get(group.name)
        if group.should_exist is False:
            if row is not None:
                steps.append(Step("group", group.name, "delete group", "delete"))
            continue
        changes = []
        if group.gid is not None and (row is None or len(row) < 3 or row[2] != str(group.gid)):
            changes.append("gid")
        if group.password_hash:
            changes.append("password")
        steps.append(Step("group", group.name, "modify group" if row else "add group", "modify" if row else "add",
                          {"fields": changes}))
        groups.setdefault(group.name, [group.name])
    users = {row[0]: row for row in tools.account_rows(root, "passwd") if row}
    for user in passwd.users:
        row = users.get(user.name)
        if user.should_exist is False:
            if row is not None:
                steps.append(Step("user", user.name, "delete user", "delete"))
            continue
        changes = _user_changes(user, row)
        steps.append(Step("user", user.name, "modify user" if row else "add user", "modify" if row else "add",
                          {"fields": changes}))
        if user.ssh_authorized_keys:
            home = user.home_dir or (row[5] if row and len(row) > 5 else f"/home/{user.name}")
            steps.append(Step("file", authorized_keys_path(home), "write ssh keys", "write",
                              {"keys": len(user.ssh_authorized_keys)}))
    return steps


def _user_changes(user: Any, row: list[str] | None) -> list[str]:
    """The fields useradd/usermod set; for an existing user, only those that differ."""
    have = dict(zip(("name", "password", "uid", "gid", "gecos", "home", "shell"), row or [], strict=False))
    wanted = {"uid": None if user.uid is None else str(user.uid), "gecos": user.gecos or None,
              "home": user.home_dir, "shell": user.shell}
    changes = [k for k, v in wanted.items() if v is not None and (row is None or have.get(k) != v)]
    if user.primary_group:
        changes.append("primary group")
    if user.groups:
        changes.append("groups")
    if user.password_hash is not None:
        changes.append("password")
    return changes


# --- units ---------------------------------------------------------------------------------


def _unit_steps(units: tuple[Unit, ...], root: Root, sim: _Tree) -> list[Step]:
    from ignite.stages.files_units import presets_of

    steps: list[Step] = []
    for unit in units:
        for dropin in unit.dropins:
            if dropin.contents is not None:
                path = f"{distro.UNITS_DIR}/{unit.name}.d/{dropin.name}"
                steps.append(Step("unit", path, "write dropin", _written(sim, root, path)))
        if unit.contents:
            path = f"{distro.UNITS_DIR}/{unit.name}"
            steps.append(Step("unit", path, "write unit", _written(sim, root, path)))
        host = root.resolve(f"{distro.UNITS_DIR}/{unit.name}")
        if unit.mask:
            sim.made[host] = "link"
            steps.append(Step("unit", unit.name, "mask unit", "mask"))
        elif unit.mask is False and os.path.islink(host) and os.readlink(host) == "/dev/null":
            steps.append(Step("unit", unit.name, "unmask unit", "unmask"))
    presets = presets_of(units)
    for key in sorted(presets):
        preset = presets[key]
        line = preset.line_unit()
        if preset.enabled:
            steps.append(Step("unit", line, "preset enable", "enable"))
        elif _is_enabled(root, line):
            steps.append(Step("unit", line, "preset disable", "disable"))
    return steps


def _written(sim: _Tree, root: Root, path: str) -> str:
    host = root.resolve(path)
    what = "overwrite" if sim.kind(host) != "absent" else "create"
    sim.made[host] = "file"
    return what


def _is_enabled(root: Root, unit: str) -> bool:
    from ignite.system.run import run

    try:
        return run("systemctl", "--root", root.path, "is-enabled", unit, check=False).returncode == 0
    except ToolMissingError:
        return False


# --- LUKS key files and crypttab -------------------------------------------------------


def _luks_steps(config: Config, root: Root, sim: _Tree, accounts: Accounts) -> list[Step]:
    """The key files and crypttab lines the stage writes for the disks stage's volumes
    (their keys and UUIDs exist only once the disks stage ran: shown by name)."""
    from ignite.stages.files_luks import crypttab_entries

    persisted = {v.name: "data:," for v in config.storage.luks}
    entries = crypttab_entries(config.storage.luks, root, persisted, lambda device: "UUID-at-boot")
    return [_node_step(e, sim, accounts) for e in entries]
