"""A stand-in for the corner of systemd's D-Bus API that Ignition 2.14's disks stage uses,
so that Debian's `ignition` can serve as the oracle of the disks tests on machines
without systemd as PID 1.

Ignition dials systemd's private socket (`/run/systemd/private`, peer to peer, SASL
EXTERNAL, no bus daemon), calls `Manager.StartUnit("<escaped device path>.device",
"replace")` for every device it needs and waits for `JobRemoved(…, "done")`. Here,
"starting" a device unit means what the kernel and systemd would do on a real machine:
if the node of a partition of a test loop device is missing, tell the kernel with partx
(this kernel parses no tables itself), then wait until the node (or udev's link) exists.
Every other method call gets an empty reply.
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable

from jeepney import DBusAddress, new_method_return, new_signal
from jeepney.low_level import HeaderFields, MessageType, Parser

MANAGER = DBusAddress("/org/freedesktop/systemd1", interface="org.freedesktop.systemd1.Manager")


def unescape_unit(unit: str) -> str:
    """`dev-disk-by\\x2dpartlabel-root.device` → `/dev/disk/by-partlabel/root`."""
    name = unit.rsplit(".", 1)[0]
    path = "/" + name.replace("-", "/")
    return re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), path)


def make_device_appear(path: str, allowed: Callable[[str], bool], timeout: float = 20.0) -> bool:
    """partx for a missing partition of an allowed loop device; then wait for `path`."""
    deadline = time.monotonic() + timeout
    told = False
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return True
        m = re.fullmatch(r"(/dev/loop\d+)p(\d+)", os.path.realpath(path) if os.path.islink(path) else path)
        if m and not told and allowed(m.group(1)):
            subprocess.run(["partx", "--add", "--nr", m.group(2), m.group(1)], capture_output=True)
            told = True
        elif not m and not told:
            # a by-* link: make the kernel know every partition of every allowed disk
            for disk in _allowed_disks(allowed):
                subprocess.run(["partx", "--add", disk], capture_output=True)
            told = True
        time.sleep(0.05)
    return os.path.exists(path)


def _allowed_disks(allowed: Callable[[str], bool]) -> list[str]:
    return [f"/dev/{d}" for d in os.listdir("/sys/class/block") if re.fullmatch(r"loop\d+", d) and allowed(f"/dev/{d}")]


class SystemdStandIn:
    def __init__(self, socket_path: str, allowed: Callable[[str], bool]):
        self.socket_path = socket_path
        self.allowed = allowed
        self.started_units: list[str] = []
        self._conns: list[tuple[socket.socket, list[int]]] = []
        self._lock = threading.Lock()
        self._stop = False
        self._jobs = 0
        os.makedirs(os.path.dirname(socket_path), exist_ok=True)
        if os.path.exists(socket_path):
            os.unlink(socket_path)
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(socket_path)
        self.server.listen(8)
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self._stop = True
        self.server.close()
        with self._lock:
            for conn, _ in self._conns:
                conn.close()
        if os.path.exists(self.socket_path):
            os.unlink(self.socket_path)

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _send(self, conn: socket.socket, serial: list[int], msg) -> None:
        with self._lock:
            serial[0] += 1
            conn.sendall(msg.serialise(serial=serial[0]))

    def _auth(self, conn: socket.socket) -> bytes:
        buf = b""
        while True:
            chunk = conn.recv(4096)
            if not chunk:
                raise ConnectionError("closed during auth")
            buf += chunk
            while b"\r\n" in buf:
                line, buf = buf.split(b"\r\n", 1)
                line = line.lstrip(b"\0")
                if line.startswith(b"AUTH"):
                    if line.strip() == b"AUTH":
                        conn.sendall(b"REJECTED EXTERNAL\r\n")
                    else:
                        conn.sendall(b"OK " + uuid.uuid4().hex.encode() + b"\r\n")
                elif line.startswith(b"NEGOTIATE_UNIX_FD"):
                    conn.sendall(b"AGREE_UNIX_FD\r\n")
                elif line.startswith(b"BEGIN"):
                    return buf
                else:
                    conn.sendall(b"ERROR\r\n")

    def _serve(self, conn: socket.socket) -> None:
        serial = [0]
        try:
            rest = self._auth(conn)
        except (ConnectionError, OSError):
            conn.close()
            return
        with self._lock:
            self._conns.append((conn, serial))
        parser = Parser()
        parser.add_data(rest)
        try:
            while not self._stop:
                while (msg := parser.get_next_message()) is not None:
                    self._handle(conn, serial, msg)
                data = conn.recv(65536)
                if not data:
                    break
                parser.add_data(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._conns = [c for c in self._conns if c[0] is not conn]
            conn.close()

    def _handle(self, conn: socket.socket, serial: list[int], msg) -> None:
        if msg.header.message_type != MessageType.method_call:
            return
        member = msg.header.fields.get(HeaderFields.member)
        if member != "StartUnit":
            self._send(conn, serial, new_method_return(msg))
            return
        unit = msg.body[0]
        self.started_units.append(unit)
        with self._lock:
            self._jobs += 1
            job_id = self._jobs
        job = f"/org/freedesktop/systemd1/job/{job_id}"
        self._send(conn, serial, new_method_return(msg, "o", (job,)))
        threading.Thread(target=self._finish_job, args=(job_id, job, unit), daemon=True).start()

    def _finish_job(self, job_id: int, job: str, unit: str) -> None:
        ok = make_device_appear(unescape_unit(unit), self.allowed)
        signal = new_signal(MANAGER, "JobRemoved", "uoss", (job_id, job, unit, "done" if ok else "timeout"))
        with self._lock:
            conns = list(self._conns)
        for conn, serial in conns:
            try:
                self._send(conn, serial, signal)
            except OSError:
                pass
