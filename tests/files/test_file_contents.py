"""File contents against Debian's ignition 2.14 (differential_helpers.py): sources (data:,
the empty source, remote over HTTP), gzip compression, sha256/sha512 verification, modes
and owners of files, special bits, parents created, paths through links in the root."""
from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any

import pytest
from differential_helpers import (
    GZ,
    Case,
    case_ids,
    files,
    mkdir,
    plain,
    put,
    same_tree_as_ignition,
    sha256,
    sha512,
    symlink,
)
from files_helpers import data

BIG = os.urandom(70_000)

CASES = [
    Case("file-default-mode", files({"path": "/etc/hello", "contents": {"source": plain("hi\n")}})),
    Case("file-mode-0600", files({"path": "/etc/secret", "mode": 0o600, "contents": {"source": data("s3cr3t")}})),
    Case("file-mode-owner-ids",
         files({"path": "/opt/tool", "mode": 0o755, "user": {"id": 1}, "group": {"id": 2},
                "contents": {"source": plain("#!/bin/sh\n")}})),
    Case("file-owner-names",
         files({"path": "/srv/by-name", "user": {"name": "daemon"}, "group": {"name": "adm"},
                "contents": {"source": plain("x")}})),
    Case("file-empty-no-contents", files({"path": "/var/empty-file"})),
    Case("file-empty-source", files({"path": "/var/empty-source", "contents": {"source": ""}})),
    Case("file-deep-parents", files({"path": "/a/b/c/d/e/f.txt", "contents": {"source": plain("deep")}})),
    Case("file-gzip-sha512",
         files({"path": "/etc/gz", "contents": {"source": data(GZ), "compression": "gzip",
                                                "verification": {"hash": sha512(b"compressed contents\n")}}})),
    Case("file-sha256",
         files({"path": "/etc/h256",
                "contents": {"source": plain("hashed"), "verification": {"hash": sha256(b"hashed")}}})),
    Case("file-hash-mismatch",
         files({"path": "/etc/bad",
                "contents": {"source": plain("hashed"), "verification": {"hash": sha256(b"other")}}}),
         fails=True),
    Case("existing-file-mode-owner-only", files({"path": "/etc/keep", "mode": 0o600, "user": {"name": "bin"}}),
         prep=(put("/etc/keep", "keep me\n", 0o644),)),
    Case("file-large",
         files({"path": "/usr/share/big.bin",
                "contents": {"source": data(BIG), "verification": {"hash": sha512(BIG)}}})),
    Case("file-through-absolute-symlink-dir",
         files({"path": "/etc/alt/conf", "contents": {"source": plain("via link")}}),
         prep=(mkdir("/real/dir"), symlink("/etc/alt", "/real/dir"))),
    Case("file-through-relative-symlink-dir",
         files({"path": "/etc/rel/conf", "contents": {"source": plain("via rel")}}),
         prep=(mkdir("/real/rdir"), symlink("/etc/rel", "../real/rdir"))),
    Case("file-through-climbing-link",
         files({"path": "/esc/outside", "contents": {"source": plain("stays inside")}}),
         prep=(symlink("/esc", "../../../../../.."),)),
    Case("file-special-bits-stripped",
         files({"path": "/usr/bin/suid", "mode": 0o4755, "contents": {"source": plain("x")}})),
    Case("spec-3.0.0",
         files({"path": "/etc/v30", "mode": 0o600,
                "contents": {"source": data(GZ), "compression": "gzip",
                             "verification": {"hash": sha512(b"compressed contents\n")}}},
               dirs=({"path": "/var/v30", "mode": 0o700},),
               links=({"path": "/etc/v30-link", "target": "v30"},),
               version="3.0.0")),
    Case("mixed-depth-ordering", files(
        {"path": "/o/p/q/file", "contents": {"source": plain("q")}},
        {"path": "/o/top", "contents": {"source": plain("t")}},
        dirs=({"path": "/o/p/q", "mode": 0o555}, {"path": "/o", "mode": 0o750}),
        links=({"path": "/o/p/ln", "target": "q/file"},))),
    Case("duplicate-via-symlink-fails", files({"path": "/etc/alt/dup", "contents": {"source": plain("1")}},
                                              {"path": "/real/dir/dup", "contents": {"source": plain("2")}}),
         prep=(mkdir("/real/dir"), symlink("/etc/alt", "/real/dir")), fails=True),
    Case("owner-unknown-user-fails", files({"path": "/etc/x", "user": {"name": "nosuchuser"}}), fails=True),
]


def _remote(served) -> dict[str, Any]:
    body = b"remote body\n" * 100
    gz = gzip.compress(b"remote gz\n", mtime=0)
    return files(
        {"path": "/etc/remote",
         "contents": {"source": served.add("/body", body), "verification": {"hash": sha512(body)}}},
        {"path": "/etc/remote-gz", "mode": 0o600, "contents": {"source": served.add("/gz", gz), "compression": "gzip",
                                                               "verification": {"hash": sha256(b"remote gz\n")}}},
        {"path": "/etc/remote-append", "contents": {"source": plain("head\n")},
         "append": [{"source": served.add("/tail", b"tail\n")}]},
    )


def _remote_bad(served) -> dict[str, Any]:
    return files({"path": "/etc/remote-bad",
                  "contents": {"source": served.add("/bad", b"tampered"),
                               "verification": {"hash": sha512(b"original")}}})


CASES.append(Case("remote-http-hashes-append", _remote))
CASES.append(Case("remote-http-hash-mismatch", _remote_bad, fails=True))


@pytest.mark.oracle
@pytest.mark.root
@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_same_tree_as_ignition(case: Case, work: Path, http_files) -> None:
    same_tree_as_ignition(case, work, http_files)
