"""storage.files, directories and links: planned (every path resolved, duplicates and
owners checked) before anything is touched, then created in Ignition's order.

Each entry commits in one atomic step, so that a killed run leaves either the old or the
new node and a rerun (guided by the journal) ends with the tree one clean run makes:
- a file's contents and appends are assembled in a temporary file next to the target,
  owned and moded there, then renamed into place. Upstream appends in place with
  O_APPEND; the result is the same bytes, but a file appended to gets a new inode.
  Nothing is left behind when a resource fails its hash (upstream may leave a file
  holding the contents without a failed append).
- a symlink is created under a temporary name, lchowned, then renamed into place.
- `overwrite: true` removes nothing up front: the new node is made complete (fetched,
  verified, owned, moded) under a temporary name first, then put in place by the root's
  `replace` (a directory in the way is renamed aside and removed afterwards). A bad hash,
  a failed fetch or a kill leaves the old node. Upstream removes first.
Temporary names are random and created exclusively (see `ignite.root`).
"""
from __future__ import annotations

import os
import posixpath
import stat
import time

from ignite.errors import FetchError, NodeError
from ignite.root import remove_tree, unlink_quietly
from ignite.stages.files_journal import file_sha256
from ignite.stages.files_snapshot import existing_keys

TYPE_CHECKING = False  # not typing's: 3 ms of every files stage's start-up
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import BinaryIO

    from ignite.config.model import Directory, File, Link, NodeGroup, NodeUser, Resource, Storage
    from ignite.report import Recorder
    from ignite.resource import FetchSettings
    from ignite.root import Root
    from ignite.stages.files_journal import Journal
    from ignite.system.users import Accounts

    Node = File | Directory | Link

DEFAULT_FILE_MODE = 0o644
DEFAULT_DIR_MODE = 0o755


class NodeEntry:
    """One node to write. Not a dataclass: that costs every files stage 6 ms of start-up."""

    __slots__ = ("kind", "key", "path", "host", "node")

    def __init__(self, kind: str, key: str, path: str, host: str, node: Node) -> None:
        self.kind = kind  # "file", "directory", "link"
        self.key = key  # journal key and JSON path tail: "files.3"
        self.path = path  # as the config says
        self.host = host  # resolved, below the root
        self.node = node

    def __repr__(self) -> str:
        return f"NodeEntry({self.kind!r}, {self.key!r}, {self.path!r}, {self.host!r})"

    @property
    def json_path(self) -> str:
        return "$.storage." + self.key

    @property
    def hard(self) -> bool:
        return self.kind == "link" and bool(self.node.hard)  # type: ignore[union-attr]  # a link's node is a Link


# --- plan -----------------------------------------------------------------------------


def plan_nodes(storage: Storage, root: Root, filesystem: str | None = None) -> list[NodeEntry]:
    """The entries on `filesystem` (None: the root) in creation order.

    Directories, files, then symlinks, stably sorted by depth; hard links last in config
    order so they may point at deeper files of the same run. Several entries with the
    same config path (only legacy configs have them) are applied in config order; two
    different paths that resolve to one place are an error, as upstream says."""
    entries: list[NodeEntry] = []
    hard: list[NodeEntry] = []
    seen: dict[str, str] = {}
    groups: tuple[tuple[str, str, tuple[Node, ...]], ...] = (
        ("directory", "directories", storage.directories),
        ("file", "files", storage.files),
        ("link", "links", storage.links),
    )
    for kind, field, nodes in groups:
        for index, node in enumerate(nodes):
            if node.filesystem != filesystem and not (filesystem is None and node.filesystem == "root"):
                continue
            host = root.resolve(node.path)
            other = seen.get(host)
            if other is not None and posixpath.normpath(other) != posixpath.normpath(node.path):
                raise NodeError(
                    node.path,
                    f"{kind} at {node.path} resolved to {host} after symlink chasing, "
                    f"but another entry with path {other} also resolves there",
                    f"$.storage.{field}.{index}",
                )
            seen[host] = node.path
            entry = NodeEntry(kind, f"{field}.{index}", node.path, host, node)
            (hard if entry.hard else entries).append(entry)
    entries.sort(key=lambda e: e.host.count("/"))
    return entries + hard


def check_owners(
    entries: list[NodeEntry], accounts: Accounts, created_users: set[str], created_groups: set[str]
) -> None:
    """Owners named by name must exist in the target or be created by this config."""
    for e in entries:
        user, group = e.node.user, e.node.group
        if user.id is None and user.name and user.name not in created_users and accounts.user(user.name) is None:
            raise NodeError(
                e.path,
                f"failed to determine correct uid and gid: no such user {user.name!r}",
                e.json_path + ".user.name",
            )
        if group.id is None and group.name and group.name not in created_groups and accounts.group(group.name) is None:
            raise NodeError(
                e.path,
                f"failed to determine correct uid and gid: no such group {group.name!r}",
                e.json_path + ".group.name",
            )


# --- act ------------------------------------------------------------------------------


class NodeWriter:
    """Creates planned entries in one root, recording what it did."""

    def __init__(
        self,
        root: Root,
        accounts: Accounts,
        journal: Journal,
        settings: FetchSettings,
        record: Recorder,
        journal_prefix: str = "",
    ):
        self.root = root
        self.accounts = accounts
        self.journal = journal
        self.settings = settings
        self.record = record
        self.prefix = journal_prefix
        self._written: dict[str, list[tuple[str, str, float]]] = {}  # by `ahead`: a key's records
        self._holding: list[tuple[str, str, float]] | None = None  # while `ahead` writes one
        self._since = 0.0

    def apply(self, entries: list[NodeEntry]) -> None:
        """The entries, in order. Those written `ahead` are recorded at their place."""
        if not entries:
            return
        # Already in the journal's first block unless the users could have changed it.
        self.journal.snapshot(self.prefix + entries[0].key, lambda: existing_keys(entries, self.prefix))
        for e in entries:
            key = self.prefix + e.key
            if key in self._written:
                self._record_written(key)
                continue
            if self.journal.is_done(key):
                continue
            self._write(e, key)

    def ahead(self, entries: list[NodeEntry]) -> Iterator[None]:
        """Some of the entries `apply` will get, written first (files_alongside), a step
        each; recorded when `apply` reaches them. Their snapshot is taken already."""
        for e in entries:
            key = self.prefix + e.key
            if self.journal.is_done(key):
                continue
            self._holding, self._since = [], time.monotonic()
            try:
                self._write(e, key)
                self._written[key] = self._holding
            finally:
                self._holding = None
            yield

    def record_ahead(self) -> None:
        """The records of the entries written `ahead`, at once: the stage failed before
        `apply` reached them."""
        for key in list(self._written):
            self._record_written(key)

    def _record_written(self, key: str) -> None:
        for action, target, seconds in self._written.pop(key):
            self.record(action, target, seconds)

    def _note(self, action: str, target: str) -> None:
        if self._holding is None:
            self.record(action, target)
        else:
            self._holding.append((action, target, time.monotonic() - self._since))

    def _write(self, e: NodeEntry, key: str) -> None:
        try:
            self._apply(e, key)
        except OSError as exc:
            raise NodeError(
                e.path, f"error creating {self.root.inner(e.host)}: {exc.strerror or exc}", e.json_path
            ) from None
        except FetchError as exc:
            raise NodeError(e.path, f"failed to fetch contents: {exc}", e.json_path) from None
        self.journal.finish(key)

    def _apply(self, e: NodeEntry, key: str) -> None:
        self.root.guard(e.host)
        if e.kind == "file":
            self._file(e, key)
        elif e.kind == "directory":
            self._directory(e)
        elif e.hard:
            self._hard_link(e)
        else:
            self._symlink(e)

    # files

    def _file(self, e: NodeEntry, key: str) -> None:
        f: File = e.node  # type: ignore[assignment]  # kind "file": a File
        st = _lstat(e.host)
        # Overwritten, or made by the interrupted run of this config (whatever the power
        # loss left of it): written afresh.
        replacing = st is not None and (bool(f.overwrite) or self.journal.made_here(key))
        if st is not None and not replacing:
            if not stat.S_ISREG(st.st_mode):
                raise NodeError(e.path, "A non regular file exists there already and overwrite is false", e.json_path)
            if self.journal.committed(key, e.host):
                return
            base = self.journal.bases.get(key)
            if f.contents.source is not None:
                raise NodeError(e.path, "A file exists there already and overwrite is false", e.json_path)
            if base is not None and file_sha256(e.host) != base:
                raise NodeError(
                    e.path,
                    "the file appended to is neither what it was before the interrupted run of "
                    f"this config nor the result; that run had finished {self.journal.summary()}",
                    e.json_path,
                )
            elif not f.append:
                self._set_owner_mode(e, e.host, f.mode, st.st_uid, st.st_gid)
                self._note("set permissions", e.path)
                return
        if replacing:
            st = None  # written afresh, then put in place of the old node
        resources = ([f.contents] if st is None and f.contents.source is not None else []) + list(f.append)
        self.root.makedirs(posixpath.dirname(e.host))
        # Created 0600; it gets its final owner and mode, on its descriptor, before it is renamed into place.
        fd, tmp = self.root.open_temp(e.host)
        try:
            try:
                sink = _HashingWriter(fd, hashing=st is not None)  # an append's proof of commit
                base = None
                if st is not None:
                    with open(e.host, "rb") as old:
                        while chunk := old.read(1 << 20):
                            sink.write(chunk)
                    base = sink.hexdigest()
                for res in resources:
                    # The pipeline only calls write() and fileno(): resource.fetch's `dest: BinaryIO` asks for more.
                    self._fetch(res, sink)  # type: ignore[arg-type]
                if st is None:
                    # -1: the owner the temporary file was created with, unless the config names one.
                    uid, gid = self._owner(e, -1, -1)
                    mode = DEFAULT_FILE_MODE if f.mode is None else f.mode
                else:
                    os.fsync(fd)  # an append is never repeated, even after a power loss
                    cur = os.fstat(fd)
                    uid, gid = self._owner(e, st.st_uid, st.st_gid)
                    if (uid, gid) == (cur.st_uid, cur.st_gid):
                        uid = gid = -1
                    mode = stat.S_IMODE(st.st_mode) if f.mode is None else f.mode
                # Owner before mode: a chown clears setuid/setgid bits. On the descriptor
                # (fchown, fchmod), spelled so that pyfakefs, which has no fchown, sees it.
                if (uid, gid) != (-1, -1):
                    os.chown(fd, uid, gid)
                os.chmod(fd, mode)
            finally:
                os.close(fd)
            if base is not None:  # an append: a rerun must recognise its result
                self.journal.begin(key, sink.hexdigest(), base)
            self.root.replace(tmp, e.host)
        except BaseException:
            unlink_quietly(tmp)
            raise
        if replacing:
            self.root.forget()
        self._note("append to file" if st is not None else "write file", e.path)

    def _fetch(self, resource: Resource, sink: BinaryIO) -> None:
        from ignite.resource import fetch

        fetch(resource, sink, self.settings)

    # directories

    def _directory(self, e: NodeEntry) -> None:
        d: Directory = e.node  # type: ignore[assignment]  # kind "directory": a Directory
        st = _lstat(e.host)
        if st is not None and d.overwrite:
            self._replace_directory(e, d)
            return
        if st is None:
            self.root.makedirs(e.host, DEFAULT_DIR_MODE)
        elif not stat.S_ISDIR(st.st_mode):
            raise NodeError(e.path, "A non-directory already exists and overwrite is false", e.json_path)
        cur = os.stat(e.host)
        uid, gid = self._owner(e, cur.st_uid, cur.st_gid)
        os.chown(e.host, uid, gid, follow_symlinks=False)
        if d.mode is not None:
            os.chmod(e.host, d.mode)
        self._note("create directory" if st is None else "set permissions", e.path)

    def _replace_directory(self, e: NodeEntry, d: Directory) -> None:
        tmp = self.root.temp_name(e.host)
        os.mkdir(tmp, DEFAULT_DIR_MODE)
        try:
            os.chmod(tmp, DEFAULT_DIR_MODE if d.mode is None else d.mode)  # whatever the umask
            uid, gid = self._owner(e, 0, 0)
            os.chown(tmp, uid, gid, follow_symlinks=False)
            self.root.replace(tmp, e.host)
        except BaseException:
            remove_tree(tmp)
            raise
        self.root.forget()
        self._note("create directory", e.path)

    # links

    def _symlink(self, e: NodeEntry) -> None:
        link: Link = e.node  # type: ignore[assignment]  # kind "link": a Link
        target = link.target or ""
        st = _lstat(e.host)
        if st is not None and (link.overwrite or self.journal.made_here(self.prefix + e.key)):
            st = None
        if st is not None:
            if stat.S_ISLNK(st.st_mode):
                existing = os.readlink(e.host)
                if posixpath.normpath(existing) == posixpath.normpath(target):
                    return
                raise NodeError(
                    e.path,
                    f"a symlink exists at that path but points to {existing}, not {target} and overwrite is false",
                    e.json_path,
                )
            raise NodeError(e.path, "a non-symlink already exists at that path and overwrite is false", e.json_path)
        self.root.makedirs(posixpath.dirname(e.host))
        tmp = self.root.temp_name(e.host)
        os.symlink(target, tmp)  # fails on any node already there: exclusive
        try:
            uid, gid = self._owner(e, *self._link_target_owner(e, target))
            os.chown(tmp, uid, gid, follow_symlinks=False)
            self.root.replace(tmp, e.host)
        except BaseException:
            unlink_quietly(tmp)
            raise
        self.root.forget()
        self._note("create symlink", e.path)

    def _link_target_owner(self, e: NodeEntry, target: str) -> tuple[int, int]:
        """Upstream stats the new link, so the kernel follows it from the initramfs: a
        relative target lands in the root, an absolute one in the initramfs (which is not
        the target system; ignite takes 0:0 there, as a dangling link gets upstream)."""
        if target.startswith("/"):
            return 0, 0
        inner = self.root.inner(posixpath.dirname(e.host)) + "/" + target
        try:
            st = os.stat(self.root.host(self.root.resolve_dir(inner)))
        except OSError:
            return 0, 0
        return st.st_uid, st.st_gid

    def _hard_link(self, e: NodeEntry) -> None:
        link: Link = e.node  # type: ignore[assignment]  # kind "link": a Link
        target_host = self.root.resolve(link.target or "")
        st = _lstat(e.host)
        if st is not None and (link.overwrite or self.journal.made_here(self.prefix + e.key)):
            self._replace_hard_link(e, link, target_host)
            return
        if st is not None:
            tst = _lstat(target_host)
            if tst is None:
                raise NodeError(e.path, f"error creating hard link: target {link.target} does not exist", e.json_path)
            if (st.st_dev, st.st_ino) != (tst.st_dev, tst.st_ino):
                raise NodeError(
                    e.path,
                    "a file already exists at that path but is not the target and overwrite is false",
                    e.json_path,
                )
            return
        self.root.makedirs(posixpath.dirname(e.host))
        self.root.guard(target_host)
        self.root.guard(e.host)
        try:
            os.link(target_host, e.host, follow_symlinks=False)
        except FileNotFoundError:
            raise NodeError(e.path, f"hard link target {link.target} does not exist", e.json_path) from None
        self._note("create hard link", e.path)

    def _replace_hard_link(self, e: NodeEntry, link: Link, target_host: str) -> None:
        self.root.guard(target_host)
        tmp = self.root.temp_name(e.host)
        try:
            os.link(target_host, tmp, follow_symlinks=False)
        except FileNotFoundError:
            raise NodeError(e.path, f"hard link target {link.target} does not exist", e.json_path) from None
        try:
            self.root.replace(tmp, e.host)
        finally:
            unlink_quietly(tmp)  # left by a rename between two names of one inode
        self.root.forget()
        self._note("create hard link", e.path)

    # owners and modes

    def _owner(self, e: NodeEntry, default_uid: int, default_gid: int) -> tuple[int, int]:
        return resolve_owner(self.accounts, e.node.user, e.node.group, default_uid, default_gid, e.path, e.json_path)

    def _set_owner_mode(self, e: NodeEntry, host: str, mode: int | None, uid: int, gid: int) -> None:
        uid, gid = self._owner(e, uid, gid)
        os.chown(host, uid, gid, follow_symlinks=False)
        if mode is not None:
            os.chmod(host, mode)


def resolve_owner(
    accounts: Accounts, user: NodeUser, group: NodeGroup, uid: int, gid: int, path: str, json_path: str
) -> tuple[int, int]:
    if user.id is not None:
        uid = user.id
    elif user.name:
        account = accounts.user(user.name)
        if account is None:
            raise NodeError(
                path, f"failed to determine correct uid and gid: no such user {user.name!r}", json_path + ".user.name"
            )
        uid = account.uid
    if group.id is not None:
        gid = group.id
    elif group.name:
        found = accounts.group(group.name)
        if found is None:
            raise NodeError(
                path,
                f"failed to determine correct uid and gid: no such group {group.name!r}",
                json_path + ".group.name",
            )
        gid = found
    return uid, gid


# --- helpers --------------------------------------------------------------------------


class _HashingWriter:
    """Writes bytes to a file descriptor, hashing them when `hashing` (an append: the
    journal's proof of its commit). A new file is not hashed: nothing reads its hash. The
    hash is hashlib's: contents may be large, and OpenSSL's sha256 is twice as fast as
    Python's own (its ~2 ms import is paid by appends only). A bare descriptor, not a
    FileIO: that would cost an fstat per file for nothing used here."""

    def __init__(self, fd: int, hashing: bool = True):
        self._fd = fd
        self._hash = None
        if hashing:
            import hashlib

            self._hash = hashlib.sha256()

    def write(self, data: bytes) -> int:
        if self._hash is not None:
            self._hash.update(data)
        _write_all(self._fd, data)
        return len(data)

    def fileno(self) -> int:
        """For the fetch, which stops before the target filesystem is full."""
        return self._fd

    def hexdigest(self) -> str:
        assert self._hash is not None, "a writer made with hashing=False has no hash"
        return self._hash.hexdigest()


def write_atomic(
    root: Root, host: str, data: bytes, mode: int, keep_from: os.stat_result | None = None, durable: bool = False,
    sync_dir: bool = False,
) -> None:
    """Replaces `host` (below `root`) with `data` in one rename; owner and mode are those
    of `keep_from` when given (an existing file being extended), else 0:0 and `mode`.
    `durable`: the data is synced before the rename, so that a crash leaves the old content
    or the new, never a torn file. The rename itself becomes durable with the journal's sync
    of the target, before the action's `done` is written (files_journal), or with
    `sync_dir`, the directory's sync after it."""
    root.makedirs(posixpath.dirname(host))
    fd, tmp = root.open_temp(host)
    try:
        try:
            _write_all(fd, data)
            if durable:
                os.fsync(fd)
            if keep_from is not None:  # on the descriptor, owner before mode, as in NodeWriter._file
                os.chown(fd, keep_from.st_uid, keep_from.st_gid)
                mode = stat.S_IMODE(keep_from.st_mode)
            os.chmod(fd, mode)
        finally:
            os.close(fd)
        root.replace(tmp, host)
    except BaseException:
        unlink_quietly(tmp)
        raise
    if sync_dir:
        from ignite.stages.files_journal import sync_dir as sync_directory

        sync_directory(posixpath.dirname(host))


def _write_all(fd: int, data: bytes) -> None:
    """A write may be short (a full disk, a signal): the rest is written, or the error raised."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _lstat(host: str) -> os.stat_result | None:
    try:
        return os.lstat(host)
    except (FileNotFoundError, NotADirectoryError):
        return None
