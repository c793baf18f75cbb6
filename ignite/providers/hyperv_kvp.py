"""The Hyper-V KVP client: what hv_kvp_daemon does to receive the host's key-value pairs,
done by ignite itself on /dev/vmbus/hv_kvp (the hv_utils driver), as upstream.

The protocol: every message either way is one `struct hv_kvp_msg` of the kernel's uapi
(linux/hyperv.h), MSG_SIZE bytes. The client writes a REGISTER1 message; the kernel
echoes it, then sends one SET message per pair (header: operation, pool; then value
type, key size, value size, both sizes counting the final NUL, a 512-byte key and a
2048-byte value) and waits for an answer to each (a 32-bit HRESULT first: S_OK, or
E_FAIL for an operation a provisioning client does not handle). When nothing comes for
POLL_MS, the host has sent everything."""
from __future__ import annotations

import errno
import os
import select
import struct

KEY_SIZE, VALUE_SIZE = 512, 2048
MSG_SIZE = 7432  # sizeof(struct hv_kvp_msg): 4-byte header + its largest union member (the IP message)
OP_SET, OP_REGISTER1 = 1, 100
HV_S_OK, HV_E_FAIL = 0, 0x80004005
POOLS = 5
POLL_MS = 1000
_HEADER = struct.Struct("<BBH")
_VALUE = struct.Struct(f"<III{KEY_SIZE}s{VALUE_SIZE}s")

Pools = dict[int, list[tuple[str, str]]]


class KvpError(Exception):
    pass


def register_message() -> bytes:
    return _HEADER.pack(OP_REGISTER1, 0, 0).ljust(MSG_SIZE, b"\0")


def set_message(pool: int, key: str, value: str) -> bytes:
    """A SET as the kernel sends it (for tests' stand-ins of the device)."""
    k, v = key.encode() + b"\0", value.encode() + b"\0"
    return (_HEADER.pack(OP_SET, pool, 0) + _VALUE.pack(1, len(k), len(v), k, v)).ljust(MSG_SIZE, b"\0")


def answer(error: int) -> bytes:
    return struct.pack("<I", error).ljust(MSG_SIZE, b"\0")


def parse_set(msg: bytes) -> tuple[int, str, str]:
    _, pool, _ = _HEADER.unpack_from(msg)
    _, key_size, value_size, key, value = _VALUE.unpack_from(msg, _HEADER.size)
    if not (1 <= key_size <= KEY_SIZE and 1 <= value_size <= VALUE_SIZE):
        raise KvpError(f"malformed KVP message: key size {key_size}, value size {value_size}")
    return pool, key[: key_size - 1].decode(errors="replace"), value[: value_size - 1].decode(errors="replace")


def receive(fd: int, poll_ms: int = POLL_MS) -> Pools:
    """Registers on `fd` (the opened device, non-blocking) and collects every pair sent."""
    pools: Pools = {pool: [] for pool in range(POOLS)}
    _write(fd, register_message())
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    while True:
        if not poller.poll(poll_ms):
            return pools
        try:
            msg = os.read(fd, MSG_SIZE)
        except BlockingIOError:
            continue
        except OSError as exc:
            if exc.errno == errno.EINTR:
                continue
            raise KvpError(f"reading the KVP device: {exc.strerror}") from None
        if len(msg) != MSG_SIZE:
            raise KvpError(f"short read from the KVP device: {len(msg)} of {MSG_SIZE} bytes")
        operation = msg[0]
        if operation == OP_REGISTER1:
            continue
        if operation == OP_SET:
            pool, key, value = parse_set(msg)
            pools.setdefault(pool, []).append((key, value))
            _write(fd, answer(HV_S_OK))
        else:
            _write(fd, answer(HV_E_FAIL))


def _write(fd: int, msg: bytes) -> None:
    try:
        written = os.write(fd, msg)
    except OSError as exc:
        raise KvpError(f"writing to the KVP device: {exc.strerror}") from None
    if written != len(msg):
        raise KvpError(f"short write to the KVP device: {written} of {len(msg)} bytes")


def encode_pool(pairs: list[tuple[str, str]]) -> bytes:
    """hv_kvp_daemon's pool file: records of a NUL-padded 512-byte key and 2048-byte value."""
    return b"".join(
        k.encode()[:KEY_SIZE].ljust(KEY_SIZE, b"\0") + v.encode()[:VALUE_SIZE].ljust(VALUE_SIZE, b"\0")
        for k, v in pairs
    )


def decode_pool(data: bytes) -> list[tuple[str, str]]:
    record = KEY_SIZE + VALUE_SIZE
    pairs = []
    for offset in range(0, len(data) - record + 1, record):
        key = data[offset:offset + KEY_SIZE].split(b"\0", 1)[0].decode(errors="replace")
        value = data[offset + KEY_SIZE:offset + record].split(b"\0", 1)[0].decode(errors="replace")
        if key:
            pairs.append((key, value))
    return pairs
