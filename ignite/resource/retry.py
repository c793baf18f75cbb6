"""Ignition's retry policy (200 ms doubling to a 5 s cap, no attempt limit) with full
jitter, so a fleet booting at once does not hammer one server in lockstep, bounded by
a deadline so that nothing waits forever unnoticed."""
from __future__ import annotations

import time

from ignite import record
from ignite.entropy import fraction
from ignite.errors import FetchError, redact_url
from ignite.log import get_logger
from ignite.resource.limits import RETRY_AFTER_MAX

log = get_logger("ignite.fetch")  # not logging: ~7 ms of every network fetch stage

TYPE_CHECKING = False  # not typing's: ~2 ms of every network fetch stage
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeVar

    T = TypeVar("T")


class Deadline:
    """A point in monotonic time, or none (wait forever, as upstream without httpTotal)."""

    def __init__(self, seconds: float | None):
        self.seconds = seconds
        self.at = None if seconds is None else time.monotonic() + seconds

    def remaining(self) -> float | None:
        return None if self.at is None else max(0.0, self.at - time.monotonic())

    def expired(self) -> bool:
        return self.at is not None and time.monotonic() >= self.at

    def cap(self, timeout: float | None) -> float | None:
        """`timeout`, shortened to what is left of the deadline."""
        left = self.remaining()
        if left is None:
            return timeout
        left = max(left, 0.001)  # a zero socket timeout would mean non-blocking
        return left if timeout is None else min(timeout, left)


class Retryable(Exception):
    """Raised by an attempt that may succeed if tried again; wraps the FetchError to
    report if the deadline ends the retries, and an optional server-requested delay.
    `cut_short`: the deadline itself ended the attempt; the cause worth reporting is then
    the previous attempt's, if there was one."""

    def __init__(self, error: FetchError, retry_after: float | None = None, *, cut_short: bool = False):
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after
        self.cut_short = cut_short


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After: delay-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)  # inf for absurdly many digits: the caller caps it
    import email.utils

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def with_retries(
    attempt: Callable[[Deadline], T],
    url: str,
    deadline: Deadline,
    *,
    initial: float = 0.2,
    cap: float = 5.0,
    max_attempts: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Calls `attempt(deadline)` until it returns; on Retryable waits a full-jitter
    backoff (or the server's Retry-After, if longer) and tries again."""
    ceiling = initial
    number = 0
    previous: FetchError | None = None
    while True:
        number += 1
        record.note_attempt(url)
        if number > 1 and deadline.expired():  # the last wait ended past it (a busy machine)
            assert previous is not None  # set by the attempt that failed before the wait
            raise _out_of_time(previous, deadline, number - 1, "")
        try:
            return attempt(deadline)
        except Retryable as failure:
            error = previous if failure.cut_short and previous is not None else failure.error
            previous = error
            if max_attempts is not None and number >= max_attempts:
                raise FetchError(error.url, error.kind, f"{error.detail} (gave up after {number} attempts)") from None
            delay = fraction() * ceiling
            left = deadline.remaining()
            asked = ""
            if failure.retry_after is not None:
                # Never past the deadline; without one, not past RETRY_AFTER_MAX either.
                delay = max(delay, min(failure.retry_after, RETRY_AFTER_MAX if left is None else left))
                if failure.retry_after > delay:
                    asked = f"; the server asked to retry after {failure.retry_after:g} s"
            if left is not None and delay >= left:
                raise _out_of_time(error, deadline, number, asked) from None
            log.warning(
                "fetch %s failed (attempt %d): %s: %s; retrying in %.2f s",
                redact_url(url), number, error.kind, error.detail, delay,
            )
            sleep(delay)
            ceiling = min(cap, ceiling * 2)


def _out_of_time(error: FetchError, deadline: Deadline, attempts: int, asked: str) -> FetchError:
    """The deadline's error, naming the last attempt's cause."""
    return FetchError(
        error.url,
        "timeout",
        f"unable to fetch resource in time ({deadline.seconds:g} s, {attempts} attempts); last error: "
        f"{error.kind}: {error.detail}{asked}",
    )
