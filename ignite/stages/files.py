"""The files stage: users and groups, then files, directories and links, then systemd
units and presets, then the result file and ignite's report; in Ignition's order.

Plan first: every node path is resolved inside the root (duplicates refused), owners
named by name are checked against the target and the config's own users and groups,
unit names are checked. Only then does anything change. A journal in the target (see
files_journal) lets a rerun after a crash or a power loss finish the work instead of
failing on it.
"""
from __future__ import annotations

import os
import stat

from ignite import jsonio
from ignite.errors import CommandError, NodeError, ToolMissingError, UsageError
from ignite.log import get_logger
from ignite.record import new_sha256
from ignite.report import ALREADY_RAN, IGNITE_REPORT, RESULT_FILE, ActionLog, current_report, render, result_json
from ignite.root import Root
from ignite.stages.files_journal import JOURNAL, Journal
from ignite.stages.files_nodes import NodeEntry, NodeWriter, check_owners, plan_nodes, write_atomic
from ignite.stages.files_snapshot import account_paths, take_early
from ignite.stages.state import read as read_state

TYPE_CHECKING = False  # not typing's: 3 ms of every files stage's start-up
if TYPE_CHECKING:
    from typing import Any

    from ignite.system.users import Accounts

if TYPE_CHECKING:
    from ignite.config.model import Config, File, Filesystem
    from ignite.resource import FetchSettings
    from ignite.stages import StageContext

log = get_logger("ignite.files")  # not logging: 7 ms at every boot


def run(ctx: StageContext) -> None:
    os.umask(0o022)  # the initramfs default upstream relies on
    actions = ActionLog("files")
    config = ctx.config()
    root = Root(ctx.root)
    if not os.path.isdir(root.path):
        raise UsageError(f"target root {root.path} is not a directory")
    state: dict[str, Any] = dict(read_state(ctx.state_file))

    # plan
    entries = plan_nodes(config.storage, root)
    legacy = legacy_filesystems(config)
    presets = False
    if config.systemd.units:
        from ignite.stages.files_units import check_units, presets_of

        check_units(config.systemd.units)
        presets = bool(presets_of(config.systemd.units))
    accounts = None
    if entries or legacy or config.passwd.users or config.passwd.groups:
        from ignite.system.users import Accounts

        accounts = Accounts(root)
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
    journal = _open_journal(root, config_sha)
    try:
        passwd = None
        if config.passwd.users or config.passwd.groups:
            from ignite.stages.files_users import PasswdWriter

            assert accounts is not None  # made above whenever there are accounts or nodes

            notated = list(state.get("notatedDirectories") or ())
            passwd = PasswdWriter(root, accounts, journal, actions.record, notated)
            passwd.note_ahead(config.passwd)
        # What shadow-utils may make or replace (account files, homes): both the snapshot and
        # the nodes written while it runs (files_alongside) go by it.
        touched = account_paths(root, config.passwd) if passwd is not None else ([], [])
        take_early(journal, root, entries, touched, presets)
        started = journal.start()  # all the above under one sync, before the first change
        try:  # while it runs: what the actions need, loaded and computed, changing nothing
            settings = _fetch_settings(ctx, config) if entries or legacy else None
            _load_action_modules(config, entries)
            meanwhile: list[NodeEntry] = []
            if passwd is not None and entries:
                from ignite.stages.files_alongside import entries_meanwhile

                meanwhile = entries_meanwhile(entries, root, touched, journal)
        finally:
            started()
        writer = None
        if settings is not None:
            assert accounts is not None  # made above whenever there are accounts or nodes
            writer = NodeWriter(root, accounts, journal, settings, actions.record)
        if passwd is not None:
            if writer is not None and meanwhile:  # written while the users' commands run
                from ignite.stages.files_alongside import run_beside

                run_beside(lambda: passwd.apply(config.passwd), writer.ahead(meanwhile), writer.record_ahead)
            else:
                passwd.apply(config.passwd)
        if writer is not None:
            writer.apply(entries)
            for name, fs in legacy:
                device = ctx.device_map.get(fs.device, fs.device)
                _apply_on_filesystem(config, name, fs, device, writer.accounts, journal, writer.settings, actions)
        if config.systemd.units:
            from ignite.stages.files_units import UnitWriter

            UnitWriter(root, journal, actions.record).apply(config.systemd.units)
        if config.storage.luks and not journal.is_done("luks"):
            _write_crypttab(ctx, config, root, journal, state, actions)
        if state.get("providerOutputFiles"):
            _write_provider_files(ctx, config, root, journal, state["providerOutputFiles"], actions)
        _write_result_file(root, journal, state, actions)
    except BaseException:
        journal.close()
        raise
    finish = journal.closing()  # the target's sync runs while the report is written
    try:
        _write_ignite_report(ctx, root, actions.seconds(), config_sha, config.ignition.version)
        _relabel(root, actions)
    finally:
        finish()
    _delete_platform_config(ctx)  # only once the target is durable: a rerun needs the config


# --- crypttab, result file and report -----------------------------------------------------------


def _write_crypttab(
    ctx: StageContext, config: Config, root: Root, journal: Journal, state: dict[str, Any], actions: ActionLog
) -> None:
    from ignite.stages.files_luks import crypttab_entries, forget_persisted_keys
    from ignite.system.luks import luks_uuid
    from ignite.system.users import Accounts

    def uuid_of(device: str) -> str:
        try:
            return luks_uuid(ctx.device_map.get(device, device))
        except CommandError as exc:
            raise NodeError("/etc/crypttab", f"gathering the LUKS UUID of {device}: {exc}") from None

    persisted = state.get("luksPersistKeyFiles") or {}
    entries = crypttab_entries(config.storage.luks, root, persisted, uuid_of)
    writer = NodeWriter(root, Accounts(root), journal, _fetch_settings(ctx, config), actions.record)
    writer.apply(entries)
    forget_persisted_keys(ctx.state_file)
    journal.finish("luks")


def _write_provider_files(
    ctx: StageContext, config: Config, root: Root, journal: Journal, files: list[dict[str, Any]], actions: ActionLog
) -> None:
    """Files a platform asked for (Hyper-V's KVP pools), kept in the state by the fetch stage."""
    from ignite.config.codec import from_json
    from ignite.config.model import File
    from ignite.system.users import Accounts

    entries = []
    for i, data in enumerate(files):
        node = from_json(File, data)
        entries.append(NodeEntry("file", f"provider.{i}", node.path, root.resolve(node.path), node))
    NodeWriter(root, Accounts(root), journal, _fetch_settings(ctx, config), actions.record).apply(entries)


def _write_result_file(root: Root, journal: Journal, state: dict[str, Any], actions: ActionLog) -> None:
    if journal.is_done("result"):
        return
    host = root.resolve(RESULT_FILE)
    root.guard(host)
    fresh = journal.made_anew("result", host)  # no `begin`, no data sync of its own (files_snapshot)
    if not fresh and journal.committed("result", host):
        journal.finish("result")
        return
    previous = old = None
    if not fresh:
        try:
            old = open(host, "rb").read() if stat.S_ISREG(os.lstat(host).st_mode) else None
        except FileNotFoundError:
            pass
    if old is not None and not _is_live_image():
        log.warning(ALREADY_RAN)
        previous = old
    try:
        data = result_json(state.get("fetchedConfigs"), previous)
    except ValueError as exc:
        raise NodeError(RESULT_FILE, f"couldn't unmarshal previous report output: {exc}") from None
    except OSError as exc:  # the boot id: /proc not mounted (an image build in a bare chroot)
        why = f"cannot read the boot id ({exc.filename}: {exc.strerror}); is /proc mounted?"
        raise NodeError(RESULT_FILE, why) from None
    if not fresh:
        journal.begin("result", new_sha256(data).hexdigest(), new_sha256(old or b"").hexdigest())
    # Synced here, with its directory, only when no sync of the target is pending anyway (a
    # files stage with nothing else to do). Else a fresh one waits for that sync; another
    # one's data is synced before its rename (its `begin` must recognise it).
    synced = not journal.sync_pending()
    try:
        write_atomic(root, host, data, 0o600, durable=synced or not fresh, sync_dir=synced)
    except OSError as exc:
        raise NodeError(RESULT_FILE, f"cannot write the result file: {exc.strerror or exc}") from None
    journal.finish("result", synced=synced)
    actions.record("write result file", RESULT_FILE)


def _is_live_image() -> bool:
    from ignite.system.run import run

    try:
        return run("is-live-image", check=False).returncode == 0
    except ToolMissingError:
        return False


def _write_ignite_report(ctx: StageContext, root: Root, seconds: float, config_sha: str, version: str) -> None:
    """The report (docs/report.md): this boot so far, the files stage counted as succeeded
    since writing the report is its last act."""
    from ignite.stages.cache import stage_platform

    report, _ = current_report(ctx.state_file, ctx.config_cache, stage_platform(ctx), result="success",
                               finishing="files", finishing_seconds=seconds, config_sha256=config_sha,
                               config_version=version, read_cache=False)
    host = root.resolve(IGNITE_REPORT)
    root.guard(host)
    try:
        write_atomic(root, host, render(report), 0o600)
    except OSError as exc:
        raise NodeError(IGNITE_REPORT, f"cannot write ignite's report: {exc.strerror or exc}") from None


# --- SELinux --------------------------------------------------------------------------


def _relabel(root: Root, actions: ActionLog) -> None:
    """Only for a target that has SELinux enabled (Debian-like targets have none; upstream
    fails there unless built without relabeling). Paths are those the stage touched."""
    try:
        with open(root.resolve("/etc/selinux/config")) as f:
            text = f.read()
    except (FileNotFoundError, NotADirectoryError):
        return
    settings = dict(
        line.strip().split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#")
    )
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


def _open_journal(root: Root, config_sha: str) -> Journal:
    host = root.resolve(JOURNAL)
    try:
        root.makedirs(os.path.dirname(host))
    except OSError as exc:
        raise NodeError(JOURNAL, f"cannot write the files stage's journal: {exc.strerror or exc}") from None
    root.guard(host)
    return Journal(host, config_sha, sync=lambda: _sync_target(root))


def _sync_target(root: Root) -> None:
    """The target's own writeback: its root's filesystem and those mounted below it."""
    from ignite.system.mounts import sync_tree

    sync_tree(root.path)


def _config_sha256(ctx: StageContext, config: Config) -> str:
    try:
        return new_sha256(ctx.cache_bytes()).hexdigest()
    except OSError:
        from ignite.config import codec

        text = jsonio.dumps(codec.to_json(config), sort_keys=True, separators=(",", ":"))
        return new_sha256(text.encode()).hexdigest()


def _delete_platform_config(ctx: StageContext) -> None:
    """The last step of a successful files stage: the config leaves the platform's store
    (VMware guestinfo, VirtualBox guest property), as upstream's ignition-rmcfg unit."""
    from ignite.stages import DELETE_CONFIG_PLATFORMS
    from ignite.stages.cache import stage_platform

    _delete_local_configs(ctx)
    platform = stage_platform(ctx)
    if platform not in DELETE_CONFIG_PLATFORMS:
        return
    from ignite import providers
    from ignite.resource import FetchSettings

    delete = providers.delete_config_hook(providers.get(platform))
    if delete is not None:
        delete(providers.ProviderContext(providers.canonical(platform), FetchSettings(http_total=ctx.fetch_timeout)))


def _delete_local_configs(ctx: StageContext) -> None:
    """With ignite.delete_local_config=1: the OEM partition's config.ign and the boot
    filesystem's ignition/ go too (providers/local_config.py)."""
    from ignite.stages import DELETE_LOCAL_CONFIG_FLAG

    try:
        with open(ctx.cmdline_file, errors="replace") as f:
            text = f.read()
    except OSError:
        return
    if DELETE_LOCAL_CONFIG_FLAG not in text:
        return
    from ignite import cmdline

    if cmdline.flag(text, DELETE_LOCAL_CONFIG_FLAG):
        from ignite.providers.local_config import delete_local_configs

        delete_local_configs()


def _fetch_settings(ctx: StageContext, config: Config) -> FetchSettings:
    """The config's CAs, proxy and timeouts, and the platform's credentials, as upstream's
    fetcher has them in every stage; a finite deadline per file unless the config sets one."""
    from ignite.providers import credentials_for
    from ignite.resource import FetchSettings
    from ignite.resource.settings import file_settings
    from ignite.stages.cache import stage_platform

    return file_settings(config, base=FetchSettings(credentials=credentials_for(stage_platform(ctx))))


def _load_action_modules(config: Config, entries: list[NodeEntry]) -> None:
    """The modules the actions import on first use (the commands' runner, the fetch pipeline
    and the readers of the contents' schemes), loaded ahead while the journal's first sync
    waits for the disk."""
    from ignite import import_module

    if config.passwd.users or config.passwd.groups:
        import_module("ignite.system.run")
    if not entries:
        return
    from ignite.resource.schemes import load_reader, scheme_of

    by_scheme: dict[str, str] = {}
    for e in entries:
        if e.kind == "file":
            f: File = e.node  # type: ignore[assignment]  # kind "file": a File
            for source in (f.contents.source, *(a.source for a in f.append)):
                if source is not None:
                    by_scheme.setdefault(scheme_of(source), source)
    if by_scheme:
        import_module("ignite.resource.pipeline")
    for source in by_scheme.values():
        load_reader(source, offline=False)


def legacy_filesystems(config: Config) -> list[tuple[str, Filesystem]]:
    """Filesystems that legacy (2.x) nodes name by `filesystem`, other than the root."""
    storage = config.storage
    names: list[str] = []
    for nodes in (storage.directories, storage.files, storage.links):
        for node in nodes:
            if node.filesystem not in (None, "root") and node.filesystem not in names:
                names.append(node.filesystem)
    found: list[tuple[str, Filesystem]] = []
    for name in names:
        fs = next((f for f in storage.filesystems if f.name == name), None)
        if fs is None:
            raise NodeError(name, "no filesystem with that name in storage.filesystems")
        if not fs.format or fs.format in ("swap", "none"):
            raise NodeError(name, f"filesystem {fs.device} has no mountable format")
        found.append((name, fs))
    return found


def _apply_on_filesystem(
    config: Config,
    name: str,
    fs: Filesystem,
    device: str,
    accounts: Accounts,
    journal: Journal,
    settings: FetchSettings,
    actions: ActionLog,
) -> None:
    """2.x: nodes on a named filesystem go to its root, mounted on a temporary directory."""
    from ignite.system.mounts import Mounted

    assert fs.format is not None  # legacy_filesystems refuses a filesystem without a format
    with Mounted(device, "ignite-fs-", fstype=fs.format, options=fs.mount_options) as mountpoint:
        fs_root = Root(mountpoint)
        entries = plan_nodes(config.storage, fs_root, filesystem=name)
        writer = NodeWriter(fs_root, accounts, journal, settings, actions.record, journal_prefix=f"fs.{name}.")
        writer.apply(entries)
