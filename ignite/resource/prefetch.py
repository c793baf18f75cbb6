"""Reads the next chunks in a thread while the caller decompresses, hashes and writes
the current one: the socket and the hash (both release the GIL) then use two cores,
as `curl | sha512sum` does. Memory stays bounded by DEPTH chunks."""
from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

DEPTH = 8  # chunks of ≤ 1 MiB in flight
_END = object()


def prefetched(chunks: Iterator[bytes]) -> Iterator[bytes]:
    pipe: queue.Queue[object] = queue.Queue(maxsize=DEPTH)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                pipe.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for chunk in chunks:
                if not put(chunk):
                    return
            put(_END)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            put(exc)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None and stop.is_set():
                close()

    worker = threading.Thread(target=produce, name="ignite-fetch-reader", daemon=True)
    worker.start()
    try:
        while True:
            item = pipe.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join(timeout=5)
