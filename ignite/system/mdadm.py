"""mdadm: create an array exactly as Ignition does (no reuse check)."""
from __future__ import annotations

from collections.abc import Sequence

from ignite.system.run import run


def create_argv(name: str, level: str, members: Sequence[str], spares: int, options: Sequence[str]) -> list[str]:
    """mdadm arguments (without the tool) for a new array `name` over `members`."""
    args = ["--create", name, "--force", "--run", "--homehost", "any",
            "--level", level, "--raid-devices", str(len(members) - spares)]
    if spares > 0:
        args += ["--spare-devices", str(spares)]
    return [*args, *options, *members]


def create(name: str, level: str, members: Sequence[str], spares: int, options: Sequence[str]) -> None:
    run("mdadm", *create_argv(name, level, members, spares, options))


def array_path(name: str) -> str:
    return name if name.startswith("/dev") else f"/dev/md/{name}"
