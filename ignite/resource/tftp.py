"""tftp://host[:port]/path, octet mode, with retries (tftpy imported only here).

The transfer is spooled (memory, then a temporary file past 8 MiB) so that a failed
attempt can be retried whole before a single byte reaches the destination; the spool is
capped at limits.MAX_BUFFERED_BYTES and the deadline is checked at every packet."""
from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from ignite.errors import FetchError
from ignite.resource.limits import MAX_BUFFERED_BYTES
from ignite.resource.retry import Deadline, Retryable, with_retries

if TYPE_CHECKING:
    from ignite.config.model import Resource
    from ignite.resource import FetchSettings

DEFAULT_PORT = 69
PACKET_TIMEOUT = 2.0  # seconds without a packet before tftpy retransmits
PACKET_RETRIES = 3
# Without a deadline, TFTP (unlike HTTP upstream) still gives up: UDP gives no "refused".
ATTEMPTS_WITHOUT_DEADLINE = 8
CHUNK = 1 << 20


class _Stop(Exception):
    """Raised from tftpy's packet hook to end a transfer with `error`."""

    def __init__(self, error: FetchError):
        super().__init__(str(error))
        self.error = error


def stream(url: str, resource: Resource, settings: FetchSettings) -> Iterator[bytes]:
    try:
        import tftpy
    except ModuleNotFoundError:
        import importlib

        try:
            # The Debian package's private copy (Debian has no python3-tftpy).
            tftpy = importlib.import_module("ignite._vendor.tftpy")
        except ModuleNotFoundError:
            raise FetchError(url, "scheme", "tftp:// needs the tftpy package, which is not installed") from None

    logging.getLogger("tftpy").setLevel(logging.WARNING)
    parts = urlsplit(url)
    if not parts.hostname:
        raise FetchError(url, "scheme", "tftp URL has no host")
    host, port = parts.hostname, parts.port or DEFAULT_PORT
    path = unquote(parts.path).lstrip("/")

    def attempt(deadline: Deadline) -> tempfile.SpooledTemporaryFile:
        spool = tempfile.SpooledTemporaryFile(max_size=8 << 20)

        def check(packet: object) -> None:
            # Each packet may come just inside the packet timeout: the deadline and the
            # spool (memory or /tmp, RAM in an initramfs) are checked at every one.
            if deadline.expired():
                raise _Stop(FetchError(url, "timeout", f"unable to fetch resource in time ({deadline.seconds:g} s)"))
            if spool.tell() > MAX_BUFFERED_BYTES:
                raise _Stop(
                    FetchError(url, "size", f"more than {MAX_BUFFERED_BYTES >> 20} MiB, the limit for a TFTP transfer")
                )

        try:
            left = deadline.remaining()
            # tftpy waits `timeout` once per retransmission: keep all of them inside the deadline.
            timeout = PACKET_TIMEOUT if left is None else max(0.1, min(PACKET_TIMEOUT, left / (PACKET_RETRIES + 1)))
            tftpy.TftpClient(host, port).download(
                path, spool, packethook=check, timeout=timeout, retries=PACKET_RETRIES
            )
        except _Stop as stop:
            spool.close()
            raise stop.error from None
        except tftpy.TftpShared.TftpFileNotFoundError:
            spool.close()
            raise FetchError(url, "notfound", "resource not found (TFTP: file not found)") from None
        except tftpy.TftpShared.TftpTimeout as exc:
            spool.close()
            raise Retryable(FetchError(url, "timeout", f"TFTP: {exc}")) from None
        except (tftpy.TftpShared.TftpException, OSError) as exc:
            spool.close()
            raise Retryable(FetchError(url, "connect", f"TFTP: {exc}")) from None
        return spool

    deadline = Deadline(settings.http_total)
    spool = with_retries(
        attempt, url, deadline, initial=settings.retry_initial, cap=settings.retry_max,
        max_attempts=None if deadline.at is not None else ATTEMPTS_WITHOUT_DEADLINE,
    )
    with spool:
        spool.seek(0)
        while chunk := spool.read(CHUNK):
            yield chunk
