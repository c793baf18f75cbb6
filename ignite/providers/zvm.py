"""IBM z/VM: the first spool file of type `ign` in the reader device 000c (vmur, chccwdev,
cio_ignore, as upstream). No such file is no config."""
from __future__ import annotations

from pathlib import Path

from ignite.errors import CommandError, IgniteError, ProviderError
from ignite.providers import ProviderContext
from ignite.system.mounts import ScratchDir

READER = "000c"


def fetch(pctx: ProviderContext) -> bytes | None:
    from ignite.system.run import run

    try:
        run("modprobe", "vmur")
        try:
            run("chccwdev", "-e", READER)
        except CommandError:
            run("cio_ignore", "-r", READER)
            run("chccwdev", "-e", READER)
        run("udevadm", "settle")
        listing = run("vmur", "li").stdout
    except IgniteError as exc:
        raise ProviderError("zvm", f"cannot reach the reader device {READER}: {exc}") from None
    spool = spool_file(listing)
    if spool is None:
        return None
    spool_id, name = spool
    with ScratchDir("ignite-zvm-") as tmp:
        target = Path(tmp) / f"{name}.ign"
        try:
            run("vmur", "re", "-f", spool_id, str(target))
            return target.read_bytes().strip(b"\0") or None
        except (IgniteError, OSError) as exc:
            raise ProviderError("zvm", f"cannot read spool file {spool_id}: {exc}") from None
        finally:
            target.unlink(missing_ok=True)


def spool_file(listing: str) -> tuple[str, str] | None:
    """(spool id, file name) of the first file whose type is `ign`. `vmur li` prints
    ORIGINID FILE CLASS(2 words) RECORDS CPY HOLD DATE TIME NAME TYPE DIST."""
    for line in listing.splitlines():
        cols = line.split()
        if len(cols) <= 1:
            break
        if len(cols) >= 11 and cols[10] == "ign":
            return cols[1], cols[9]
    return None
