"""The files stage's crash journal: what a previous, interrupted run of the same stage on
the same config already did, so that a rerun ends with the same tree as one clean run.

Upstream is not idempotent (a second run fails on the files the first one wrote). Each
action here commits in one atomic step (a rename, a link, an idempotent command), and
the journal records:
  `exists KEY`        the node of KEY was there before the stage first wrote any node
  `snapshot TAG`      the `exists` lines of the nodes written from TAG on are complete
  `later TAG KEY`     with a snapshot taken before the users: KEY's existence is left to
                      the snapshot TAG, taken after them (the users could change it)
  `sealed SHA256`     ends a new journal's first block: its digest (see below)
  `begin KEY SHA256`  just before a commit to a node that was there before (an append,
                      the result file, the preset file): its result, recognised by content
  `base KEY SHA256`   with `begin`, for an append: the content appended to
  `note KEY VALUE`    a decision a rerun must repeat rather than recompute
  `done KEY`          after the action finished

It lives in the target (`/etc/ignite/files.journal`), next to ignite's report, so that
it survives a power loss (a journal in /run did not, and the rerun then failed at the
first file already written, and repeated appends). What is flushed when:
- before any action, one synced write (`start`) holds the header (naming the config, so
  a rerun knows it resumes this config's run) and all that can be known then: the users'
  notes and the snapshots the stage can take before anything changes. A new journal ends
  that first block with `sealed SHA256` of it: a power loss during the write leaves no
  journal rather than a torn one;
- the snapshot (which nodes already existed) is synced before the first node is written,
  in that first block but for the nodes whose existence the users could change, which get
  a snapshot of their own after the users (files_snapshot; `later` lines name them):
  a rerun that finds a node the snapshot does not list knows the interrupted run made it
  and makes it again, whatever the power loss left of it (a zero-length file too);
  one the snapshot lists is judged as a clean run would judge it. The preset file and
  the result file have snapshots of their own (keys `presets`, `result`): absent before,
  they are written whole, with no `begin` and no sync of their own;
- `note`, and `base`+`begin` of an append (whose temporary file is synced too), are
  synced before the action they announce: an append is never repeated, a user never
  taken for one that existed before;
- `done` lines are held back and written only after a sync of the target's filesystems
  (at the end, or with a line that must go out at once): a `done` on disk means the
  node's data is on disk too. Those of groups go out synced at once; users' are held
  with the rest (a rerun undoes and redoes users whose `done` was lost, see files_users),
  except before a user's deletion, which frees ids. An entry whose `done` was lost is
  done again.
The sync is the target's own (`sync --file-system` on the root and the mounts below it:
syncfs(2)), not the machine's: a files stage does not wait for other disks' writeback.
The final one runs while the stage writes its report (`closing`). The journal stays
after the stage has finished (the last `done` lines go out after that sync): a rerun of
the same config, even in a later boot, has nothing left to do, and a kill between the
last action and the end of the process changes nothing. A journal for another config is
replaced. It is 0600: it holds the sha256 of contents.
"""
from __future__ import annotations

import errno
import os

from ignite.entropy import random_hex
from ignite.errors import NodeError
from ignite.record import new_sha256
from ignite.root import unlink_quietly

TYPE_CHECKING = False  # not typing's: the files stage runs at every boot
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeVar

    T = TypeVar("T")

JOURNAL = "/etc/ignite/files.journal"
BEFORE_USERS = "before-users"  # the tag of a snapshot that leaves some nodes to a later one


class Journal:
    def __init__(self, path: str | os.PathLike[str], identity: str, sync: Callable[[], None] = os.sync):
        """`sync`: makes everything written to the target durable (files.py gives the
        target's own syncfs; os.sync, the whole machine's, is the fallback)."""
        self.path = os.fspath(path)
        self.done: set[str] = set()
        self.begun: dict[str, str] = {}
        self.bases: dict[str, str] = {}
        self.notes: dict[str, str] = {}
        self.existed: set[str] = set()
        self.snapshots: set[str] = set()
        self.later: dict[str, set[str]] = {}  # a snapshot's tag: the only keys it covers
        self._held: list[str] = []
        self._unsynced = False  # whether a held `done` needs the target synced first
        self._sync = sync
        self._header = f"ignite-files-journal {identity}\n"
        self._block: list[str] = []  # synced lines written before `start`, in its one write
        self._fd = -1
        self._pending: Callable[[], None] | None = None  # a sync running in a thread
        lines = self._read()
        self.resumed = bool(lines) and lines[0] + "\n" == self._header and _sealed(lines)
        if self.resumed:
            for line in lines[1:]:
                kind, _, rest = line.partition(" ")
                if kind == "done":
                    self.done.add(rest)
                elif kind in ("begin", "base"):
                    key, _, sha = rest.rpartition(" ")
                    (self.begun if kind == "begin" else self.bases)[key] = sha
                elif kind == "note":
                    key, _, value = rest.partition(" ")
                    self.notes[key] = value
                elif kind == "exists":
                    self.existed.add(rest)
                elif kind == "snapshot":
                    self.snapshots.add(rest)
                elif kind == "later":
                    tag, _, key = rest.partition(" ")
                    self.later.setdefault(tag, set()).add(key)

    def start(self) -> Callable[[], None]:
        """Before the stage's first action: the header (for a new journal) and the synced
        lines written so far, in one write. Its sync runs in a thread (fsync waits for the
        disk with the GIL released) while the caller prepares what needs no change to the
        target; the function returned waits for it, and nothing may change before it has
        returned."""
        block = "".join(self._block)
        self._block.clear()
        if self.resumed:
            self._fd = self._guard(lambda: os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC))
            if not block:
                return _nothing
            self._write(block)
            fd = self._fd
            return self._in_background(lambda: os.fsync(fd))
        text = self._header + block
        self._fd = self._guard(lambda: self._create(f"{text}sealed {new_sha256(text.encode()).hexdigest()}\n"))
        fd, parent = self._fd, os.path.dirname(self.path)

        def sync() -> None:
            # On ext4 and XFS the file's sync carries the rename too (one journal commit),
            # and the directory's finds nothing left; elsewhere the directory's is needed.
            os.fsync(fd)
            sync_dir(parent)

        return self._in_background(sync)

    def _create(self, text: str) -> int:
        """A new journal holding `text`, synced by the caller before anything else happens.
        Made under a random name and renamed: nothing planted at the name is written.
        Renamed before the sync, so one sync carries both, and sealed: a power loss before
        the sync leaves a journal that reads as none (`_sealed`)."""
        parent, name = os.path.split(self.path)
        tmp = os.path.join(parent, f".{name}.{random_hex()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_APPEND | os.O_CLOEXEC, 0o600)
        try:
            data = text.encode()
            if os.write(fd, data) != len(data):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            os.rename(tmp, self.path)
        except BaseException:
            os.close(fd)
            unlink_quietly(tmp)
            raise
        return fd

    def _in_background(self, work: Callable[[], None]) -> Callable[[], None]:
        """Runs `work` (a sync) in a thread; returns what waits for it and raises its error
        as the journal's (ENOSPC, EIO: one clear line). `close` waits for it too."""
        import _thread

        failed: list[BaseException] = []
        running = _thread.allocate_lock()
        running.acquire()

        def run() -> None:
            try:
                self._guard(work)
            except BaseException as exc:  # noqa: BLE001  (handed over: wait() raises it)
                failed.append(exc)
            finally:
                running.release()

        def wait() -> None:
            if self._pending is wait:
                self._pending = None
            running.acquire()
            running.release()
            if failed:
                raise failed[0]

        self._pending = wait
        _thread.start_new_thread(run, ())
        return wait

    def _read(self) -> list[str]:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError:  # a link planted at the name: not ours, replaced
            return []
        with open(fd, "rb") as f:
            st = os.fstat(f.fileno())
            if st.st_nlink != 1:  # a hard link planted at the name: not ours, replaced
                return []
            text = f.read().decode(errors="replace")
        # A line cut by a kill or a power loss is ignored.
        return text.split("\n")[:-1]

    def _guard(self, action: Callable[[], T]) -> T:
        """Any OSError of the journal (ENOSPC) becomes one clear line."""
        try:
            return action()
        except OSError as exc:
            raise NodeError(
                JOURNAL, f"cannot write the files stage's journal ({self.path}): {exc.strerror or exc}"
            ) from None

    def _write(self, text: str, sync: bool = False) -> None:
        if self._fd < 0:  # before `start`: only what must be on disk before the first action
            assert sync, "an action before the journal's start"
            self._block.append(text)
            return

        def write() -> None:
            os.write(self._fd, text.encode())
            if sync:
                os.fsync(self._fd)

        self._guard(write)

    # --- reading ------------------------------------------------------------------------

    def is_done(self, key: str) -> bool:
        return key in self.done

    def committed(self, key: str, host_path: str) -> bool:
        """Whether the commit of `key` happened before the crash: the path holds exactly
        the content recorded when it began."""
        sha = self.begun.get(key)
        return sha is not None and file_sha256(host_path) == sha

    def made_anew(self, key: str, host_path: str) -> bool:
        """Whether the node of `key` (the preset file, the result file: a snapshot of its
        own) is to be written whole: absent before the stage, and absent still, unless this
        is a rerun, in which case whatever is there the interrupted run made."""
        absent_before = key in self.snapshots and key not in self.existed
        return absent_before and (self.resumed or not os.path.lexists(host_path))

    def made_here(self, key: str) -> bool:
        """Whether the node of `key`, found in place, was made by this config's run (an
        interrupted one): not there when the snapshot was taken. Only after `snapshot`."""
        return key not in self.existed

    def summary(self) -> str:
        """What the interrupted run had finished, for a refusal."""
        keys = sorted(self.done)
        shown = ", ".join(keys[:5]) + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")
        return f"{len(keys)} steps ({shown})" if keys else "no step"

    # --- writing ------------------------------------------------------------------------

    def begin(self, key: str, sha: str, base: str | None = None) -> None:
        """Before a commit. With `base` (an append: the sha256 of what is appended to),
        synced: the caller syncs the new content too, before its rename."""
        if base is None:
            self._write(f"begin {key} {sha}\n")
        else:
            self._write(f"base {key} {base}\nbegin {key} {sha}\n", sync=True)
            self.bases[key] = base
        self.begun[key] = sha

    def snapshot(self, tag: str, existing: Callable[[], list[str]], later: tuple[str, set[str]] | None = None) -> None:
        """Before the first node from `tag` on is written: records (and syncs) the keys
        whose node is already there, `existing()`, unless a run of this config did. One
        taken before the users may leave some keys to a snapshot taken after them: `later`
        (its tag, those keys), which then records only those."""
        if tag in self.snapshots:
            return
        keys = existing()
        if tag in self.later:
            keys = [k for k in keys if k in self.later[tag]]
        lines = "".join(f"later {later[0]} {k}\n" for k in sorted(later[1])) if later else ""
        self._write(lines + "".join(f"exists {k}\n" for k in keys) + f"snapshot {tag}\n", sync=True)
        if later:
            self.later.setdefault(later[0], set()).update(later[1])
        self.existed.update(keys)
        self.snapshots.add(tag)

    def covered(self, key: str, tag: str) -> bool:
        """Whether the snapshot of `tag`'s nodes that says whether `key`'s was there is
        taken already."""
        return tag in self.snapshots or (BEFORE_USERS in self.snapshots and key not in self.later.get(tag, ()))

    def finish(self, key: str, durable: bool = False, synced: bool = False) -> None:
        """`durable`: for an action that cannot simply be done again (a user added while
        others were added after it): synced and written at once, not held back.
        `synced`: the caller made the action's result durable itself (the result file,
        fsynced with its directory when no sync of the target is pending): its `done`
        needs no sync of the target."""
        self.done.add(key)
        self._held.append(f"done {key}\n")
        self._unsynced = self._unsynced or not synced
        if durable:
            self.flush(durable)

    def sync_pending(self) -> bool:
        """Whether a held `done` waits for a sync of the target (which then makes any other
        action's result durable too, before its own `done`)."""
        return self._unsynced

    def flush(self, durable: bool = False) -> None:
        """Syncs the target (unless every held action is durable already), then writes
        the held-back `done` lines."""
        if not self._held:
            return
        # Only the lines held when the sync starts go out after it: what is done meanwhile
        # may not be covered (nodes are written while commands run: files_alongside).
        held, self._held = self._held, []
        if self._unsynced:
            self._unsynced = False
            self._guard(self._sync)
        self._write("".join(held), sync=durable)

    def note(self, key: str, value: str) -> None:
        """A decision a rerun must repeat rather than recompute (`value`: one line)."""
        self._write(f"note {key} {value}\n", sync=True)
        self.notes[key] = value

    def close(self) -> None:
        if self._fd < 0:  # never started: the stage failed in its plan
            return
        self._wait_pending()
        self.flush()
        os.close(self._fd)

    def _wait_pending(self) -> None:
        """The first block's sync, if still running (a stage that failed while preparing)."""
        if self._pending is not None:
            self._pending()

    def closing(self) -> Callable[[], None]:
        """`close`, begun: the target's sync (when one is due) runs in a thread, since
        syncfs waits for the disk with the GIL released, while the caller goes on with
        work the sync need not cover (the report). The function returned waits for it,
        then writes the `done` lines and closes (raising the sync's error, if any)."""
        self._wait_pending()
        if self._fd < 0 or not (self._held and self._unsynced):
            return self.close
        wait = self._in_background(self._sync)

        def finish() -> None:
            try:
                wait()
            except BaseException:
                os.close(self._fd)
                raise
            self._unsynced = False
            self.close()

        return finish


def _nothing() -> None:
    pass


def _sealed(lines: list[str]) -> bool:
    """Whether the first block (header to `sealed`) is whole: its digest matches."""
    for i, line in enumerate(lines):
        if line.startswith("sealed "):
            return new_sha256("".join(f"{kept}\n" for kept in lines[:i]).encode()).hexdigest() == line[7:]
    return False


def sync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def file_sha256(host_path: str) -> str | None:
    """A file's sha256 (a rerun's check of a commit). hashlib's: the file may be large,
    and OpenSSL's sha256 is twice as fast as Python's own."""
    import hashlib

    h = hashlib.sha256()
    try:
        with open(host_path, "rb", buffering=0) as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    return h.hexdigest()
