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
"""
from __future__ import annotations

import os
import posixpath
import stat

from ignite.errors import NodeError, RootEscapeError

_MAX_LINKS = 40  # as the kernel's ELOOP limit


class Root:
    """A target root directory. Paths it returns are absolute host paths below it."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = posixpath.normpath(os.path.abspath(os.fspath(path)))
        self.real = os.path.realpath(self.path)
        self._safe_dirs: set[str] = set()
        self._made_dirs: set[str] = set()
        self._resolved: dict[str, str] = {}

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
