"""A files stage with real work (users, units, files with data: contents) imports neither
typing, dataclasses nor logging (together ~20 ms of every first boot's files stage, which
bench/files_bench.py compares with Ignition 2.14's), nor subprocess and what it brings
(threading, selectors, signal, locale: ~6 ms; the runner spawns with os.posix_spawn),
contextlib, hashlib (OpenSSL: ~2 ms; Python's own sha256 does), datetime (the time
module writes the dates), the ctypes package (~2.5 ms: syncfs goes through _ctypes,
ignite.system.libc), nor re with enum and functools (~7 ms; json's package loads it:
ignite.jsonio reads and writes JSON through _json), pathlib with urllib.parse and
ipaddress (~10 ms), shlex, base64 or the collections package (~1.5 ms; the
annotations' collections.abc names are imported for type checkers only). (The no-op
stages' contract is in test_startup.py.)"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ignite.config import codec
from import_probe import modules_loaded_by

REPO = Path(__file__).resolve().parents[2]

HEAVY = ("typing", "dataclasses", "logging", "inspect", "ast", "subprocess", "threading", "selectors", "signal",
         "locale", "contextlib", "hashlib", "_hashlib", "datetime", "ctypes", "re", "enum", "functools", "json",
         "pathlib", "urllib.parse", "ipaddress", "shlex", "base64", "collections", "importlib", "warnings")


def config(with_users: bool) -> dict:
    cfg: dict = {
        "ignition": {"version": "3.4.0"},
        "storage": {"directories": [{"path": "/srv/d", "mode": 0o755}],
                    "files": [{"path": f"/srv/d/f{i}", "mode": 0o644, "contents": {"source": f"data:,file%20{i}"}}
                              for i in range(3)],
                    "links": [{"path": "/srv/l", "target": "d/f0"}]},
        "systemd": {"units": [{"name": "a.service", "enabled": True,
                               "contents": "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n"}]},
    }
    if with_users:
        cfg["passwd"] = {"users": [{"name": "core", "sshAuthorizedKeys": ["ssh-ed25519 AAAA core"]}]}
    return cfg


def run_files(tmp_path: Path, cfg: dict) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    root = tmp_path / "root"
    (root / "etc/selinux").mkdir(parents=True)
    (root / "etc/selinux/config").write_text("SELINUX=disabled\n")
    for name, text in {"passwd": "root:x:0:0:root:/root:/bin/sh\n", "group": "root:x:0:\n",
                       "shadow": "root:*:19000:0:99999:7:::\n", "gshadow": "root:*::\n"}.items():
        (root / "etc" / name).write_text(text)
    (root / "home").mkdir()
    cache = tmp_path / "cache.json"
    cache.write_text(json.dumps(codec.to_json(codec.config_from_json(cfg))))
    argv = ["run", "--stage", "files", "--platform", "file", "--root", str(root), "--config-cache", str(cache),
            "--state-file", str(tmp_path / "run/state")]
    return modules_loaded_by(argv)


@pytest.mark.parametrize("with_users", [False, True])
def test_a_files_stage_with_work_imports_nothing_heavy(tmp_path: Path, with_users: bool) -> None:
    if with_users and os.geteuid() != 0:
        pytest.skip("useradd --root needs root")
    done, modules = run_files(tmp_path, config(with_users))
    assert done.returncode == 0 and done.stdout.endswith("\n0"), done.stderr
    assert (tmp_path / "root/srv/d/f2").read_text() == "file 2"  # the work was done
    assert (tmp_path / "root/etc/systemd/system/a.service").exists()
    assert {"ignite.stages.files_units", "ignite.resource.pipeline"} <= modules
    assert with_users == ("ignite.stages.files_users" in modules)
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))



def test_syncfs_and_umount2_go_through_libc_without_the_ctypes_package(tmp_path: Path) -> None:
    """The files stage's syncfs and the umount stage's umount2: their errors as before
    (errno, strerror, the path), and the ctypes package never loaded."""
    code = (
        "import sys\n"
        "from ignite.errors import DeviceError\n"
        "from ignite.system import libc, mounts\n"
        f"mounts.sync_filesystems([{str(tmp_path)!r}])\n"
        "try:\n"
        f"    mounts.umount({str(tmp_path / 'absent')!r})\n"
        "except DeviceError as exc:\n"
        "    print(exc)\n"
        "try:\n"
        "    libc.check(libc.function('syncfs')(987654), 'there')\n"
        "except OSError as exc:\n"
        "    print(exc.errno, exc.strerror, exc.filename)\n"
        "try:\n"
        "    libc.function('no_such_function_in_libc')\n"
        "except OSError:\n"
        "    print('missing')\n"
        "print('ctypes' in sys.modules, 'struct' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"{tmp_path / 'absent'}: umount failed: No such file or directory",
        "9 Bad file descriptor there", "missing", "False False"]


def test_sha256_is_the_same_from_either_module() -> None:
    """record.new_sha256: Python's own sha256 below SMALL_HASH_BYTES, OpenSSL's from there."""
    import hashlib

    from ignite import record

    for size in (0, 5, record.SMALL_HASH_BYTES - 1, record.SMALL_HASH_BYTES, record.SMALL_HASH_BYTES + 7):
        data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
        assert record.new_sha256(data).hexdigest() == hashlib.sha256(data).hexdigest()
        assert record.sha256_hex(data) == hashlib.sha256(data).hexdigest()
