"""The one resolver of paths inside the target root.

A config path such as `/etc/foo/bar` is resolved as Ignition's `JoinPath` does: every
component but the last that is a symlink in the root is replaced by its target, an
absolute target being read relative to the root and a relative one relative to the
link's directory, and `..` never climbs above the root. The last component is never
followed.

Unlike upstream, a link whose target is itself a link is followed again (upstream
resolves one level and lets the kernel follow the rest, which can leave the root): the
result lands where the kernel would land, or inside the root where the kernel would
have left it. `Root.guard` checks, right before a write, that the parent directory
really is inside the root, so that a link created meanwhile cannot redirect a write.

Files that are read as the target's own tools would read them (account databases) are
found with `resolve_all`, which follows the last component too. Content is never
written in place: it goes to a temporary file created here (`open_temp`) with a random
name and O_EXCL|O_NOFOLLOW, so nothing planted at a name (a hard link to a file outside
the root, a symlink) can receive the write, and is then renamed over the target
(`replace`), a directory in the way being renamed aside and removed only afterwards.
"""
from __future__ import annotations

import errno
import os
import posixpath
import stat

from ignite.entropy import random_hex
from ignite.errors import NodeError, RootEscapeError

_MAX_LINKS = 40  # as the kernel's ELOOP limit
# Names of ignite's temporary nodes: `.ignite-` + 16 hex digits + `.tmp` (a new file or
# directory) or `.old` (a node renamed aside). Earlier versions used the same shape.
TEMP_PREFIX = ".ignite-"
_TEMP_SUFFIXES = (".tmp", ".old")
_HEX = frozenset("0123456789abcdef")
TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


class Root:
    """A target root directory. Paths it returns are absolute host paths below it."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = posixpath.normpath(os.path.abspath(os.fspath(path)))
        self.real = os.path.realpath(self.path)
        self._safe_dirs: set[str] = set()
        self._made_dirs: set[str] = set()
        self._resolved: dict[str, str] = {}
        self._swept: set[str] = set()

    # --- resolution -------------------------------------------------------------------

    def resolve(self, path: str) -> str:
        """The host path of config path `path` (see the module docstring)."""
        inner = self.resolve_inner(path)
        return self.host(inner)

    def resolve_inner(self, path: str) -> str:
        """Like `resolve`, but the root-relative absolute path (`/etc/foo`)."""
        parts = [p for p in path.split("/") if p not in ("", ".")]
        if not parts:
            return "/"
        last = parts.pop()
        key = "/".join(parts)
        parent = self._resolved.get(key)
        if parent is None:
            parent = self._resolved[key] = self._resolve_dirs(parts, path)
        if last == "..":
            return posixpath.dirname(parent) or "/"
        return posixpath.join(parent, last)

    def resolve_dir(self, path: str) -> str:
        """Root-relative path of directory `path`, following every component."""
        parts = [p for p in path.split("/") if p not in ("", ".")]
        return self._resolve_dirs(parts, path)

    def resolve_all(self, path: str) -> str:
        """Host path of `path` with every component followed, the last one too, as a tool
        run inside the root would open it (`/etc/passwd` when `/etc` is a link)."""
        return self.host(self._resolve_dirs([p for p in path.split("/") if p not in ("", ".")], path))

    def _resolve_dirs(self, parts: list[str], original: str) -> str:
        real = "/"
        pending = list(reversed(parts))
        hops = 0
        while pending:
            comp = pending.pop()
            if comp == "..":
                real = posixpath.dirname(real) or "/"
                continue
            candidate = posixpath.join(real, comp)
            target = self._readlink(candidate)
            if target is None:
                real = candidate
                continue
            hops += 1
            if hops > _MAX_LINKS:
                raise RootEscapeError(original, self.path, "too many levels of symbolic links below")
            if target.startswith("/"):
                real = "/"
            pending.extend(reversed([p for p in target.split("/") if p not in ("", ".")]))
        return real

    def _readlink(self, inner: str) -> str | None:
        host = self.host(inner)
        try:
            st = os.lstat(host)
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            return None
        if not stat.S_ISLNK(st.st_mode):
            return None
        return os.readlink(host)

    def host(self, inner: str) -> str:
        """Host path of an already resolved root-relative path."""
        clean = posixpath.normpath("/" + inner.lstrip("/"))
        if clean == "/":
            return self.path
        return self.path + clean

    def inner(self, host: str) -> str:
        """Root-relative path of a host path below the root."""
        if host == self.path:
            return "/"
        if not host.startswith(self.path + "/"):
            raise RootEscapeError(host, self.path, "is not below")
        return host[len(self.path):]

    # --- the last check before a write ------------------------------------------------

    def guard(self, host: str) -> None:
        """Raises RootEscapeError unless the directory holding `host` is really inside the
        root (the last component itself is never followed by our writes)."""
        parent = posixpath.dirname(host)
        if parent in self._safe_dirs:
            return
        real = os.path.realpath(parent)
        if real != self.real and not real.startswith(self.real + "/"):
            raise RootEscapeError(host, self.path, f"would be written through {real}, outside")
        self._safe_dirs.add(parent)

    def forget(self) -> None:
        """Called after a symlink was created or a tree removed: cached checks and
        resolutions are stale."""
        self._safe_dirs.clear()
        self._made_dirs.clear()
        self._resolved.clear()

    def makedirs(self, host_dir: str, mode: int = 0o755) -> None:
        """`mkdir -p` of a directory below the root, checking each step stays inside."""
        if host_dir == self.path or host_dir in self._made_dirs:
            return
        missing = []
        cur = host_dir
        while cur != self.path and not os.path.lexists(cur):
            missing.append(cur)
            cur = posixpath.dirname(cur)
            if not cur.startswith(self.path):
                raise RootEscapeError(host_dir, self.path, "is not below")
        if cur != self.path:
            self.guard(cur + "/x")
            if not os.path.isdir(cur):
                raise NodeError(self.inner(cur), "a non-directory is in the way of a needed directory")
        for d in reversed(missing):
            os.mkdir(d, mode)
        self._made_dirs.add(host_dir)

    def open_dir(self, inner: str) -> int:
        """A descriptor of directory `inner` (resolved: no component is a link), opened
        from the root one component at a time with O_NOFOLLOW. Nothing met on the way is
        followed, and only the caller's (root's) search permission is needed, so ids can
        be switched afterwards for what lies below, whatever the ancestors' modes."""
        fd = os.open(self.path, _DIR_FLAGS)
        try:
            for comp in [p for p in inner.split("/") if p not in ("", ".")]:
                below = os.open(comp, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=fd)
                os.close(fd)
                fd = below
        except BaseException:
            os.close(fd)
            raise
        return fd

    # --- temporary nodes and replacement ----------------------------------------------

    def temp_name(self, host: str, suffix: str = ".tmp") -> str:
        """A fresh random name next to `host`. The first time a directory is used in this
        run, the leftovers a killed run left there are removed."""
        parent = posixpath.dirname(host)
        self.guard(host)
        if parent not in self._swept:
            sweep_temps(parent)
            self._swept.add(parent)
        return posixpath.join(parent, random_temp_name(suffix))

    def open_temp(self, host: str, mode: int = 0o600) -> tuple[int, str]:
        """(fd, path) of a new, empty, exclusively created file next to `host`."""
        tmp = self.temp_name(host)
        return os.open(tmp, TEMP_FLAGS, mode), tmp

    def replace(self, tmp: str, host: str) -> None:
        """Puts the node at `tmp` in place of whatever is at `host`. A file replaces a
        non-directory in one rename; a directory in the way (or any node in the way of a
        new directory) is renamed aside first and removed only once the new node is in
        place, so a failure at any point leaves the old node or the new one."""
        self.guard(host)
        try:
            os.rename(tmp, host)  # the common case, in one step: nothing or a non-directory there
            return
        except (IsADirectoryError, NotADirectoryError, FileExistsError):
            pass  # a directory in the way, or a directory replacing a node
        except OSError as exc:
            if exc.errno != errno.ENOTEMPTY:
                raise
        aside = self.temp_name(host, ".old")
        os.rename(host, aside)
        try:
            os.rename(tmp, host)
        except BaseException:
            os.rename(aside, host)
            raise
        self.forget()
        remove_tree(aside)


def random_temp_name(suffix: str = ".tmp") -> str:
    return f"{TEMP_PREFIX}{random_hex()}{suffix}"


def is_temp_name(name: str) -> bool:
    stem, dot, ext = name.rpartition(".")
    return (
        name.startswith(TEMP_PREFIX)
        and "." + ext in _TEMP_SUFFIXES
        and len(stem) == len(TEMP_PREFIX) + 16
        and set(stem[len(TEMP_PREFIX):]) <= _HEX
    )


def sweep_temps(directory: str | int) -> list[str]:
    """Removes ignite's temporary nodes that a killed run left in `directory` (a path, or
    a directory descriptor), never following a link: unlinking a planted hard link leaves
    its other names alone. Returns the names removed."""
    try:
        entries = [e.name for e in os.scandir(directory) if is_temp_name(e.name)]
    except (FileNotFoundError, NotADirectoryError):
        return []
    for name in entries:
        if isinstance(directory, int):
            _remove_at(directory, name)
        else:
            remove_tree(posixpath.join(directory, name))
    return entries


def _remove_at(dir_fd: int, name: str) -> None:
    if stat.S_ISDIR(os.lstat(name, dir_fd=dir_fd).st_mode):
        import shutil

        shutil.rmtree(name, dir_fd=dir_fd)
    else:
        os.unlink(name, dir_fd=dir_fd)


def unlink_quietly(path: str) -> None:
    """Removes a file of ours that may already be gone (a temporary name, after a failure)."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def remove_tree(path: str) -> None:
    """`rm -rf`, never following a symlink."""
    try:
        st = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return
    if stat.S_ISDIR(st.st_mode):
        import shutil

        shutil.rmtree(path)
    else:
        os.unlink(path)
