"""The stages never make the kernel wait for its random pool. At boot it is often not
initialised yet, and then a read of /dev/urandom, or getrandom(2) without GRND_INSECURE,
makes Linux generate entropy from CPU jitter until it is: about a second of CPU under TCG,
which the first interpreter of every ignite boot used to pay (docs/boot.md). Each stage
runs here as its unit starts it (python -PsS, the generator's PYTHONHASHSEED) under
strace, with real work: a config merged from a data: URL, a config over http that first
answers 503 (a retry, with its jitter), and a files stage with users, files and units."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from answer_server import serving
from entropy_probe import LAUNCHER, ignite_traced, waits_for_entropy
from ignite.config import codec

sys.path.insert(0, str(Path(__file__).parent))  # the import contracts' configs and roots
from test_fetch_imports import CONFIG, stage_argv, write_source
from test_files_imports import config as files_config


def test_the_check_sees_what_waits(tmp_path: Path) -> None:
    """Without the seed, the interpreter's own start asks in a way that waits at boot; so
    do os.urandom and the seeding of random and tempfile."""
    code = f"import os, random, tempfile; os.urandom(8); tempfile.mkdtemp(dir={str(tmp_path)!r})"
    log = tmp_path / "strace.log"
    subprocess.run(["strace", "-f", "-qq", "-s", "0", "-e", "trace=getrandom,open,openat", "-o", str(log),
                    sys.executable, *LAUNCHER, "-c", code], check=True, timeout=60,
                   env={k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"})
    bad = waits_for_entropy(log.read_text().splitlines())
    sizes = sorted(int(m.group(1)) for line in bad if (m := re.search(r", (\d+), ", line)))
    assert 24 in sizes and 8 in sizes and 2496 in sizes, bad  # hash seed, os.urandom, random's seeding


@pytest.mark.parametrize("from_url", [False, True])
def test_fetch_offline(tmp_path: Path, from_url: bool) -> None:
    write_source(tmp_path, CONFIG, from_url)
    done, lines = ignite_traced(tmp_path / "strace.log", stage_argv(tmp_path, "fetch-offline"))
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "run/cache.json").read_text())["passwd"]["users"][0]["name"] == "core"
    assert waits_for_entropy(lines) == []


def test_fetch_over_http_with_a_retry(tmp_path: Path) -> None:
    with serving() as server:
        url = server.add("/config.ign", json.dumps(CONFIG).encode())
        server.unavailable["/config.ign"] = 1
        (tmp_path / "cmdline").write_text(f"ignition.platform.id=metal ignition.config.url={url}\n")
        argv = stage_argv(tmp_path, "fetch")
        argv[argv.index("file")] = "metal"
        done, lines = ignite_traced(tmp_path / "strace.log", argv)
    assert done.returncode == 0, done.stderr
    assert len(server.requests) == 2  # the retry happened
    assert waits_for_entropy(lines) == []


def test_files_with_users(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("useradd --root needs root")
    root = tmp_path / "root"
    (root / "home").mkdir(parents=True)
    for name, text in {"passwd": "root:x:0:0:root:/root:/bin/sh\n", "group": "root:x:0:\n",
                       "shadow": "root:*:19000:0:99999:7:::\n", "gshadow": "root:*::\n"}.items():
        (root / "etc" / name).parent.mkdir(exist_ok=True)
        (root / "etc" / name).write_text(text)
    (tmp_path / "cache.json").write_text(json.dumps(codec.to_json(codec.config_from_json(files_config(True)))))
    done, lines = ignite_traced(tmp_path / "strace.log", [
        "run", "--stage", "files", "--platform", "file", "--root", str(tmp_path / "root"),
        "--config-cache", str(tmp_path / "cache.json"), "--state-file", str(tmp_path / "run/state")])
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "root/srv/d/f2").read_text() == "file 2"
    assert waits_for_entropy(lines) == []
