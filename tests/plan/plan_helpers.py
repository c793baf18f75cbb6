"""Running `ignite plan` as a user would, and proving it changed nothing."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def ignite_plan(*args: str, user: int | None = None) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "ignite", "plan", *args]
    if user is not None:
        argv = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *argv]
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})


def plan_json(*args: str) -> dict[str, Any]:
    done = ignite_plan(*args, "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def tree(root: Path) -> dict[str, tuple[Any, ...]]:
    """Every path below `root` with its type, mode, owner, mtime and content hash."""
    found: dict[str, tuple[Any, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            st = path.lstat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() and not path.is_symlink() else (
                os.readlink(path) if path.is_symlink() else None)
            found[str(path.relative_to(root))] = (st.st_mode, st.st_uid, st.st_gid, st.st_mtime_ns, st.st_size, digest)
    return found


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_config(path: Path, cfg: dict[str, Any]) -> Path:
    path.write_text(json.dumps(cfg))
    return path


def writes_of(dev: str) -> tuple[int, int]:
    """(writes completed, sectors written) of a block device, from /sys/class/block/NAME/stat."""
    fields = Path(f"/sys/class/block/{os.path.basename(dev)}/stat").read_text().split()
    return int(fields[4]), int(fields[6])
