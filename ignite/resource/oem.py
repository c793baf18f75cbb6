"""oem:///path (legacy 2.x configs): the OEM tree in the initramfs, else the partition
labelled OEM, mounted read-only for the one read."""
from __future__ import annotations

import posixpath
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from ignite import distro
from ignite.errors import FetchError, MountError
from ignite.system.mounts import Mounted

if TYPE_CHECKING:
    from ignite.config.model import Resource
    from ignite.resource import FetchSettings

OEM_DEVICE = Path(distro.OEM_DEVICE)
CHUNK = 1 << 20


def relative_path(url: str) -> str:
    parts = urlsplit(url)
    # The path is relative to the OEM tree and may never leave it.
    clean = posixpath.normpath("/" + unquote(parts.netloc + parts.path)).lstrip("/")
    if not clean or clean == ".":
        raise FetchError(url, "scheme", "an oem URL names a file: oem:///path")
    return clean


def stream(url: str, resource: Resource, settings: FetchSettings) -> Iterator[bytes]:
    rel = relative_path(url)
    local = Path(settings.oem_dir) / rel
    if local.is_file():
        yield from _read(local, url)
        return
    if not OEM_DEVICE.exists():
        raise FetchError(url, "notfound", f"not in {settings.oem_dir} and no OEM partition ({OEM_DEVICE})")
    yield from _read_from_partition(rel, url)


def _read_from_partition(rel: str, url: str) -> Iterator[bytes]:
    try:
        with Mounted(str(OEM_DEVICE), "ignite-oem-", fstype="ext4") as mnt:
            data = b"".join(_read(Path(mnt) / rel, url))  # small, and the mount must go before we yield
    except MountError as exc:
        raise FetchError(url, "io", f"cannot mount the OEM partition: {exc}") from None
    yield data


def _read(path: Path, url: str) -> Iterator[bytes]:
    try:
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                yield chunk
    except FileNotFoundError:
        raise FetchError(url, "notfound", f"{path} does not exist") from None
    except OSError as exc:
        raise FetchError(url, "io", f"cannot read {path}: {exc.strerror}") from None
