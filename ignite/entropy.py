"""Randomness that never waits for the kernel's random pool: temporary names and retry
jitter, which need names nobody guesses and spread, not secrets.

In the initramfs the kernel's random generator is often not initialised yet (no RDRAND, no
virtio-rng, few interrupts). Then `os.urandom` (a getrandom that may block: Linux ≥ 5.4),
a read of /dev/urandom (≥ 5.18), and so the seeding of `random` and `tempfile`, make the
kernel generate entropy from CPU timing jitter until the pool is ready: about a second of
CPU at boot, under QEMU's TCG (docs/boot.md). Ignition's
stages do not pay it; neither do ignite's. What needs real secrets (LUKS keys) still takes
them from `secrets`, and waits when it must.

Used by every stage, so it imports nothing but os.
"""
from __future__ import annotations

import os

# getrandom(2)'s flag (Linux ≥ 5.6, not in Python's os before 3.14): the kernel's best
# bytes now, never a wait and never the jitter loop.
GRND_INSECURE = 0x0004

_fallback_count = 0


def random_bytes(count: int) -> bytes:
    """`count` random bytes now. On kernels without GRND_INSECURE: getrandom's non-blocking
    mode, and when the pool is not ready, bytes from the process id, the clock and a counter
    (callers create with O_EXCL, so a name only has to differ)."""
    try:
        return os.getrandom(count, GRND_INSECURE)
    except OSError:  # EINVAL: a kernel older than 5.6
        pass
    try:
        return os.getrandom(count, os.GRND_NONBLOCK)
    except OSError:  # EAGAIN: not initialised yet
        import time

        global _fallback_count
        _fallback_count += 1
        seed = (os.getpid() << 96) ^ (time.monotonic_ns() << 16) ^ _fallback_count
        return (seed % (1 << (8 * count))).to_bytes(count, "big")


def random_hex(count: int = 8) -> str:
    """`count` random bytes as hex, for a temporary file or directory name."""
    return random_bytes(count).hex()


def fraction() -> float:
    """A number in [0, 1), for jitter."""
    return int.from_bytes(random_bytes(7), "big") / (1 << 56)


def below(high: int) -> int:
    """A whole number in [0, high), for a retry's pick (high well below 2**32)."""
    return int.from_bytes(random_bytes(4), "big") % high
