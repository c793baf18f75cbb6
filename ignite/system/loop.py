"""Loop devices over image files (for `ignite apply` and the tests)."""
from __future__ import annotations

from ignite.system.run import run


def attach(image: str) -> str:
    """A new loop device over `image`; returns its node."""
    return run("losetup", "--find", "--show", image).stdout.strip()


def detach(device: str) -> None:
    run("losetup", "--detach", device)


def backing_file(device: str) -> str:
    return run("losetup", "--noheadings", "--output", "BACK-FILE", device).stdout.strip()
