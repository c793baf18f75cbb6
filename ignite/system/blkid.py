"""blkid: what signature a device carries (TYPE, UUID, LABEL), by a low-level probe."""
from __future__ import annotations

from dataclasses import dataclass

from ignite import jsonio
from ignite.errors import CommandError
from ignite.system.run import run

_NOTHING_FOUND = 2
_AMBIVALENT = 8


@dataclass(frozen=True, slots=True)
class Signature:
    type: str = ""
    uuid: str = ""
    label: str = ""


def probe(device: str, offset: int | None = None, size: int | None = None) -> Signature:
    """The filesystem (or other) signature on `device` (or in its `size` bytes from
    `offset`: a partition not made yet); empty when blank. Opens it read-only.

    A safe probe first; on ambivalent signatures the first one wipefs lists, as
    upstream falls back to the first match."""
    window = [] if offset is None else ["--offset", str(offset)] + ([] if size is None else ["--size", str(size)])
    result = run("blkid", "--probe", *window, "--output", "export", device, check=False)
    if result.returncode == _NOTHING_FOUND:
        return Signature()
    if result.returncode == _AMBIVALENT:
        # wipefs cannot look at a window of a device: an unmade partition's mixed
        # signatures are named as such (the plan then refuses, as for any other).
        return _first_signature(device) if offset is None else Signature("ambivalent signatures")
    if result.returncode != 0:
        raise CommandError(list(result.argv), result.returncode, result.stderr)
    values = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    return Signature(values.get("TYPE", ""), values.get("UUID", ""), values.get("LABEL", ""))


def _first_signature(device: str) -> Signature:
    out = run("wipefs", "--no-act", "--json", device).stdout
    found = jsonio.loads(out or "{}").get("signatures") or []
    if not found:
        return Signature()
    first = found[0]
    return Signature(first.get("type") or "", first.get("uuid") or "", first.get("label") or "")


def wipe(device: str) -> None:
    """Erases every signature (wipefs -a)."""
    run("wipefs", "-a", device)


def export(device: str) -> dict[str, str]:
    """Every value a low-level probe reports (TYPE, LABEL, UUID, PART_ENTRY_NAME, …)."""
    result = run("blkid", "--probe", "--output", "export", device, check=False)
    return dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
