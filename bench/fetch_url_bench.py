#!/usr/bin/env python3
"""The network fetch stage as shipped, its config from an http:// URL on 127.0.0.1 (what
fetch_stages_bench.py does not exercise: the file platform needs no HTTP), plus the
import time of ignite.resource.http (-X importtime, `-I -S` as at boot). With
--against DIR (another checkout, e.g. `git archive main | tar -x -C DIR`), the two trees
run interleaved and the figures are paired ratios. Both use this tree's venv.

Usage: .venv/bin/python bench/fetch_url_bench.py [--against DIR] [--repeat N]
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sysconfig
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from common import ENV, PYCACHE, REPO, TARGET_PY, VENV_PY, measure, print_busy_note

CONFIG = json.dumps({
    "ignition": {"version": "3.3.0"},
    "passwd": {"users": [{"name": "core", "sshAuthorizedKeys": ["ssh-ed25519 AAAA core"]}]},
    "storage": {"files": [{"path": "/etc/a", "mode": 0o644, "contents": {"source": "data:,hello"}}]},
}).encode()
PACKAGES = sysconfig.get_paths(vars={"base": str(Path(VENV_PY).parent.parent),
                                     "platbase": str(Path(VENV_PY).parent.parent)})["purelib"]


class Config(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.send_response(200)
        self.send_header("Content-Length", str(len(CONFIG)))
        self.end_headers()
        self.wfile.write(CONFIG)


def python(tree: Path, *options: str) -> list[str]:
    return [TARGET_PY, "-I", "-S", "-X", f"pycache_prefix={PYCACHE}", *options, "-c",
            f"import sys; sys.path[:0] = [{str(tree)!r}, {PACKAGES!r}]; "]


def import_ms(tree: Path) -> float:
    argv = python(tree, "-X", "importtime")
    argv[-1] += "import ignite.resource.http"
    err = subprocess.run(argv, capture_output=True, text=True, env=ENV, check=True).stderr
    return next(int(line.split("|")[1]) / 1000 for line in err.splitlines() if line.endswith(" ignite.resource.http"))


def stage_ms(tree: Path, top: Path) -> tuple[float, float]:
    run, root = top / "run", top / "root"
    for path in (run, root):
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir()
    argv = python(tree)
    argv[-1] += "from ignite.cli import main; sys.exit(main())"
    argv += ["run", "--stage", "fetch", "--platform", "file", "--config-cache", str(run / "cache.json"),
             "--state-file", str(run / "state"), "--neednet", str(run / "neednet"),
             "--cmdline", str(top / "cmdline"), "--root", str(root)]
    wall, cpu = measure(argv, ENV)
    if not (run / "cache.json").exists():
        raise SystemExit(f"{tree}: no config cache written")
    return wall, cpu


def spread(values: list[float], unit: str = " ms") -> str:
    return f"{statistics.median(values):6.2f}{unit} ({min(values):.2f}-{max(values):.2f})"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--against", type=Path, help="another checkout to compare with")
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()
    trees = {"this": REPO} | ({"against": args.against.resolve()} if args.against else {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), Config)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    top = Path(tempfile.mkdtemp(prefix="ignite-fetch-url-bench-"))
    figures: dict[str, dict[str, list[float]]] = {name: {"import": [], "wall": [], "cpu": []} for name in trees}
    try:
        (top / "cmdline").write_text(
            f"ignition.platform.id=file ignition.config.url=http://127.0.0.1:{server.server_address[1]}/c.ign\n")
        for i in range(args.repeat + 2):  # the first two rounds warm the caches, untimed
            for name in list(trees) if i % 2 == 0 else list(reversed(trees)):
                imported = import_ms(trees[name])
                wall, cpu = stage_ms(trees[name], top)
                if i >= 2:
                    for key, value in (("import", imported), ("wall", wall), ("cpu", cpu)):
                        figures[name][key].append(value)
    finally:
        server.shutdown()
        shutil.rmtree(top, ignore_errors=True)
    print(f"fetch stage, config from an http URL, {args.repeat} interleaved rounds:")
    for name, tree in trees.items():
        got = figures[name]
        print(f"  {name} ({tree}): import ignite.resource.http {spread(got['import'])}; "
              f"stage wall {spread(got['wall'])}, cpu {spread(got['cpu'])}")
    if args.against:
        for key in ("import", "cpu", "wall"):
            ratios = [a / b for a, b in zip(figures["this"][key], figures["against"][key], strict=True)]
            print(f"  this/against {key}: {spread(ratios, 'x')}")
    print_busy_note()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
