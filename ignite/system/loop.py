"""Loop devices over image files (for `ignite apply` and the tests)."""
from __future__ import annotations

from ignite.system.run import run


def attach(image: str, read_only: bool = False) -> str:
    """A new loop device over `image` (`read_only`: writes to it fail); returns its node."""
    return run("losetup", *(["--read-only"] if read_only else []), "--find", "--show", image).stdout.strip()


def detach(device: str) -> None:
    run("losetup", "--detach", device)


def backing_file(device: str) -> str:
    return run("losetup", "--noheadings", "--output", "BACK-FILE", device).stdout.strip()
