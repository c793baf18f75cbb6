"""The config cache between stages, and the system base configs merged under it.

Written once by a fetch stage (the rendered *user* config, mode 0600), read by the
others as upstream does: full = merge(versionOnly, merge(systemBase, cachedUser)).
Reading needs neither jsonschema nor requests: the cached config was validated and
rendered before it was written, and base configs are parsed only when present."""
from __future__ import annotations

import os

from ignite import distro, jsonio
from ignite.config import codec
from ignite.config.versions import NEWEST
from ignite.errors import ConfigError, IgniteError
from ignite.log import get_logger
from ignite.stages import state

TYPE_CHECKING = False  # not typing's: 3 ms of every files stage's start-up
if TYPE_CHECKING:
    from typing import Any

    from ignite.config.model import Config
    from ignite.config.render import FetchedConfig
    from ignite.stages import StageContext

log = get_logger("ignite.stages")

# Highest priority first (docs/spec/stages.md#system-config-dirs-and-base-configs), each overridable as upstream.
SYSTEM_DIRS = distro.SYSTEM_DIRS
STATE_KEYS = state.KEYS


def system_dirs() -> list[str]:
    return [distro.env(env, default) for env, default in SYSTEM_DIRS]


def load_config(ctx: StageContext) -> Config:
    try:
        data = jsonio.loads(ctx.cache_bytes())
    except FileNotFoundError:
        raise ConfigError(f"no cached config at {ctx.config_cache}: did the fetch stages run?") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the cached config {ctx.config_cache}: {exc}") from None
    user = codec.config_from_json(data)
    base = system_base_config(stage_platform(ctx))
    return full_config(base, user)


def full_config(base: Config | None, user: Config) -> Config:
    """merge(versionOnly, merge(systemBase, user)), as upstream's engine builds it."""
    if base is None:
        return user
    from ignite.config.merge import merge
    from ignite.config.model import Config, Ignition

    return merge(Config(ignition=Ignition(version=NEWEST)), merge(base, user))


def stage_platform(ctx: StageContext) -> str | None:
    """--platform, else ignition.platform.id on the kernel command line (if readable)."""
    if ctx.platform:
        return ctx.platform
    from ignite import cmdline

    try:
        return cmdline.platform_id(cmdline.values(cmdline.read(ctx.cmdline_file)))
    except IgniteError:
        return None


def base_fragments(subdir: str) -> list[str]:
    """Union of the file names in `subdir` of the system dirs; for a name in several, the
    highest-priority dir's file. Sorted by name (bytes order)."""
    chosen: dict[str, str] = {}
    for directory in system_dirs():
        folder = os.path.join(directory, subdir)
        try:
            names = [entry.name for entry in os.scandir(folder) if not entry.is_dir()]
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as exc:
            raise ConfigError(f"cannot list {folder}: {exc.strerror}") from None
        for name in names:
            chosen.setdefault(name, os.path.join(folder, name))
    return [chosen[name] for name in sorted(chosen, key=os.fsencode)]


def system_base_config(platform: str | None) -> Config | None:
    """base.d (errors are fatal) then base.platform.d/PLATFORM (errors only logged);
    None when there is no base config at all."""
    base = _merged(base_fragments(distro.BASE_DIR), fatal=True)
    # The provider registry (for legacy platform ids) only when some platform has any.
    if platform and any(os.path.isdir(os.path.join(folder, distro.BASE_PLATFORM_DIR)) for folder in system_dirs()):
        from ignite.providers import canonical

        extra = _merged(base_fragments(f"{distro.BASE_PLATFORM_DIR}/{canonical(platform)}"), fatal=False)
        if extra is not None:
            from ignite.config.merge import merge

            base = extra if base is None else merge(base, extra)
    return base


def _merged(paths: list[str], *, fatal: bool) -> Config | None:
    if not paths:
        return None
    from ignite.config.merge import merge
    from ignite.config.model import Config
    from ignite.config.parse import parse

    result = Config()
    try:
        for path in paths:
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except OSError as exc:
                raise ConfigError(f"cannot read base config {path}: {exc.strerror}") from None
            result = merge(result, parse(data, source=path))
            log.info("fetched base config from %s", path)
    except ConfigError as exc:
        if fatal:
            raise ConfigError(f"failed to acquire system base config: {exc}") from None
        log.warning("no config at %s: %s; ignoring the platform base configs", os.path.dirname(paths[0]), exc)
        return None
    return result


def save_config(ctx: StageContext, config: Config) -> None:
    """Atomically, mode 0600: the config may hold secrets."""
    data = jsonio.dumps(codec.to_json(config), separators=(",", ":")).encode()
    state.write_private(ctx.config_cache, data, fsync=True, what="the config cache")
    ctx.set_cache_bytes(data)


def record_fetched(
    ctx: StageContext, entries: list[FetchedConfig], provider_files: list[dict[str, Any]] | None = None
) -> None:
    """state.fetchedConfigs += entries (and providerOutputFiles, if given), keeping every
    other key (dir 0700, file 0600)."""
    try:
        current = state.read(ctx.state_file)
    except IgniteError as exc:
        raise ConfigError(str(exc)) from None
    current["fetchedConfigs"] = (current.get("fetchedConfigs") or []) + entries
    if provider_files is not None:
        current["providerOutputFiles"] = provider_files or None
    state.write(ctx.state_file, current)  # every key, null when empty, as upstream
