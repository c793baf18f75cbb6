"""The boot stages. Each is its own process at boot (`ignite run --stage NAME`) and a
module here with `run(ctx: StageContext) -> None` that first plans, then acts.

Stages share data only through files (the config cache, the state file, the neednet
flag), as upstream does, so that each process imports only what its stage needs.

The runner's duties around every stage (docs/spec/stages.md): the platform's status hook
after it (the one place that calls it), then, on success, the state saved with the
stage's timing. A stage with nothing to do in the cached config, and no system base
config that could give it some, is finished by `run_idle` without importing its module,
the config model or logging: it runs in every boot.

This module imports nothing at start-up but os, sys, time, distro and errors (which every
process has loaded already): the rest is imported late.
"""
from __future__ import annotations

import os
import sys
import time

from ignite import distro, import_module
from ignite.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from typing import Protocol

    from ignite.config.model import Config

    class Stage(Protocol):
        """A stage module (ignite/stages/<name>.py): plans, then acts; raises IgniteError."""

        def run(self, ctx: StageContext) -> None: ...

STAGES = ("fetch-offline", "fetch", "kargs", "disks", "mount", "files", "umount")
_MODULES = {
    "fetch-offline": "fetch",
    "fetch": "fetch",
    "kargs": "kargs",
    "disks": "disks",
    "mount": "mount",
    "files": "files",
    "umount": "umount",
}
FETCH_STAGES = ("fetch-offline", "fetch")
# Platforms whose provider has a status hook (only Packet's, as upstream); tests check
# this against the providers, so the runner need not import them to know.
STATUS_PLATFORMS = frozenset({"packet"})
# Platforms whose provider deletes the config at the end of the files stage (legacy ids
# included), known here for the same reason.
DELETE_CONFIG_PLATFORMS = frozenset({"vmware", "virtualbox", "vagrant-virtualbox"})
DELETE_LOCAL_CONFIG_FLAG = distro.DELETE_LOCAL_CONFIG_FLAG
SYSTEM_DIRS = distro.SYSTEM_DIRS


class StageContext:
    """Where a stage reads and writes. Defaults are the initramfs ones; paths may be
    given as str or Path and are kept as str (pathlib, with the re and urllib.parse it
    loads, would cost every stage process ~10 ms at start-up)."""

    def __init__(
        self,
        stage: str,
        root: Path | str = distro.ROOT,
        platform: str | None = None,
        config_cache: Path | str = distro.CONFIG_CACHE,
        state_file: Path | str = distro.STATE_FILE,
        neednet_file: Path | str = distro.NEEDNET_FILE,
        cmdline_file: Path | str = distro.CMDLINE_FILE,
        config_file: Path | str | None = None,
        fetch_timeout: float = distro.FETCH_TIMEOUT,
        device_map: dict[str, str] | None = None,
    ) -> None:
        self.stage = stage
        self.root = os.fspath(root)
        self.platform = platform
        self.config_cache = os.fspath(config_cache)
        self.state_file = os.fspath(state_file)
        self.neednet_file = os.fspath(neednet_file)
        self.cmdline_file = os.fspath(cmdline_file)
        self.config_file = None if config_file is None else os.fspath(config_file)
        self.fetch_timeout = fetch_timeout
        # `ignite apply`: the config's device paths mapped to image files or loop devices.
        self.device_map: dict[str, str] = {} if device_map is None else device_map
        self._config: Config | None = None
        self._cache_bytes: bytes | None = None

    def __repr__(self) -> str:
        return f"StageContext(stage={self.stage!r}, root={self.root!r}, platform={self.platform!r})"

    def offline_done_flag(self) -> str:
        """Where fetch-offline says it is done: beside the state file."""
        return os.path.join(os.path.dirname(self.state_file), distro.OFFLINE_DONE)

    def config(self) -> Config:
        """The rendered config the fetch stages cached, read once, never re-validated."""
        if self._config is None:
            from ignite.stages.cache import load_config

            self._config = load_config(self)
        return self._config

    def set_config(self, config: Config) -> None:
        self._config = config

    def cache_bytes(self) -> bytes:
        """The config cache as the fetch stage wrote it, read once (the config and its
        digest both come from it). OSError as open's."""
        if self._cache_bytes is None:
            with open(self.config_cache, "rb") as f:
                self._cache_bytes = f.read()
        return self._cache_bytes

    def set_cache_bytes(self, data: bytes) -> None:
        self._cache_bytes = data


def run_stage(ctx: StageContext) -> None:
    """Runs one stage (its module is imported only now), calls the platform's status hook
    with the outcome, and on success saves the state with the stage's timing."""
    if ctx.stage in FETCH_STAGES and not _load_before_configs(ctx):
        return
    started = time.monotonic()
    if ctx.stage not in _MODULES:
        raise UsageError(f"unknown stage {ctx.stage!r}; stages are: {', '.join(STAGES)}")
    from ignite import record
    from ignite.stages import state

    wall = record.wall_now()
    record.open_for(ctx.state_file, ctx.stage)
    record.stage_started(ctx.stage, wall)
    current = state.read(ctx.state_file)  # unreadable state fails the stage before it acts, as upstream
    record_skipped_before(ctx.stage, ctx.state_file, dict(current))
    module: Stage = import_module(f"ignite.stages.{_MODULES[ctx.stage]}")
    # The modules' objects live as long as the process: frozen out of the collector's
    # sight, neither the stage's collections nor the final ones at exit walk them (~3 ms
    # of a small stage here, a tenth of a second under TCG).
    import gc

    gc.freeze()
    error: BaseException | None = None
    try:
        module.run(ctx)
    except BaseException as exc:
        error = exc
        _record_failure(ctx.stage, wall, started, exc)
        raise
    finally:
        _report_status(ctx, error)
    seconds = time.monotonic() - started
    state.finish_stage(ctx.state_file, ctx.stage, seconds, base_entry=ctx.stage not in FETCH_STAGES)
    record.stage_finished(ctx.stage, wall, seconds, "success")
    if ctx.stage in FETCH_STAGES:
        mark_idle_stages(ctx.config_cache, ctx.state_file, ctx.platform, ctx.cmdline_file)
    if ctx.stage == "fetch-offline":
        os.close(os.open(ctx.offline_done_flag(), os.O_WRONLY | os.O_CREAT, 0o600))
    if ctx.stage == "files" and _push_wanted(ctx.cmdline_file):
        from ignite.report_push import push_after_files

        push_after_files(ctx)


# What a fetch stage loads at boot before it reads any config: its module, whose
# `preload(ctx)` then loads the rest of what needs no on-disk config (the stage's later
# imports, the reader of the config URL's scheme, for a network stage without one the
# HTTP transport of the platform's metadata service, the platform's kernel module).
_PRELOAD = {
    "fetch-offline": ("ignite.stages.fetch",),
    "fetch": ("ignite.stages.fetch",),
}


def at_boot_setup(ctx: StageContext) -> bool:
    """Whether this is fetch-offline at a first boot, which does the initramfs's set-up
    first (BOOT_SETUP_ENV, set by its unit: ignite.stages.fetch_setup)."""
    return ctx.stage == "fetch-offline" and distro.env(distro.BOOT_SETUP_ENV) == "1"


def _load_before_configs(ctx: StageContext) -> bool:
    """At boot (its unit sets AFTER_FILE_ENV, or BOOT_SETUP_ENV): loads the fetch stage's code
    (_PRELOAD) before anything it waits for. fetch-offline then does the set-up, in the
    stage (it waits for the boot disk); fetch waits for the file that says the network is up:
    its unit is not ordered after the network units, so that the interpreter's start and
    imports overlap DHCP. The stage's timing starts after this wait. A network unit that
    fails isolates emergency.target, which stops this stage too; the timeout is the last
    resort.

    An early fetch (FETCH_EARLY_ENV) first waits for fetch-offline to finish, and returns
    False, for nothing to run, when fetch-offline cached the config or needed no network."""
    path = distro.env(distro.AFTER_FILE_ENV)
    if not path and not at_boot_setup(ctx):
        return True
    for name in _PRELOAD.get(ctx.stage, ()):
        preload = getattr(import_module(name), "preload", None)
        if preload is not None:
            preload(ctx)
    # What the preload made lives as long as the process: out of the collector's sight, it
    # is not walked by each full collection, nor by the final ones at exit (~15 ms here
    # with the HTTP stack loaded, about 0.2 s under TCG).
    import gc

    gc.freeze()
    if ctx.stage == "fetch" and distro.env(distro.FETCH_EARLY_ENV):
        _wait_for(ctx.offline_done_flag(), "ignite-fetch-offline")
        if os.path.exists(ctx.config_cache) or not os.path.exists(ctx.neednet_file):
            sys.stderr.write("ignite: fetch: fetch-offline needed no network: nothing to fetch\n")
            return False
    if path:
        _wait_for(path, "ignite-network" if ctx.stage == "fetch" else "the unit that writes it")
    return True


def _wait_for(path: str, writer: str) -> None:
    deadline = time.monotonic() + distro.AFTER_FILE_TIMEOUT
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise UsageError(f"{path} did not appear within {distro.AFTER_FILE_TIMEOUT:.0f} s: {writer}, "
                             "which writes it, did not finish; see its journal")
        time.sleep(0.05)


def _push_wanted(cmdline_file: Path | str) -> bool:
    """Whether the command line asks for a report push, without loading what a push needs."""
    path = os.fspath(cmdline_file)
    if path == distro.CMDLINE_FILE:
        path = distro.env(distro.CMDLINE_PATH_ENV, path) or path
    try:
        with open(path, "rb") as f:
            return b"ignite.report.url=" in f.read()
    except OSError:
        return False


def _record_failure(stage: str, wall: float, started: float, error: BaseException) -> None:
    from ignite import record
    from ignite.report import classify, scrub

    record.stage_finished(stage, wall, time.monotonic() - started, "failure")
    record.failed(stage, classify(error), scrub(str(error) or type(error).__name__))


def _report_status(ctx: StageContext, error: BaseException | None) -> None:
    from ignite.stages.cache import stage_platform

    platform = stage_platform(ctx)
    if platform is None or not _may_have_status(platform):
        return
    from ignite import providers
    from ignite.resource import FetchSettings

    status = providers.status_hook(providers.get(platform))
    if status is not None:
        settings = FetchSettings(offline=ctx.stage == "fetch-offline", http_total=ctx.fetch_timeout)
        status(providers.ProviderContext(providers.canonical(platform), settings), ctx.stage, error)


def _may_have_status(platform: str) -> bool:
    return platform in STATUS_PLATFORMS


# --- the no-op fast path -------------------------------------------------------------


def _storage(cfg: dict) -> dict:
    storage = cfg.get("storage")
    return storage if isinstance(storage, dict) else {}


def _disks_work(cfg: dict) -> bool:
    storage = _storage(cfg)
    return any(storage.get(key) for key in ("disks", "raid", "luks", "filesystems"))


def _mount_work(cfg: dict) -> bool:
    # Any filesystem with a path (virtiofs too); the mount stage itself skips those of a
    # format it cannot mount, so this errs on the side of running it.
    filesystems = _storage(cfg).get("filesystems") or []
    return not isinstance(filesystems, list) or any(not isinstance(fs, dict) or fs.get("path") for fs in filesystems)


def _kargs_work(cfg: dict) -> bool:
    kargs = cfg.get("kernelArguments") or {}
    return not isinstance(kargs, dict) or bool(kargs.get("shouldExist") or kargs.get("shouldNotExist"))


# Whether a stage has anything to do in a cached config (a normalized config dict). The
# fetch stages always have work; the files stage always writes the result file.
HAS_WORK: dict[str, Callable[[dict], bool]] = {
    "kargs": _kargs_work,
    "disks": _disks_work,
    "mount": _mount_work,
    "umount": _mount_work,
}


def run_idle(
    stage: str,
    *,
    config_cache: str,
    state_file: str,
    platform: str | None,
    cmdline_file: str,
    verbose: bool = False,
    started: float | None = None,
) -> bool:
    """Finishes `stage` here and returns True when it has nothing to do: no work in the
    cached config, no system base config, no status hook. Otherwise (or when in any
    doubt, e.g. an unreadable cache) returns False and does nothing: `run_stage` then
    runs the stage and gives any error its proper message."""
    started = time.monotonic() if started is None else started
    if not _idle_stages((stage,), config_cache, platform, cmdline_file):
        return False
    _finish_idle(stage, state_file, time.monotonic() - started)
    if verbose:
        sys.stderr.write(f"ignite: {stage}: nothing to do\n")
    return True


def _idle_stages(candidates: tuple[str, ...], config_cache: str, platform: str | None,
                 cmdline_file: str) -> tuple[str, ...]:
    """Those of `candidates` with nothing to do (see run_idle); () when in any doubt."""
    if (not any(stage in HAS_WORK for stage in candidates) or _base_configs_present(platform)
            or _status_platform_possible(platform, cmdline_file)):
        return ()  # decided without reading the cache
    from ignite import jsonio

    try:
        with open(config_cache, "rb") as f:
            cfg = jsonio.loads(f.read())
    except (OSError, ValueError):
        return ()
    if not isinstance(cfg, dict):
        return ()
    return tuple(stage for stage in candidates if stage in HAS_WORK and not HAS_WORK[stage](cfg))


def _finish_idle(stage: str, state_file: str, seconds: float, **extra: object) -> None:
    """What run_stage saves for a stage, for one with nothing to do: its timing and the
    system base config entry in the state, an idle `stage` event in the boot record."""
    from ignite import record
    from ignite.stages import state

    state.finish_stage(state_file, stage, seconds, base_entry=True)
    record.append({"event": "stage", "stage": stage, "at": record.wall_now() - round(seconds, 3),
                   "seconds": round(seconds, 6), "status": "success", "idle": True, **extra},
                  record.path_for(state_file))


# --- stages skipped at boot: no process at all -------------------------------------------
# The fetch stage that caches the config knows which later stages have nothing to do in it
# (run_idle's test). It leaves a marker for each, IDLE_DIR beside the state file
# (/run/ignition/idle/STAGE): the stage's unit has ConditionPathExists=! on it, so systemd
# skips the unit (its ordering and the ignition-* aliases stay) and no interpreter starts.
# The next stage that runs (files at the latest) finishes the skipped ones as run_idle
# would have (state, boot record with 0 s and `"skipped": true`). umount, the mount unit's
# ExecStop, is skipped with mount and left unrecorded: it runs after the files stage has
# written the report anyway.
IDLE_DIR = distro.IDLE_DIR
SKIPPABLE = ("kargs", "disks", "mount")


def idle_marker(state_file: str, stage: str) -> str:
    return os.path.join(os.path.dirname(state_file) or ".", IDLE_DIR, stage)


def mark_idle_stages(config_cache: str, state_file: str, platform: str | None, cmdline_file: str) -> tuple[str, ...]:
    """After a fetch stage: a marker for each later stage with nothing to do in the cached
    config (none when there is no cache yet: fetch-offline that found the network
    needed), any stale marker removed. Returns the stages marked."""
    if not os.path.exists(config_cache):
        return ()
    idle = _idle_stages(SKIPPABLE, config_cache, platform, cmdline_file)
    for stage in SKIPPABLE:
        marker = idle_marker(state_file, stage)
        try:
            os.unlink(marker)
        except FileNotFoundError:
            pass
        if stage not in idle:
            continue
        try:
            os.makedirs(os.path.dirname(marker), mode=0o700, exist_ok=True)
            os.close(os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600))
        except OSError:
            pass  # no marker: the stage runs and finishes itself (run_idle)
    return tuple(stage for stage in idle if os.path.exists(idle_marker(state_file, stage)))


def record_skipped_before(stage: str, state_file: str, state: dict) -> None:
    """Before a later stage acts: each marked stage before it that nothing recorded yet
    (systemd skipped its unit) is finished as run_idle would have, with 0 s and
    `"skipped": true` in the boot record. Done here rather than by the fetch stage, so the
    state after the fetch stages stays upstream's."""
    if stage not in STAGES or stage in FETCH_STAGES:
        return
    earlier = STAGES[:STAGES.index(stage)]
    timings = state.get("stageTimings")
    done = timings if isinstance(timings, dict) else {}
    for skipped in SKIPPABLE:
        if skipped in earlier and skipped not in done and os.path.exists(idle_marker(state_file, skipped)):
            _finish_idle(skipped, state_file, 0.0, skipped=True)


def _base_configs_present(platform: str | None) -> bool:
    """Any base.d entry, or a base.platform.d entry this platform may use, in the system
    config dirs. When in doubt, yes: the slow path sorts out which apply."""
    for env, default in SYSTEM_DIRS:
        directory = distro.env(env, default)
        try:
            if _entries(os.path.join(directory, distro.BASE_DIR)):
                return True
            platforms = _entries(os.path.join(directory, distro.BASE_PLATFORM_DIR))
        except OSError:
            return True  # unreadable: the slow path reports it
        if platforms and (platform is None or platform in platforms or _canonical(platform) in platforms):
            return True
    return False


def _entries(folder: str) -> list[str]:
    try:
        return os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []


def _canonical(platform: str) -> str:
    # Only when some platform has base configs: the registry knows the legacy ids.
    from ignite.providers import canonical

    return canonical(platform)


def _status_platform_possible(platform: str | None, cmdline_file: str) -> bool:
    if platform is not None:
        return _may_have_status(platform)
    try:
        with open(cmdline_file, "rb") as f:
            text = f.read().decode(errors="replace")
    except OSError:
        return True  # the slow path decides (and reports)
    return any(name in text for name in STATUS_PLATFORMS)
