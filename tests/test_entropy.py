"""ignite.entropy: random names and jitter that never wait for the kernel's pool, on every
kernel (test_entropy_at_boot.py checks the stages use nothing else)."""
from __future__ import annotations

import errno
import os

import pytest

from ignite import entropy


def test_asks_for_insecure_bytes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    flags: list[int] = []
    real = os.getrandom

    def getrandom(count: int, flag: int = 0) -> bytes:
        flags.append(flag)
        return real(count, flag)

    monkeypatch.setattr(os, "getrandom", getrandom)
    assert len(entropy.random_hex(8)) == 16 and len(entropy.random_hex(4)) == 8
    assert flags == [entropy.GRND_INSECURE, entropy.GRND_INSECURE]


def test_older_kernels_and_a_pool_not_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before Linux 5.6 (EINVAL for GRND_INSECURE): non-blocking; when that says the pool
    is not ready (EAGAIN): names that still differ, never a wait."""
    def old_kernel(count: int, flag: int = 0) -> bytes:
        if flag & entropy.GRND_INSECURE:
            raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
        assert flag == os.GRND_NONBLOCK
        return b"\x01" * count

    monkeypatch.setattr(os, "getrandom", old_kernel)
    assert entropy.random_hex(4) == "01010101"

    def not_ready(count: int, flag: int = 0) -> bytes:
        if flag & entropy.GRND_INSECURE:
            raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
        raise BlockingIOError(errno.EAGAIN, os.strerror(errno.EAGAIN))

    monkeypatch.setattr(os, "getrandom", not_ready)
    names = {entropy.random_hex() for _ in range(1000)}
    assert len(names) == 1000 and all(len(name) == 16 for name in names)


def test_jitter_and_picks_stay_in_range() -> None:
    fractions = [entropy.fraction() for _ in range(2000)]
    assert all(0 <= f < 1 for f in fractions) and max(fractions) > 0.9 and min(fractions) < 0.1
    picks = {entropy.below(10) for _ in range(500)}
    assert picks == set(range(10))
