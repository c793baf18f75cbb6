"""Deadlines that hold while a thread waits on a socket.

A socket timeout bounds one recv only: a server that trickles a byte every few seconds
never trips it, so the header timeout and the fetch deadline would be checked only
between reads. The watchdog is a timer that, when the deadline of the current phase
passes, shuts the watched socket down: the blocked recv returns at once, the reader
fails, and `fired` tells it which deadline ended the wait."""
from __future__ import annotations

import os
import socket
import threading
import time


class Watchdog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._timer: threading.Timer | None = None
        self.fired: str | None = None  # the reason given to `arm`, once the deadline passed

    def watch(self, sock: socket.socket | None) -> None:
        """The socket the next waits are on (the connection's, once it is open)."""
        with self._lock:
            self._sock = sock
            if self.fired is not None and sock is not None:
                _shut(sock)

    def arm(self, at: float | None, reason: str) -> None:
        """Shut the watched socket down at monotonic time `at` (None: never)."""
        with self._lock:
            self._cancel()
            self.fired = None
            if at is None:
                return
            timer = threading.Timer(max(0.0, at - time.monotonic()), self._fire, args=(reason,))
            timer.daemon = True
            self._timer = timer
            timer.start()

    def disarm(self) -> None:
        with self._lock:
            self._cancel()
            self._sock = None

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _fire(self, reason: str) -> None:
        with self._lock:
            if self._timer is None or threading.current_thread() is not self._timer:
                return  # re-armed or disarmed meanwhile
            self._timer = None
            self.fired = reason
            if self._sock is not None:
                _shut(self._sock)


def _shut(sock: socket.socket) -> None:
    """shutdown(2) through a duplicate descriptor: it acts on the socket that every
    descriptor shares, without touching the (TLS) socket object another thread is in."""
    try:
        fd = sock.fileno()
        if fd < 0:
            return
        with socket.socket(fileno=os.dup(fd)) as dup:
            dup.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed: nothing is waiting on it
