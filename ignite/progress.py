"""Live progress for the long parts of a first boot: downloads, waits for devices, and long
mkfs/cryptsetup/mdadm runs. On a TTY a download's line is updated in place; otherwise (the
journal) a line at a time, every PROGRESS_INTERVAL seconds. Nothing is said about work that
ends before FIRST_AFTER seconds: a quick boot stays quiet.
"""
from __future__ import annotations

import sys
import time

TYPE_CHECKING = False  # not typing's, nor collections': this module is on a boot stage's start-up path
if TYPE_CHECKING:
    from collections.abc import Callable

    Clock = Callable[[], float]
    Say = Callable[..., None]

PROGRESS_INTERVAL = 5.0  # seconds between lines
FIRST_AFTER = 2.0  # seconds before the first line


def _say(text: str, *, in_place: bool = False) -> None:
    stream = sys.stderr
    if stream.isatty():  # a line after one updated in place replaces it
        stream.write(f"\r\033[Kignite: {text}" + ("" if in_place else "\n"))
    else:
        stream.write(f"ignite: {text}\n")
    stream.flush()


class Meter:
    """Bytes of a download: `update(n)` per chunk, `done()` at the end."""

    def __init__(self, what: str, total: int | None = None, *, interval: float | None = None,
                 first_after: float | None = None, clock: Clock = time.monotonic, say: Say | None = None) -> None:
        self.what = what
        self.total = total
        self.size = 0
        self.clock = clock
        self.say = say or _say
        self.started = clock()
        self.next_at = self.started + (FIRST_AFTER if first_after is None else first_after)
        self.interval = PROGRESS_INTERVAL if interval is None else interval
        self.spoke = False

    def update(self, n: int) -> None:
        self.size += n
        now = self.clock()
        if now >= self.next_at:
            self.next_at = now + self.interval
            self.spoke = True
            self.say(self.line(now), in_place=True)

    def done(self) -> None:
        if self.spoke:
            now = self.clock()
            took = now - self.started
            self.say(f"fetched {self.what}: {size(self.size)} in {took:.1f} s ({size(self.size / max(took, 1e-6))}/s)")

    def line(self, now: float) -> str:
        took = max(now - self.started, 1e-6)
        rate = self.size / took
        if self.total:
            left = (self.total - self.size) / rate if rate > 0 else None
            eta = f", {left:.0f} s left" if left is not None else ""
            return (f"fetching {self.what}: {size(self.size)} of {size(self.total)} "
                    f"({100 * self.size // self.total}%), {size(rate)}/s{eta}")
        return f"fetching {self.what}: {size(self.size)}, {size(rate)}/s"


class Waiting:
    """A wait with a limit: `tick()` in the waiting loop says "waiting for X: 12 s of 90"."""

    def __init__(self, what: str, limit: float, *, interval: float | None = None,
                 first_after: float | None = None, clock: Clock = time.monotonic, say: Say | None = None) -> None:
        self.what = what
        self.limit = limit
        self.clock = clock
        self.say = say or _say
        self.started = clock()
        self.next_at = self.started + (FIRST_AFTER if first_after is None else first_after)
        self.interval = PROGRESS_INTERVAL if interval is None else interval

    def tick(self) -> None:
        now = self.clock()
        if now >= self.next_at:
            self.next_at = now + self.interval
            self.say(f"waiting for {self.what}: {now - self.started:.0f} s of {self.limit:g}")


def still_running(command: str, seconds: float) -> None:
    _say(f"still running: {command} ({seconds:.0f} s)")


# Expected sizes that a scheme's reader learned (Content-Length), for the download meter.
_expected: dict[str, int] = {}


def expect(url: str, total: int | None) -> None:
    if total is not None and total >= 0:
        _expected[url] = total


def expected(url: str) -> int | None:
    return _expected.pop(url, None)


def size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"
