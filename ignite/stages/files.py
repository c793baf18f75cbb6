"""The files stage: users and groups, then files, directories and links, then systemd
units and presets, then the result file and ignite's report; in Ignition's order.

Plan first: every node path is resolved inside the root (duplicates refused), owners
named by name are checked against the target and the config's own users and groups,
unit names are checked. Only then does anything change. A journal next to the state
file lets a rerun after a crash finish the work instead of failing on it.
"""
from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

from ignite.errors import NodeError, UsageError
from ignite.log import get_logger
from ignite.report import IGNITE_REPORT, RESULT_FILE, ActionLog
from ignite.root import Root
from ignite.stages.files_journal import Journal
from ignite.stages.files_nodes import NodeWriter, check_owners, plan_nodes, write_atomic

TYPE_CHECKING = False  # not typing's: 3 ms of every files stage's start-up
if TYPE_CHECKING:
    from typing import Any

    from ignite.system.users import Accounts

if TYPE_CHECKING:
    from ignite.config.model import Config
    from ignite.stages import StageContext

log = get_logger("ignite.files")  # not logging: 7 ms at every boot


def run(ctx: StageContext) -> None:
    os.umask(0o022)  # the initramfs default upstream relies on
    actions = ActionLog("files")
    config = ctx.config()
    root = Root(ctx.root)
    if not os.path.isdir(root.path):
        raise UsageError(f"target root {root.path} is not a directory")
    state = _read_state(ctx.state_file)

    # plan
    entries = plan_nodes(config.storage, root)
    legacy = _legacy_filesystems(config)
    if config.systemd.units:
        from ignite.stages.files_units import check_units, presets_of

        check_units(config.systemd.units)
        presets_of(config.systemd.units)
    accounts = None
    if entries or legacy or config.passwd.users or config.passwd.groups:
        from ignite.system.users import Accounts

        accounts = Accounts(Path(root.path))
        users = {u.name for u in config.passwd.users if u.should_exist is not False}
        groups = {g.name for g in config.passwd.groups if g.should_exist is not False}
        # A user's own group, when useradd makes one (the target's login.defs decides).
        groups |= {u.name for u in config.passwd.users if u.should_exist is not False and not u.no_user_group}
        check_owners(entries, accounts, users, groups)
    if config.storage.luks:
        from ignite.stages.files_luks import check_persisted_keys

        check_persisted_keys(config.storage.luks, state.get("luksPersistKeyFiles") or {})

    # act
    config_sha = _config_sha256(ctx, config)
    journal = Journal(_journal_path(ctx), f"{config_sha} {root.path}")
    try:
        if config.passwd.users or config.passwd.groups:
            from ignite.stages.files_users import PasswdWriter

            notated = list(state.get("notatedDirectories") or ())
            PasswdWriter(root, accounts, journal, actions.record, notated).apply(config.passwd)
        if entries or legacy:
            settings = _fetch_settings(config)
            NodeWriter(root, accounts, journal, settings, actions.record).apply(entries)
            for name, fs in legacy:
                device = ctx.device_map.get(fs.device, fs.device)
                _apply_on_filesystem(config, name, fs, device, accounts, journal, settings, actions)
        if config.systemd.units:
            from ignite.stages.files_units import UnitWriter

            UnitWriter(root, journal, actions.record).apply(config.systemd.units)
        if config.storage.luks and not journal.is_done("luks"):
            _write_crypttab(ctx, config, root, journal, state, actions)
        if state.get("providerOutputFiles"):
            _write_provider_files(config, root, journal, state["providerOutputFiles"], actions)
        _write_result_file(root, journal, state, actions)
    finally:
        journal.close()
    timings = dict(state.get("stageTimings") or {})
    timings["files"] = actions.seconds()
    _write_ignite_report(root, config_sha, state, timings, actions)
    _relabel(root, actions)


# --- crypttab, result file and report -----------------------------------------------------------


def _write_crypttab(ctx: StageContext, config: Config, root: Root, journal: Journal, state: dict[str, Any], actions: ActionLog) -> None:
    from ignite.stages.files_luks import crypttab_entries, forget_persisted_keys
    from ignite.system.luks import luks_uuid
    from ignite.system.users import Accounts

    from ignite.errors import CommandError

    def uuid_of(device: str) -> str:
        try:
            return luks_uuid(ctx.device_map.get(device, device))
        except CommandError as exc:
            raise NodeError("/etc/crypttab", f"gathering the LUKS UUID of {device}: {exc}") from None

    persisted = state.get("luksPersistKeyFiles") or {}
    entries = crypttab_entries(config.storage.luks, root, persisted, uuid_of)
    writer = NodeWriter(root, Accounts(Path(root.path)), journal, _fetch_settings(config), actions.record)
    writer.apply(entries)
    forget_persisted_keys(ctx.state_file)
    journal.finish("luks")


def _write_provider_files(config: Config, root: Root, journal: Journal, files: list[dict[str, Any]], actions: ActionLog) -> None:
    """Files a platform asked for (Hyper-V's KVP pools), kept in the state by the fetch stage."""
    from ignite.config.codec import from_json
    from ignite.config.model import File
    from ignite.stages.files_nodes import NodeEntry
    from ignite.system.users import Accounts

    entries = []
    for i, data in enumerate(files):
        node = from_json(File, data)
        entries.append(NodeEntry("file", f"provider.{i}", node.path, root.resolve(node.path), node))
    NodeWriter(root, Accounts(Path(root.path)), journal, _fetch_settings(config), actions.record).apply(entries)


def _write_result_file(root: Root, journal: Journal, state: dict[str, Any], actions: ActionLog) -> None:
    from ignite.report import ALREADY_RAN, result_json

    if journal.is_done("result"):
        return
    host = root.resolve(RESULT_FILE)
    root.guard(host)
    if journal.committed("result", host):
        journal.finish("result")
        return
    previous = None
    try:
        old = open(host, "rb").read() if stat.S_ISREG(os.lstat(host).st_mode) else None
    except FileNotFoundError:
        old = None
    if old is not None and not _is_live_image():
        log.warning(ALREADY_RAN)
        previous = old
    try:
        data = result_json(state.get("fetchedConfigs"), previous)
    except ValueError as exc:
        raise NodeError(RESULT_FILE, f"couldn't unmarshal previous report output: {exc}") from None
    from ignite.stages.files_nodes import remove_all

    journal.begin("result", hashlib.sha256(data).hexdigest())
    if os.path.lexists(host) and not stat.S_ISREG(os.lstat(host).st_mode):
        remove_all(host)
    write_atomic(root, host, data, 0o600)
    journal.finish("result")
    actions.record("write result file", RESULT_FILE)


def _is_live_image() -> bool:
    from ignite.errors import ToolMissingError
    from ignite.system.run import run

    try:
        return run("is-live-image", check=False).returncode == 0
    except ToolMissingError:
        return False


def _write_ignite_report(root: Root, config_sha: str, state: dict[str, Any], timings: dict[str, float], actions: ActionLog) -> None:
    from ignite import __version__
    from ignite.report import ignite_report

    data = ignite_report(
        version=__version__,
        config_sha256=config_sha,
        fetched_configs=state.get("fetchedConfigs"),
        stage_timings=timings,
        actions=actions.actions,
    )
    host = root.resolve(IGNITE_REPORT)
    root.guard(host)
    write_atomic(root, host, data, 0o600)


# --- SELinux --------------------------------------------------------------------------


def _relabel(root: Root, actions: ActionLog) -> None:
    """Only for a target that has SELinux enabled (Debian-like targets have none; upstream
    fails there unless built without relabeling). Paths are those the stage touched."""
    try:
        text = Path(root.resolve("/etc/selinux/config")).read_text()
    except (FileNotFoundError, NotADirectoryError):
        return
    settings = dict(line.strip().split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))
    if settings.get("SELINUX", "disabled").strip().lower() == "disabled":
        return
    policy = settings.get("SELINUXTYPE", "").strip()
    if not policy:
        raise NodeError("/etc/selinux/config", "SELINUXTYPE is not set: cannot relabel")
    from ignite.system.run import run

    paths = sorted({root.resolve(a["target"]) for a in actions.actions if a["target"].startswith("/")})
    paths = [p for p in paths if os.path.lexists(p)]
    if paths:
        contexts = root.resolve(f"/etc/selinux/{policy}/contexts/files/file_contexts")
        run("setfiles", "-vF0", "-r", root.path, contexts, "-f", "-", input="\0".join(paths).encode())


# --- helpers --------------------------------------------------------------------------


def _read_state(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read the state file {path}: {exc}") from None
    return data if isinstance(data, dict) else {}


def _journal_path(ctx: StageContext) -> Path:
    return ctx.state_file.parent / "ignite-files.journal"


def _config_sha256(ctx: StageContext, config: Config) -> str:
    try:
        return hashlib.sha256(ctx.config_cache.read_bytes()).hexdigest()
    except OSError:
        from ignite.config import codec

        text = json.dumps(codec.to_json(config), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def _fetch_settings(config: Config):  # noqa: ANN202 - FetchSettings, imported lazily
    from ignite.resource.settings import file_settings

    return file_settings(config)


def _legacy_filesystems(config: Config) -> list[tuple[str, Any]]:
    """Filesystems that legacy (2.x) nodes name by `filesystem`, other than the root."""
    storage = config.storage
    names: list[str] = []
    for nodes in (storage.directories, storage.files, storage.links):
        for node in nodes:
            if node.filesystem not in (None, "root") and node.filesystem not in names:
                names.append(node.filesystem)
    found = []
    for name in names:
        fs = next((f for f in storage.filesystems if f.name == name), None)
        if fs is None:
            raise NodeError(name, "no filesystem with that name in storage.filesystems")
        if not fs.format or fs.format in ("swap", "none"):
            raise NodeError(name, f"filesystem {fs.device} has no mountable format")
        found.append((name, fs))
    return found


def _apply_on_filesystem(config: Config, name: str, fs: Any, device: str, accounts: Accounts | None, journal: Journal, settings: Any, actions: ActionLog) -> None:
    """2.x: nodes on a named filesystem go to its root, mounted on a temporary directory."""
    import tempfile

    from ignite.system.mounts import mount, umount

    mountpoint = tempfile.mkdtemp(prefix="ignite-fs-")
    try:
        mount(device, mountpoint, fs.format, fs.mount_options)
        try:
            fs_root = Root(mountpoint)
            entries = plan_nodes(config.storage, fs_root, filesystem=name)
            NodeWriter(fs_root, accounts, journal, settings, actions.record, journal_prefix=f"fs.{name}.").apply(entries)
        finally:
            umount(mountpoint)
    finally:
        os.rmdir(mountpoint)
