"""The config cache between stages: written once by a fetch stage, read by the others.

Reading it needs neither jsonschema nor requests: the config in it was validated
and rendered before it was written.
"""
from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

from ignite.config import codec
from ignite.errors import ConfigError

if TYPE_CHECKING:
    from ignite.config.model import Config
    from ignite.stages import StageContext


def load_config(ctx: StageContext) -> Config:
    try:
        data = json.loads(ctx.config_cache.read_bytes())
    except FileNotFoundError:
        raise ConfigError(f"no cached config at {ctx.config_cache}: did the fetch stages run?") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the cached config {ctx.config_cache}: {exc}") from None
    return codec.config_from_json(data)


def save_config(ctx: StageContext, config: Config) -> None:
    """Atomically, mode 0600: the config may hold secrets."""
    path = ctx.config_cache
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(codec.to_json(config), out, separators=(",", ":"))
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
