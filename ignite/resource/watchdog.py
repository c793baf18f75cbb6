"""Deadlines that hold while a thread waits on a socket.

A socket timeout bounds one recv only: a server that trickles a byte every few seconds
never trips it, so the header timeout and the fetch deadline would be checked only
between reads. A watchdog shuts the watched socket down when the deadline of the current
phase passes: the blocked recv returns at once, the reader fails, and `fired` tells it
which deadline ended the wait. One clock thread serves every watchdog of the process
(a thread per request would cost more than a small fetch)."""
from __future__ import annotations

import heapq
import itertools
import os
import socket
import threading
import time


class Watchdog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._armed: tuple[int, str] | None = None  # (ticket, reason) of the pending deadline
        self.fired: str | None = None  # the reason given to `arm`, once its deadline passed

    def watch(self, sock: socket.socket | None) -> None:
        """The socket the next waits are on (the connection's, once it is open)."""
        with self._lock:
            self._sock = sock
            if self.fired is not None and sock is not None:
                _shut(sock)

    def arm(self, at: float | None, reason: str) -> None:
        """Shut the watched socket down at monotonic time `at` (None: never); replaces
        the deadline armed before."""
        with self._lock:
            self.fired = None
            self._armed = None
            if at is not None:
                ticket = _CLOCK.schedule(at, self)
                self._armed = (ticket, reason)

    def disarm(self) -> None:
        with self._lock:
            self._armed = None
            self._sock = None

    def _fire(self, ticket: int) -> None:
        with self._lock:
            if self._armed is None or self._armed[0] != ticket:
                return  # re-armed or disarmed meanwhile
            self.fired = self._armed[1]
            self._armed = None
            if self._sock is not None:
                _shut(self._sock)


class _Clock:
    """A heap of (time, ticket, watchdog) and the daemon thread that fires them."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Watchdog]] = []
        self._tickets = itertools.count()
        self._thread: threading.Thread | None = None

    def schedule(self, at: float, watchdog: Watchdog) -> int:
        with self._cond:
            ticket = next(self._tickets)
            heapq.heappush(self._heap, (at, ticket, watchdog))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="ignite-fetch-clock", daemon=True)
                self._thread.start()
            self._cond.notify()
            return ticket

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    self._cond.wait(None if not self._heap else self._heap[0][0] - time.monotonic())
                _, ticket, watchdog = heapq.heappop(self._heap)
            watchdog._fire(ticket)  # outside the clock's lock: it takes the watchdog's


_CLOCK = _Clock()


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
