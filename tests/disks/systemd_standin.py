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


_LOG = os.environ.get("IGNITE_STANDIN_LOG")


def _log(text: str) -> None:
    if _LOG:
        with open(_LOG, "a") as f:
            f.write(f"{time.monotonic():.3f} {threading.get_ident() % 10000} {text}\n")


class _Conn:
    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.serial = 0
        self.lock = threading.Lock()
        self.listening_since: float | None = None  # when it asked for signals (AddMatch)

    def send(self, msg) -> None:
        with self.lock:
            self.serial += 1
            self.sock.sendall(msg.serialise(serial=self.serial))


class SystemdStandIn:
    def __init__(self, socket_path: str, allowed: Callable[[str], bool]):
        self.socket_path = socket_path
        self.allowed = allowed
        self.started_units: list[str] = []
        self._conns: list[_Conn] = []
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
            for conn in self._conns:
                conn.sock.close()
        if os.path.exists(self.socket_path):
            os.unlink(self.socket_path)

    def _accept(self) -> None:
        while not self._stop:
            try:
                sock, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _auth(self, sock: socket.socket) -> bytes:
        buf = b""
        while True:
            chunk = sock.recv(4096)
            _log(f"auth got {chunk[:120]!r}")
            if not chunk:
                raise ConnectionError("closed during auth")
            buf += chunk
            while b"\r\n" in buf:
                line, buf = buf.split(b"\r\n", 1)
                line = line.lstrip(b"\0")
                if line.startswith(b"AUTH"):
                    if line.strip() == b"AUTH":
                        sock.sendall(b"REJECTED EXTERNAL\r\n")
                    else:
                        sock.sendall(b"OK " + uuid.uuid4().hex.encode() + b"\r\n")
                elif line.startswith(b"NEGOTIATE_UNIX_FD"):
                    sock.sendall(b"AGREE_UNIX_FD\r\n")
                elif line.startswith(b"BEGIN"):
                    return buf
                else:
                    sock.sendall(b"ERROR\r\n")

    def _serve(self, sock: socket.socket) -> None:
        try:
            rest = self._auth(sock)
        except (ConnectionError, OSError):
            sock.close()
            return
        conn = _Conn(sock)
        _log(f"conn {id(conn) % 10000} joined")
        with self._lock:
            self._conns.append(conn)
        parser = Parser()
        _log(f"conn {id(conn) % 10000} rest {len(rest)} bytes")
        parser.add_data(rest)
        try:
            while not self._stop:
                while (msg := parser.get_next_message()) is not None:
                    self._handle(conn, msg)
                data = sock.recv(65536)
                if not data:
                    _log(f"conn {id(conn) % 10000} eof")
                    break
                parser.add_data(data)
        except OSError as exc:
            _log(f"conn {id(conn) % 10000} oserror {exc!r}")
        except Exception as exc:
            _log(f"conn {id(conn) % 10000} broke: {exc!r}")
            raise
        finally:
            _log(f"conn {id(conn) % 10000} closed")
            with self._lock:
                self._conns = [c for c in self._conns if c is not conn]
            sock.close()

    def _handle(self, conn: _Conn, msg) -> None:
        if msg.header.message_type != MessageType.method_call:
            return
        member = msg.header.fields.get(HeaderFields.member)
        _log(f"conn {id(conn) % 10000} call {member} {msg.body}")
        if member != "StartUnit":
            conn.send(new_method_return(msg))
            if member == "AddMatch":
                conn.listening_since = time.monotonic()
            return
        unit = msg.body[0]
        self.started_units.append(unit)
        with self._lock:
            self._jobs += 1
            job_id = self._jobs
        job = f"/org/freedesktop/systemd1/job/{job_id}"
        conn.send(new_method_return(msg, "o", (job,)))
        threading.Thread(target=self._finish_job, args=(job_id, job, unit), daemon=True).start()

    def _listeners(self) -> list[_Conn]:
        """Connections that asked for signals a moment ago (their handler is registered
        right after AddMatch returns: a signal sent before would be dropped)."""
        now = time.monotonic()
        with self._lock:
            return [c for c in self._conns if c.listening_since is not None and now - c.listening_since > 0.1]

    def _finish_job(self, job_id: int, job: str, unit: str) -> None:
        ok = make_device_appear(unescape_unit(unit), self.allowed)
        signal = new_signal(MANAGER, "JobRemoved", "uoss", (job_id, job, unit, "done" if ok else "timeout"))
        deadline = time.monotonic() + 10
        while not self._listeners() and time.monotonic() < deadline and not self._stop:
            time.sleep(0.02)
        # once, and once more a little later (a repeated JobRemoved of a finished job is ignored)
        for delay in (0, 0.5):
            time.sleep(delay)
            for conn in self._listeners():
                _log(f"conn {id(conn) % 10000} JobRemoved {job_id} {unit} ok={ok}")
                try:
                    conn.send(signal)
                except OSError:
                    pass
