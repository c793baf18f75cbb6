"""The `file` platform (tests, image builds): $IGNITION_CONFIG_FILE or ./config.ign.
A read error (missing file included) is an error; an empty file is no config."""
from __future__ import annotations

import os

from ignite import distro
from ignite.errors import ProviderError
from ignite.providers import ProviderContext

CONFIG_FILE_ENV = distro.CONFIG_FILE_ENV


def fetch(pctx: ProviderContext) -> bytes | None:
    path = os.fspath(pctx.config_file or distro.env(CONFIG_FILE_ENV) or "config.ign")
    try:
        with open(path, "rb") as f:
            return f.read() or None
    except OSError as exc:
        raise ProviderError("file", f"cannot read the config file {path}: {exc.strerror or exc}") from None
