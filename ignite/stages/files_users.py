"""passwd.groups then passwd.users, with the shadow-utils tools against the target root,
as upstream runs them; SSH keys written as the user into the file upstream uses.

Crash safety: before creating a user, the journal notes whether the user and its home
existed (for most users all at once, in the journal's first block: `note_ahead`); a
rerun that finds users the interrupted run created but did not finish removes them, last
first (and the homes they made), and creates them again, rather than falling into the
"modify an existing user" path: useradd then gives them the ids one clean run gives. So
the users' `done` lines need no sync of their own: they are held with the nodes' and
units' and go out after the stage's one sync of the target at the end (or at a deletion,
which frees ids: what came before is made durable first). A power loss in between loses
them; the rerun then makes the users again, as above, and one clean run's
tree follows (tests/files/test_power_loss_*.py).
"""
from __future__ import annotations

import os
import posixpath

from ignite import distro, jsonio
from ignite.errors import CommandError, NodeError
from ignite.stages.files_snapshot import nested
from ignite.system import users as tools

TYPE_CHECKING = False  # not typing's: users are in most configs
if TYPE_CHECKING:
    from collections.abc import Callable

    from ignite.config.model import Passwd, PasswdUser
    from ignite.root import Root
    from ignite.stages.files_journal import Journal
    from ignite.system.users import Accounts


def authorized_keys_path(home: str) -> str:
    fragment = os.environ.get(distro.AUTHORIZED_KEYS_FRAGMENT_ENV, "true").lower()
    if fragment in ("false", "0"):
        return posixpath.join(home, ".ssh", "authorized_keys")
    return posixpath.join(home, ".ssh", "authorized_keys.d", "ignition")


class PasswdWriter:
    def __init__(
        self,
        root: Root,
        accounts: Accounts,
        journal: Journal,
        record: Callable[[str, str], None],
        notated_dirs: list[str],
    ):
        self.root = root
        self.rootp = root.path
        self.accounts = accounts
        self.journal = journal
        self.record = record
        self.notated_dirs = notated_dirs

    def apply(self, passwd: Passwd) -> None:
        for lock in tools.clear_stale_locks(self.root):
            self.record("remove stale lock", self.root.inner(lock))
        for i, group in enumerate(passwd.groups):
            key = f"passwd.groups.{i}"
            if self.journal.is_done(key):
                continue
            exists = self.accounts.group(group.name) is not None
            try:
                if group.should_exist is False:
                    if exists:
                        tools.delete_group(self.rootp, group.name)
                        self.record("delete group", group.name)
                else:
                    tools.ensure_group(self.rootp, group, exists)
                    self.record("modify group" if exists else "add group", group.name)
            except CommandError as exc:
                raise NodeError(group.name, f"failed to create group: {exc}", f"$.{key}") from None
            self.accounts.invalidate()
            self.journal.finish(key, durable=True)
        self._undo_interrupted(passwd.users)
        for i, user in enumerate(passwd.users):
            key = f"passwd.users.{i}"
            if self.journal.is_done(key):
                continue
            if user.should_exist is False:
                # A deletion frees ids that later users may be given: what came before is
                # made durable first, so a rerun never redoes it with other ids.
                self.journal.flush(durable=True)
            try:
                self._user(user, key)
            except CommandError as exc:
                raise NodeError(user.name, f"failed to create user: {exc}", f"$.{key}") from None
            except OSError as exc:
                raise NodeError(user.name, f"failed to configure user: {exc.strerror or exc}", f"$.{key}") from None
            self.journal.finish(key)

    def _undo_interrupted(self, users: tuple[PasswdUser, ...]) -> None:
        """Users an interrupted run of this config created (noted as new, there now, not
        done) are removed, last first, before any is created again: the account files are
        then as they were, and useradd gives every user the ids one clean run gives."""
        for i in reversed(range(len(users))):
            key = f"passwd.users.{i}"
            note = self.journal.notes.get(key)
            if note is None or self.journal.is_done(key) or users[i].should_exist is False:
                continue
            before = jsonio.loads(note)
            if not before["existed"] and self.accounts.user(users[i].name) is not None:
                self._undo_new_user(users[i], before)

    def note_ahead(self, passwd: Passwd) -> None:
        """The notes of the users whose state before the stage no earlier user can change,
        written before the journal starts: one sync for them all, not one each. That is
        every user up to the first deletion, but one named twice or whose home is, holds
        or lies in an earlier user's home: those are noted at their turn."""
        earlier: list[tuple[str, str]] = []
        for i, user in enumerate(passwd.users):
            if user.should_exist is False:
                return
            key = f"passwd.users.{i}"
            home = posixpath.normpath(_noted_home(user))
            alone = all(name != user.name and not nested(home, other) for name, other in earlier)
            earlier.append((user.name, home))
            if alone and key not in self.journal.notes and not self.journal.is_done(key):
                self._note(user, key, self.accounts.user(user.name) is not None)

    def _note(self, user: PasswdUser, key: str, exists: bool) -> None:
        home_exists = os.path.lexists(self.root.resolve(_noted_home(user)))
        self.journal.note(key, jsonio.dumps({"existed": exists, "home": home_exists}))

    def _user(self, user: PasswdUser, key: str) -> None:
        exists = self.accounts.user(user.name) is not None
        if user.should_exist is False:
            if exists:
                tools.delete_user(self.rootp, user.name)
                self.accounts.invalidate()
                self.record("delete user", user.name)
            return
        exists = self._before(user, key, exists)
        tools.ensure_user(self.rootp, user, exists)
        self.accounts.invalidate()
        self.record("modify user" if exists else "add user", user.name)
        account = self.accounts.user(user.name)
        if account is None:
            raise NodeError(user.name, "user not found in the target's passwd after creating it", f"$.{key}")
        if not user.no_create_home:
            self._chown_notated(account.home, account.uid, account.gid)
        if user.password_hash is not None:
            tools.set_password(self.rootp, user.name, user.password_hash)
        if user.ssh_authorized_keys:
            self._write_keys(user, account.home, account.uid, account.gid)

    def _before(self, user: PasswdUser, key: str, exists: bool) -> bool:
        """Whether the user existed before this stage first touched it (see module doc)."""
        note = self.journal.notes.get(key)
        if note is None:
            self._note(user, key, exists)
            return exists
        before = jsonio.loads(note)
        if exists and not before["existed"]:
            self._undo_new_user(user, before)
        return bool(before["existed"])

    def _undo_new_user(self, user: PasswdUser, before: dict[str, bool]) -> None:
        if before["home"]:
            tools.delete_user_keep_home(self.rootp, user.name)
        else:
            self._undo_user(user.name, _noted_home(user))
        self.accounts.invalidate()

    def _undo_user(self, name: str, home: str) -> None:
        tools.delete_user_keep_home(self.rootp, name)
        host = self.root.resolve(home)
        self.root.guard(host)
        if os.path.isdir(host) and not os.path.islink(host):
            import shutil

            shutil.rmtree(host)

    def _chown_notated(self, home: str, uid: int, gid: int) -> None:
        """Mount points the mount stage created below the home get the user's owner."""
        for d in self.notated_dirs:
            if d == home or d.startswith(home.rstrip("/") + "/"):
                host = self.root.resolve(d)
                self.root.guard(host)
                os.chown(host, uid, gid, follow_symlinks=False)
                os.chmod(host, 0o700)

    def _write_keys(self, user: PasswdUser, home: str, uid: int, gid: int) -> None:
        """The home is opened as root (walking from the root with O_NOFOLLOW, so its
        ancestors' modes do not matter: an image built below a 0700 `mktemp -d`); what lies
        inside the home, which the user controls, is created with the user's ids and
        relative to that descriptor, never following a link."""
        data = "\n".join(user.ssh_authorized_keys)
        if not data.endswith("\n"):
            data += "\n"
        inner = authorized_keys_path(home)
        *dirs, name = posixpath.relpath(inner, home).split("/")
        home_fd = self.root.open_dir(self.root.resolve_dir(home))
        try:
            with _as_user(uid, gid):
                _write_below(home_fd, dirs, name, data.encode())
        finally:
            os.close(home_fd)
        self.record("write ssh keys", inner)


def _noted_home(user: PasswdUser) -> str:
    """The home whose existence a user's note records (and a rerun's undo removes)."""
    return user.home_dir or f"/home/{user.name}"


def _write_below(top_fd: int, dirs: list[str], name: str, data: bytes) -> None:
    """`dirs` (0700) below `top_fd`, then `name` in the last one (0600), through a new
    temporary file renamed into place: a link planted at the name receives nothing."""
    from ignite.root import TEMP_FLAGS, random_temp_name, sweep_temps

    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = top_fd
    try:
        for d in dirs:
            try:
                os.mkdir(d, 0o700, dir_fd=fd)
            except FileExistsError:
                pass
            below = os.open(d, flags, dir_fd=fd)
            if fd != top_fd:
                os.close(fd)
            fd = below
        sweep_temps(fd)
        tmp = random_temp_name()
        out = os.open(tmp, TEMP_FLAGS, 0o600, dir_fd=fd)
        try:
            with open(out, "wb") as f:
                f.write(data)
            os.rename(tmp, name, src_dir_fd=fd, dst_dir_fd=fd)
        except BaseException:
            os.unlink(tmp, dir_fd=fd)
            raise
    finally:
        if fd != top_fd:
            os.close(fd)


class _as_user:
    """Effective ids of the user and umask 077 for the block, as upstream writes keys.
    (A class, not contextlib's decorator: contextlib is ~0.5 ms of start-up.)"""

    def __init__(self, uid: int, gid: int) -> None:
        self.uid, self.gid = uid, gid

    def __enter__(self) -> None:
        self.old_mask = os.umask(0o077)
        self.old_uid, self.old_gid = os.geteuid(), os.getegid()
        self.switch = self.old_uid == 0  # not root (unit tests): write as ourselves
        if self.switch:
            try:
                os.setegid(self.gid)
                os.seteuid(self.uid)
            except BaseException:
                self.__exit__()
                raise

    def __exit__(self, *_: object) -> None:
        if self.switch:
            os.seteuid(self.old_uid)
            os.setegid(self.old_gid)
        os.umask(self.old_mask)
