"""The files stage's crash journal: what a previous, interrupted run of the same stage on
the same config already did, so that a rerun ends with the same tree as one clean run.

Upstream is not idempotent (a second run fails on the files the first one wrote). Each
action here commits in one atomic step (a rename, a link, an idempotent command), and
the journal records:
  `begin KEY SHA256`  just before a commit whose result can be recognised by its content
  `done KEY`          after the action finished
Lines are appended with one write(2) each and not fsynced: a killed process loses
nothing the kernel has, and the journal lives in /run, which a power loss wipes anyway.
The first line names the config and root; a journal for another config is discarded.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path


class Journal:
    def __init__(self, path: Path, identity: str):
        self.path = path
        self.done: set[str] = set()
        self.begun: dict[str, str] = {}
        self.notes: dict[str, str] = {}
        header = f"ignite-files-journal {identity}\n"
        lines = self._read()
        if lines and lines[0] + "\n" == header:
            for line in lines[1:]:
                kind, _, rest = line.partition(" ")
                if kind == "done":
                    self.done.add(rest)
                elif kind == "begin":
                    key, _, sha = rest.rpartition(" ")
                    self.begun[key] = sha
                elif kind == "note":
                    key, _, value = rest.partition(" ")
                    self.notes[key] = value
            flags = os.O_WRONLY | os.O_APPEND
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND
        self._fd = os.open(path, flags, 0o600)
        if not (lines and lines[0] + "\n" == header):
            os.write(self._fd, header.encode())

    def _read(self) -> list[str]:
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return []
        # A line cut by a kill is ignored.
        return text.split("\n")[:-1]

    def is_done(self, key: str) -> bool:
        return key in self.done

    def committed(self, key: str, host_path: str) -> bool:
        """Whether the commit of `key` happened before the crash: the path holds exactly
        the content recorded when it began."""
        sha = self.begun.get(key)
        return sha is not None and file_sha256(host_path) == sha

    def begin(self, key: str, sha: str) -> None:
        os.write(self._fd, f"begin {key} {sha}\n".encode())

    def finish(self, key: str) -> None:
        os.write(self._fd, f"done {key}\n".encode())
        self.done.add(key)

    def note(self, key: str, value: str) -> None:
        """A decision a rerun must repeat rather than recompute (`value`: one line)."""
        os.write(self._fd, f"note {key} {value}\n".encode())
        self.notes[key] = value

    def close(self) -> None:
        os.close(self._fd)


def file_sha256(host_path: str) -> str | None:
    h = hashlib.sha256()
    try:
        with open(host_path, "rb", buffering=0) as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    return h.hexdigest()
