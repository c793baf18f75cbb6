"""NVIDIA BlueField DPU: the boot FIFO in sysfs, NUL bytes stripped."""
from __future__ import annotations

import os
from pathlib import Path

from ignite import distro
from ignite.errors import IgniteError, ProviderError
from ignite.providers import ProviderContext

FIFO_ENV = distro.BLUEFIELD_BOOTFIFO_ENV
FIFO = distro.BLUEFIELD_BOOTFIFO


def fetch(pctx: ProviderContext) -> bytes | None:
    fifo = Path(os.environ.get(FIFO_ENV, FIFO))
    if not fifo.exists():
        from ignite.system.run import run

        try:
            run("modprobe", "mlxbf_bootctl")
        except IgniteError as exc:
            raise ProviderError("nvidiabluefield", f"cannot load mlxbf_bootctl: {exc}") from None
    try:
        data = fifo.read_bytes().replace(b"\0", b"")
    except OSError as exc:
        raise ProviderError("nvidiabluefield", f"cannot read {fifo}: {exc.strerror}") from None
    if not data:
        # Upstream returns an empty config here, which then fails as "invalid config version".
        raise ProviderError("nvidiabluefield", f"the boot FIFO {fifo} is empty: no config was pushed")
    return data
