#!/usr/bin/env python3
"""A 1 GiB resource over loopback HTTP with sha512 verification: ignite's fetch against
`curl -s URL | sha512sum` in the same run, both reading from the same local server.

Targets (issue 3): ignite's peak RSS under 64 MiB and at least 0.9x curl's throughput.
ignite runs as its own process (as a stage does at boot) writing to /dev/null; its peak
RSS is the child's ru_maxrss.

Usage: bench/fetch_bench.py [--size-mib N] [--repeat N]
"""
from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import REPO
from common import VENV_PY as PY

SERVER = r"""
import os, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
PATH = sys.argv[1]
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        size = os.path.getsize(PATH)
        self.send_response(200)
        self.send_header("Content-Length", str(size))
        self.end_headers()
        with open(PATH, "rb") as f:
            self.connection.sendfile(f)
s = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
"""

CLIENT = r"""
import sys
from ignite.config.model import Resource, Verification
from ignite.resource import fetch
with open("/dev/null", "wb") as out:
    fetch(Resource(source=sys.argv[1], verification=Verification(sys.argv[2])), out)
"""


def make_payload(path: Path, size_mib: int) -> str:
    block = os.urandom(16 << 20)
    digest = hashlib.sha512()
    with path.open("wb") as f:
        written = 0
        while written < size_mib << 20:
            chunk = block[: min(len(block), (size_mib << 20) - written)]
            f.write(chunk)
            digest.update(chunk)
            written += len(chunk)
    return "sha512-" + digest.hexdigest()


def timed_curl(url: str, expected: str) -> float:
    started = time.perf_counter()
    curl = subprocess.Popen(["curl", "-s", url], stdout=subprocess.PIPE)
    summer = subprocess.run(["sha512sum"], stdin=curl.stdout, capture_output=True, text=True, check=True)
    curl.stdout.close()  # type: ignore[union-attr]
    if curl.wait() != 0:
        raise RuntimeError("curl failed")
    elapsed = time.perf_counter() - started
    if "sha512-" + summer.stdout.split()[0] != expected:
        raise RuntimeError("curl | sha512sum: wrong digest")
    return elapsed


def timed_ignite(url: str, expected: str) -> tuple[float, int]:
    """(seconds, peak RSS in KiB) of one fetch in its own process."""
    started = time.perf_counter()
    proc = subprocess.Popen([PY, "-c", CLIENT, url, expected], cwd=REPO)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"ignite fetch failed ({proc.returncode})")
    return elapsed, usage.ru_maxrss


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    try:
        subprocess.run(["curl", "--version"], capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        print("curl is not installed: cannot compare (apt-get install curl)")
        return 1
    with tempfile.TemporaryDirectory(prefix="ignite-fetch-bench-") as tmp:
        payload = Path(tmp) / "payload.bin"
        expected = make_payload(payload, args.size_mib)
        server = subprocess.Popen([PY, "-c", SERVER, str(payload)], stdout=subprocess.PIPE, text=True)
        try:
            port = int(server.stdout.readline())  # type: ignore[union-attr]
            url = f"http://127.0.0.1:{port}/payload.bin"
            timed_curl(url, expected)  # warm the page cache and the server
            curl_times, ignite_times, rss = [], [], []
            for _ in range(args.repeat):
                curl_times.append(timed_curl(url, expected))
                seconds, peak = timed_ignite(url, expected)
                ignite_times.append(seconds)
                rss.append(peak)
        finally:
            server.terminate()
            server.wait()
    mib = args.size_mib
    curl_rate = mib / min(curl_times)
    ignite_rate = mib / min(ignite_times)
    ratio = ignite_rate / curl_rate
    peak_mib = max(rss) / 1024
    print(f"payload: {mib} MiB over loopback HTTP, sha512, best of {args.repeat}")
    print(f"curl -s | sha512sum : {curl_rate:8.1f} MiB/s  (runs: {', '.join(f'{t:.2f}s' for t in curl_times)})")
    print(f"ignite fetch        : {ignite_rate:8.1f} MiB/s  (runs: {', '.join(f'{t:.2f}s' for t in ignite_times)})")
    print(f"throughput ratio    : {ratio:.2f}x curl   (target >= 0.90)  {'PASS' if ratio >= 0.9 else 'FAIL'}")
    print(f"ignite peak RSS     : {peak_mib:.1f} MiB   (target < 64)     {'PASS' if peak_mib < 64 else 'FAIL'}")
    return 0 if ratio >= 0.9 and peak_mib < 64 else 1


if __name__ == "__main__":
    sys.exit(main())
