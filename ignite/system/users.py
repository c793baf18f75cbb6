"""Users and groups of a target root: lookups in its own databases (never the host's) and
the shadow-utils tools run with `--root`, with the arguments Ignition passes.

Lookups read `/etc/passwd` and `/etc/group` of the root, and also `/usr/lib/passwd`
and `/usr/lib/group` when the target's nsswitch.conf uses nss-altfiles (as Fedora
CoreOS does): what upstream's chroot + getpwnam would see for local accounts. Every one
of these paths, and the lock files cleared after a crash, is found through the root's
resolver: a `/etc` that is a link leading out of the root is read inside it, as the
tools (which chroot) read it.

Names are passed to the tools after `--`, so that no name is taken for an option.
"""
from __future__ import annotations

import os
import stat

from ignite.root import Root
from ignite.system.run import run

TYPE_CHECKING = False  # not typing's, nor dataclasses: users are in most configs
if TYPE_CHECKING:
    from ignite.config.model import PasswdGroup, PasswdUser


class Account:
    """A user of the target's passwd. (Not a dataclass: its import costs ~8 ms.)"""

    __slots__ = ("name", "uid", "gid", "home")

    def __init__(self, name: str, uid: int, gid: int, home: str) -> None:
        self.name, self.uid, self.gid, self.home = name, uid, gid, home

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Account):
            return NotImplemented
        return (self.name, self.uid, self.gid, self.home) == (other.name, other.uid, other.gid, other.home)

    def __hash__(self) -> int:
        return hash((self.name, self.uid, self.gid, self.home))

    def __repr__(self) -> str:
        return f"Account(name={self.name!r}, uid={self.uid!r}, gid={self.gid!r}, home={self.home!r})"


def read_text(root: Root, path: str) -> str | None:
    """Text of the target's `path`, found as a tool inside the root would find it."""
    host = root.resolve_all(path)
    root.guard(host)
    try:
        fd = os.open(host, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        return None
    with open(fd, "rb") as f:
        return f.read().decode(errors="replace")


def _databases(root: Root, name: str) -> list[str]:
    paths = [f"/etc/{name}"]
    if "altfiles" in (read_text(root, "/etc/nsswitch.conf") or ""):
        paths.append(f"/usr/lib/{name}")
    return paths


def account_rows(root: Root, name: str) -> list[list[str]]:
    """The rows of the target's `name` database (passwd, group), found as the chrooted
    shadow-utils tools find them: through the root's resolver."""
    rows = []
    for db in _databases(root, name):
        text = read_text(root, db)
        if text is None:
            continue
        for line in text.splitlines():
            if line and not line.startswith(("#", "+", "-")):
                rows.append(line.split(":"))
    return rows


def lookup_user(root: Root, name: str) -> Account | None:
    for row in account_rows(root, "passwd"):
        if len(row) >= 6 and row[0] == name and row[2].isdigit() and row[3].isdigit():
            return Account(row[0], int(row[2]), int(row[3]), row[5])
    return None


def lookup_group(root: Root, name: str) -> int | None:
    for row in account_rows(root, "group"):
        if len(row) >= 3 and row[0] == name and row[2].isdigit():
            return int(row[2])
    return None


class Accounts:
    """Cached lookups for one stage; `invalidate` after the databases change."""

    def __init__(self, root: Root | str | os.PathLike[str]):
        self.root = root if isinstance(root, Root) else Root(root)
        self._users: dict[str, Account | None] = {}
        self._groups: dict[str, int | None] = {}

    def user(self, name: str) -> Account | None:
        if name not in self._users:
            self._users[name] = lookup_user(self.root, name)
        return self._users[name]

    def group(self, name: str) -> int | None:
        if name not in self._groups:
            self._groups[name] = lookup_group(self.root, name)
        return self._groups[name]

    def invalidate(self) -> None:
        self._users.clear()
        self._groups.clear()


# --- after a crash ----------------------------------------------------------------------

_DATABASES = ("passwd", "group", "shadow", "gshadow", "subuid", "subgid")


def clear_stale_locks(root: Root | str | os.PathLike[str]) -> list[str]:
    """Removes the lock files (`/etc/passwd.lock`, and the `/etc/passwd.PID` files the
    lock protocol links from) that a killed useradd & co. left in the target's /etc, when
    the process named in them is gone or a zombie. Otherwise the rerun after a crash
    fails with "cannot lock /etc/passwd". Returns the host paths removed."""
    if not isinstance(root, Root):
        root = Root(root)
    removed = []
    for lock in stale_locks(root):
        root.guard(lock)
        os.unlink(lock)
        removed.append(lock)
    return removed


def stale_locks(root: Root | str | os.PathLike[str]) -> list[str]:
    """The lock files `clear_stale_locks` would remove (host paths, inside the root: /etc
    is found as the chrooted tools find it); reads only."""
    if not isinstance(root, Root):
        root = Root(root)
    etc_host = root.resolve_all("/etc")
    root.guard(etc_host + "/x")
    found: list[str] = []
    for db in _DATABASES:
        try:
            names = [f"{db}.lock"] + [n for n in os.listdir(etc_host)
                                       if n.startswith(db + ".") and n[len(db) + 1:].isdigit()]
        except (FileNotFoundError, NotADirectoryError):
            return found
        for name in names:
            lock = os.path.join(etc_host, name)
            try:
                if not stat.S_ISREG(os.lstat(lock).st_mode):
                    continue
                with open(lock, errors="replace") as f:
                    # shadow-utils writes the pid NUL-terminated ("15822\0").
                    text = f.read().split("\0", 1)[0].strip()
            except OSError:
                continue
            pid = text if text.isdigit() else name.rsplit(".", 1)[-1]
            if pid.isdigit() and not _running(int(pid)):
                found.append(lock)
    return found


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[-1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


# --- the tools, with upstream's arguments --------------------------------------------


def _secrets(password_hash: str | None) -> tuple[str, ...]:
    return (password_hash,) if password_hash else ()


def _password(value: str) -> str:
    return value if value != "" else "*"


def user_args(root: str | os.PathLike[str], user: PasswdUser, exists: bool) -> tuple[str, list[str]]:
    """(tool, argv) creating or modifying `user` as upstream does."""
    args = ["--root", os.fspath(root)]
    if exists:
        tool = "usermod"
        if user.home_dir:
            args += ["--home", user.home_dir, "--move-home"]
    else:
        tool = "useradd"
        if user.home_dir:
            args += ["--home-dir", user.home_dir]
        args.append("--no-create-home" if user.no_create_home else "--create-home")
        if user.no_user_group:
            args.append("--no-user-group")
        if user.system:
            args.append("--system")
        if user.no_log_init:
            args.append("--no-log-init")
    if user.password_hash is not None:
        args += ["--password", _password(user.password_hash)]
    elif not exists:
        args += ["--password", "*"]
    if user.uid is not None:
        args += ["--uid", str(user.uid)]
    if user.gecos:
        args += ["--comment", user.gecos]
    if user.primary_group:
        args += ["--gid", user.primary_group]
    if user.groups:
        args += ["--groups", ",".join(user.groups)]
    if user.shell:
        args += ["--shell", user.shell]
    args += ["--", user.name]
    return tool, args


def ensure_user(root: str | os.PathLike[str], user: PasswdUser, exists: bool) -> None:
    tool, args = user_args(root, user, exists)
    run(tool, *args, redact=_secrets(user.password_hash))


def delete_user(root: str | os.PathLike[str], name: str) -> None:
    run("userdel", "--remove", "--root", os.fspath(root), "--", name)


def delete_user_keep_home(root: str | os.PathLike[str], name: str) -> None:
    run("userdel", "--root", os.fspath(root), "--", name)


def set_password(root: str | os.PathLike[str], name: str, password_hash: str) -> None:
    run("usermod", "--root", os.fspath(root), "--password", _password(password_hash), "--", name,
        redact=_secrets(password_hash))


def group_args(root: str | os.PathLike[str], group: PasswdGroup, exists: bool) -> tuple[str, list[str]]:
    args = ["--root", os.fspath(root)]
    if group.gid is not None:
        args += ["--gid", str(group.gid)]
    if group.password_hash:
        args += ["--password", group.password_hash]
    if exists:
        return "groupmod", [*args, "--", group.name]
    if group.system:
        args.append("--system")
    return "groupadd", [*args, "--", group.name]


def ensure_group(root: str | os.PathLike[str], group: PasswdGroup, exists: bool) -> None:
    tool, args = group_args(root, group, exists)
    run(tool, *args, redact=_secrets(group.password_hash))


def delete_group(root: str | os.PathLike[str], name: str) -> None:
    run("groupdel", "--root", os.fspath(root), "--", name)
