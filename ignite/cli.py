"""The `ignite` command line: argument parsing only; each command imports what it needs
when it runs, so `ignite validate` does not pay for the stages and vice versa.

Exit codes: 0 success, 1 the config or the machine said no, 2 usage or I/O error, and 70
for an internal error (a bug: one line, the traceback only with --debug).

`ignite translate` policy: the translated config is always written (stdout or -o), and
every field the target version cannot express is reported on stderr, one line each. If
there is any such field the exit code is 1, so a script never mistakes a lossy
translation for an equivalent one.
"""
from __future__ import annotations

import os
import sys

from ignite import __version__, distro
from ignite.errors import ConfigError, IgniteError, UsageError, format_path

# argparse and typing are left out of start-up: a boot stage with nothing to do (`ignite
# run`, parsed by hand like `ignite validate`) must start within 25 ms of the interpreter.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from pathlib import Path
    from typing import Any, NoReturn


def _path(text: str) -> Path:
    # pathlib and logging are left out of `ignite validate`'s start-up; only run/apply need them.
    from pathlib import Path

    return Path(text)


# --- the option table --------------------------------------------------------------------
# Every command and option, once. argparse (help, errors, the unusual) and the fast path
# that the boot units and `ignite validate` take (no argparse: it pulls in shutil, bz2,
# lzma and locale for its help formatter) are both built from it, so they cannot disagree.


class Option:
    """One option or positional argument. kind: "str", "path" (a Path from argparse, a str
    from the fast path), "float", "flag" (store_true), or a tuple of choices. `many`: a
    positional taking one or more values, or an option that may be repeated."""

    __slots__ = ("flags", "dest", "kind", "default", "text", "required", "metavar", "many")

    def __init__(self, flags: str, dest: str, kind: str | tuple[str, ...] = "str", default: Any = None,
                 text: str = "", *, required: bool = False, metavar: str | None = None, many: bool = False) -> None:
        self.flags = tuple(flags.split("/"))  # "-o/--output"; a name without dashes is positional
        self.dest = dest
        self.kind = kind
        self.default = default
        self.text = text
        self.required = required
        self.metavar = metavar
        self.many = many

    @property
    def positional(self) -> bool:
        return not self.flags[0].startswith("-")


class Command:
    """A subcommand: its help line, description, options, handler (a cmd_* name) and
    whether the fast path may parse it."""

    __slots__ = ("help", "description", "options", "handler", "fast")

    def __init__(self, help: str, description: str, options: tuple[Option, ...], handler: str, *,
                 fast: bool = False) -> None:
        self.help, self.description, self.options, self.handler, self.fast = help, description, options, handler, fast


# Accepted before and after the command.
COMMON = (
    Option("-v/--verbose", "verbose", "flag", text="log what is done to stderr"),
    Option("--debug", "debug", "flag", text="debug logging; tracebacks for bugs"),
)
COMMANDS: dict[str, Command] = {
    "validate": Command(
        "check configs and list every error and warning",
        "Check Ignition configs (every spec version) and print every error and "
        "warning as FILE:LINE:COL: error|warning: message (at $.json.path). "
        "Without a position: FILE: error: message. --format json prints a list with one "
        "{{file, valid, entries: [{{kind, message, path, line, column}}]}} per file. "
        "Exit 0 if all are valid, 1 if any is invalid, 2 if a file cannot be read.",
        (
            Option("files", "files", many=True, metavar="FILE", text="config file, or - for stdin"),
            Option("--format", "format", ("text", "json"), "text", "output format (default: text)"),
        ),
        "cmd_validate",
        fast=True,
    ),
    "translate": Command(
        "upgrade (or downgrade) a config to another spec version",
        "Translate a config of any version to spec VERSION (default: the newest, "
        "{newest}) and print it as JSON. Every field the target cannot express is reported on "
        "stderr; the output is still written, and the exit code is then 1.",
        (
            Option("file", "file", metavar="FILE", text="config file, or - for stdin"),
            Option("--to", "target", "str", "{newest}", "target spec version: {targets} (default: {newest})",
                   metavar="VERSION"),
            Option("-o/--output", "output", metavar="OUT", text="write here instead of stdout"),
            Option("--allow-experimental", "allow_experimental", "flag", text="allow --to {experimental}"),
            Option("-d/--files-dir", "files_dir", metavar="DIR",
                   text="Butane: where local and trees are read (as butane -d)"),
            Option("--strict", "strict", "flag", text="Butane: fail on warnings (as butane --strict)"),
            Option("-p/--pretty", "pretty", "flag", text="Butane: indent the output (as butane -p)"),
        ),
        "cmd_translate",
    ),
    "run": Command(
        "run one boot stage (as the dracut units do)",
        "Run one boot stage. Defaults are the initramfs ones.",
        (
            Option("--stage", "stage", required=True,
                   text="fetch-offline, fetch, kargs, disks, mount, files or umount"),
            Option("--platform", "platform",
                   text="platform id (default: ignition.platform.id from the kernel command line)"),
            Option("--root", "root", "path", distro.ROOT, "target root (default: %(default)s)"),
            Option("--config-cache", "config_cache", "path", distro.CONFIG_CACHE,
                   "rendered config cache (default: %(default)s)"),
            Option("--state-file", "state_file", "path", distro.STATE_FILE,
                   "state shared between stages (default: %(default)s)"),
            Option("--neednet", "neednet", "path", distro.NEEDNET_FILE,
                   "flag file written when the config needs network (default: %(default)s)"),
            Option("--cmdline", "cmdline", "path", distro.CMDLINE_FILE,
                   "kernel command line to read (default: %(default)s)"),
            Option("--config", "config", "path", text="config file for --platform file"),
            Option("--fetch-timeout", "fetch_timeout", "float", distro.FETCH_TIMEOUT,
                   "how long to wait for the user config (default: %(default)s)", metavar="SECONDS"),
        ),
        "cmd_run",
        fast=True,
    ),
    "apply": Command(
        "run every stage in one process against a directory root and image files",
        "Apply a config to a directory root (image builds, demos, tests). Devices the "
        "config names can be mapped to image files or loop devices with --device-map.",
        (
            Option("config", "config", "path", metavar="CONFIG"),
            Option("--root", "root", "path", required=True, text="target root directory"),
            Option("--device-map", "device_map", many=True, metavar="CFGDEV=IMAGE_OR_DEV",
                   text="use IMAGE_OR_DEV wherever the config says CFGDEV (repeatable)"),
        ),
        "cmd_apply",
    ),
    "status": Command(
        "was this machine provisioned, when, by which config, and where the time went",
        "Read the report ignite left in the root (or, in the initramfs, the boot record) and say "
        "whether the machine was provisioned (docs/report.md). Exit 0 provisioned, 1 failed, "
        "2 usage or I/O error, 3 never provisioned, 4 provisioning under way.",
        (
            Option("--root", "root", "str", "/", "the provisioned root (default: %(default)s)"),
            Option("--state-file", "state_file", "str", distro.STATE_FILE,
                   "the initramfs state file, whose boot record is read when the root has no report "
                   "(default: %(default)s)"),
            Option("--config-cache", "config_cache", "str", distro.CONFIG_CACHE,
                   "the initramfs config cache (default: %(default)s)"),
            Option("--format", "format", ("text", "json"), "text", "output format (default: text)"),
            Option("--long", "long", "flag", text="list every action and fetch"),
            Option("--timings", "timings", "flag", text="where the first boot's time went, slowest first"),
        ),
        "cmd_status",
    ),
    "report": Command(
        "print this boot's report so far; with --push, POST it to ignite.report.url",
        "Render the boot record as the report (docs/report.md) on stdout. With --push, POST it to "
        "ignite.report.url= from the kernel command line instead (the failure unit does this); a push "
        "never fails the command.",
        (
            Option("--state-file", "state_file", "str", distro.STATE_FILE, "default: %(default)s"),
            Option("--config-cache", "config_cache", "str", distro.CONFIG_CACHE, "default: %(default)s"),
            Option("--cmdline", "cmdline", "str", distro.CMDLINE_FILE, "default: %(default)s"),
            Option("--platform", "platform", text="platform id to name (default: from the kernel command line)"),
            Option("--result", "result", ("success", "failure", "running"),
                   text="the outcome to report (default: failure if the record has one, else running)"),
            Option("--push", "push", "flag", text="POST the report to ignite.report.url"),
        ),
        "cmd_report",
    ),
    "plan": Command(
        "what a first boot would do here (disks, filesystems, files, users, units), changing nothing",
        "Plan CONFIG as `ignite apply` and a boot would, against a root directory and devices (or image "
        "files, attached read-only), and print what would happen (docs/plan.md). Exit 0 the boot would "
        "succeed, 1 it would fail (the boot's message), 2 usage or I/O error.",
        (
            Option("config", "config", "path", metavar="CONFIG"),
            Option("--root", "root", "path", "/", "target root directory (default: %(default)s)"),
            Option("--device-map", "device_map", many=True, metavar="CFGDEV=IMAGE_OR_DEV",
                   text="read IMAGE_OR_DEV wherever the config says CFGDEV (repeatable)"),
            Option("--platform", "platform", text="platform id the boot would have"),
            Option("--format", "format", ("text", "json"), "text", "output format (default: text)"),
            Option("--fetch", "fetch", "flag", text="fetch and verify every remote resource (nothing is written)"),
        ),
        "cmd_plan",
    ),
}


def _parser_class() -> type[argparse.ArgumentParser]:
    import argparse

    class _Parser(argparse.ArgumentParser):
        """argparse exits with 2 on bad usage itself; we want one code path for messages."""

        def error(self, message: str) -> NoReturn:
            command = self.prog.removeprefix("ignite").strip()
            raise UsageError(f"{command + ': ' if command else ''}{message} (see {self.prog} --help)")

    return _Parser


def _add_option(parser: argparse.ArgumentParser, option: Option, words: dict[str, str], suppress: Any = None) -> None:
    kwargs: dict[str, Any] = {"help": option.text.format(**words)}
    if option.kind == "flag":
        kwargs.update(action="store_true", default=False if suppress is None else suppress)
    else:
        if option.metavar:
            kwargs["metavar"] = option.metavar
        if isinstance(option.kind, tuple):
            kwargs["choices"] = option.kind
        elif option.kind != "str":
            kwargs["type"] = _path if option.kind == "path" else float
        if option.positional:
            kwargs["nargs"] = "+" if option.many else None
        else:
            default = option.default.format(**words) if isinstance(option.default, str) else option.default
            kwargs.update(default=[] if option.many else default, required=option.required, dest=option.dest)
            if option.many:
                kwargs["action"] = "append"
    parser.add_argument(*option.flags, **kwargs)

def _version_text() -> str:
    """`ignite --version`: the release and the config spec versions it accepts."""
    from ignite.config.versions import EXPERIMENTAL, LEGACY_V2, NEWEST, V1, V3

    stable = [V1, *LEGACY_V2, *(v for v in V3 if v != EXPERIMENTAL)]
    return (f"ignite {__version__}\n"
            f"Ignition config spec versions accepted: {', '.join(stable)} (newest {NEWEST}), "
            f"and {EXPERIMENTAL} (experimental)")


def _version_action() -> type[argparse.Action]:
    import argparse

    class _Version(argparse.Action):
        """Prints _version_text() as it is (argparse's own action rewraps it into one paragraph)."""

        def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                     values: Any, option_string: str | None = None) -> None:
            print(_version_text())
            parser.exit()

    return _Version


def build_parser() -> argparse.ArgumentParser:
    import argparse

    from ignite.config.versions import EXPERIMENTAL, NEWEST, V3

    words = {"newest": NEWEST, "experimental": EXPERIMENTAL, "targets": ", ".join(V3)}
    _Parser = _parser_class()
    # SUPPRESS keeps a subcommand's default from overwriting a flag given before it.
    common = argparse.ArgumentParser(add_help=False)
    for option in COMMON:
        _add_option(common, option, words, suppress=argparse.SUPPRESS)

    parser = _Parser(
        prog="ignite",
        description="First-boot provisioning in the spirit of CoreOS Ignition.",
        parents=[common],
        epilog="Exit codes: 0 success, 1 the config or the machine said no, 2 usage or I/O error, "
        "70 an internal error (a bug).",
    )
    parser.add_argument("--version", action=_version_action(), nargs=0, default=argparse.SUPPRESS,
                        help="print the version and the spec versions it accepts, and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, command in COMMANDS.items():
        p = sub.add_parser(name, parents=[common], help=command.help, description=command.description.format(**words))
        for option in command.options:
            _add_option(p, option, words)
        p.set_defaults(func=globals()[command.handler])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        args = _quick_args(argv) or build_parser().parse_args(argv)
        verbose, debug = getattr(args, "verbose", False), getattr(args, "debug", False)
        # `run` sets logging up only when it runs a stage, not for a stage with nothing to do.
        if (verbose or debug) and args.command != "run" or args.command == "apply":
            _setup_logging(verbose, debug)
        if args.command is None:
            build_parser().print_help(sys.stderr)
            return 2
        return int(args.func(args))
    except IgniteError as e:
        print(f"ignite: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("ignite: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except Exception as e:  # noqa: BLE001 - the last line of defence: report a bug, not a traceback
        print(f"ignite: internal error (this is a bug): {type(e).__name__}: {e}"
              + ("" if debug else " (run with --debug for the traceback)"), file=sys.stderr)
        if debug:
            import traceback

            traceback.print_exc()
        return 70


def main_and_exit() -> NoReturn:
    """main(), then the end of the process without the interpreter's teardown, which frees
    every loaded module's objects one by one: 4.6 million instructions of a fetch-offline
    stage's 66 (about 0.07 s of CPU under TCG, where the boot's one vCPU is never idle).
    The initramfs's `ignite` (dracut/30ignite/ignite.py.in) ends this way. What the
    teardown does that matters is done first: the atexit callbacks (logging's flush, a
    weakref.finalize) and the standard streams' buffers. A non-daemon thread still
    running, or a stream that cannot be flushed, gets the ordinary exit."""
    status = main()
    threading = sys.modules.get("threading")
    if threading is not None and any(t.is_alive() and not t.daemon and t is not threading.main_thread()
                                     for t in threading.enumerate()):
        sys.exit(status)
    import atexit

    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(status)
    os._exit(status)


class Args:
    """Parsed arguments, as argparse.Namespace holds them (and equal to one with the same
    values), without importing argparse."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)

    def __eq__(self, other: object) -> bool:
        return vars(self) == vars(other)

    def __getattr__(self, name: str) -> Any:
        # Only reached for an attribute that was never set: as argparse's Namespace.
        raise AttributeError(name)

    if TYPE_CHECKING:

        def __setattr__(self, name: str, value: Any) -> None: ...

    def __repr__(self) -> str:
        return f"Args({vars(self)!r})"


def _quick_args(argv: list[str]) -> Args | None:
    """`ignite [-v|--debug]... COMMAND [--option VALUE | --option=VALUE | ARG]...` for a
    command with a fast path, parsed from the option table without argparse (paths stay
    str). Anything unusual (help, unknown options, a bad value) returns None: argparse
    then parses it and gives the error its message."""
    args = Args()
    command: Command | None = None
    options: dict[str, Option] = {}
    positional: Option | None = None
    values: list[str] = []
    rest = iter(argv)
    for arg in rest:
        if arg in ("-v", "--verbose"):
            args.verbose = True
        elif arg == "--debug":
            args.debug = True
        elif command is None:
            command = COMMANDS.get(arg)
            if command is None or not command.fast:
                return None
            args.command, args.func = arg, globals()[command.handler]
            for option in command.options:
                if option.positional:
                    positional = option
                else:
                    options.update(dict.fromkeys(option.flags, option))
                    setattr(args, option.dest, option.default)
        elif arg == "-" or not arg.startswith("-"):
            if positional is None:
                return None
            values.append(arg)
        else:
            name, eq, value = arg.partition("=")
            found = options.get(name)
            if found is None or found.kind == "flag" or found.many:
                return None
            if not eq:
                following = next(rest, None)
                if following is None or following.startswith("-"):
                    return None
                value = following
            setattr(args, found.dest, value)
    if command is None:
        return None
    if positional is not None:
        if not values:
            return None
        setattr(args, positional.dest, values)
    for option in options.values():
        value = getattr(args, option.dest)
        if option.required and not value or isinstance(option.kind, tuple) and value not in option.kind:
            return None
        if option.kind == "float" and value is not None:
            try:
                setattr(args, option.dest, float(value))
            except ValueError:
                return None
    return args


def _setup_logging(verbose: bool, debug: bool) -> None:
    from ignite import log

    log.setup(verbose, debug)  # one set-up for every command


# --- input ---------------------------------------------------------------------------

def read_input(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    try:
        with open(name, "rb") as f:
            return f.read()
    except IsADirectoryError:
        raise UsageError(f"{name}: is a directory, not a config file") from None
    except OSError as e:
        raise UsageError(f"{name}: cannot read: {e.strerror or e}") from None


def display_name(name: str) -> str:
    return "<stdin>" if name == "-" else name


# --- validate ------------------------------------------------------------------------

def cmd_validate(args: argparse.Namespace) -> int:
    worst = 0
    results = []
    for name in args.files:
        shown = display_name(name)
        try:
            data = read_input(name)
        except UsageError as e:
            results.append({"file": shown, "valid": False, "io_error": str(e), "entries": []})
            worst = 2
            print(f"ignite: {e}", file=sys.stderr)
            continue
        entries, valid = validate_bytes(data, shown)
        results.append({"file": shown, "valid": valid, "entries": entries})
        if not valid:
            worst = max(worst, 1)
        if args.format == "text":
            for entry in entries:
                print(format_entry(shown, entry))
    if args.format == "json":
        import json

        print(json.dumps(results, indent=2))
    return worst


def validate_bytes(data: bytes, source: str) -> tuple[list[dict[str, Any]], bool]:
    """Every report entry as a JSON-friendly dict, and the verdict."""
    from ignite.config.parse import parse_report

    result = parse_report(data, source=source)
    valid = result.valid  # not `.config`: building the model is the bulk of start-up
    return _entries_of(result.report, None if valid else result.error), valid


def _entries_of(report: Any, verdict: str | None) -> list[dict[str, Any]]:
    """The report's entries; a rejection without any error entry (empty input, unsupported
    version) gets its verdict as the one error, as ignition-validate prints it."""
    out = [_entry(e.kind, e.message, e.path, e.line, e.column) for e in (report.entries if report else [])]
    if verdict and not any(e["kind"] == "error" for e in out):
        out.append(_entry("error", verdict))
    return out


def _entry(kind: str, message: str, path: tuple = (), line: int | None = None,
           column: int | None = None) -> dict[str, Any]:
    return {"kind": kind, "message": message, "path": list(path), "line": line, "column": column}


def format_entry(shown: str, e: dict[str, Any]) -> str:
    at = f" (at {format_path(tuple(e['path']))})" if e["path"] else ""
    if e["line"] is not None:
        col = e["column"] if e["column"] is not None else 1
        return f"{shown}:{e['line']}:{col}: {e['kind']}: {e['message']}{at}"
    return f"{shown}: {e['kind']}: {e['message']}{at}"


# --- translate -----------------------------------------------------------------------

def cmd_translate(args: argparse.Namespace) -> int:
    import json

    from ignite.config.translate.target import translate_bytes
    from ignite.config.versions import EXPERIMENTAL
    from ignite.config.versions import V3 as TARGETS

    target = args.target
    if target == "3.4.0-experimental":
        raise UsageError("3.4.0-experimental is what Ignition 2.14 called 3.4.0; use --to 3.4.0")
    if target not in TARGETS:
        raise UsageError(f"unknown target version {target!r}; choose one of {', '.join(TARGETS)}")
    if target == EXPERIMENTAL and not args.allow_experimental:
        raise UsageError(f"--to {EXPERIMENTAL} needs --allow-experimental")

    shown = display_name(args.file)
    data = read_input(args.file)
    from ignite.config import butane

    if butane.is_butane_input(data):  # Butane's output, verdict and exit code, like `butane`
        from ignite.config.butane.entry import translate_command

        return translate_command(data, shown, args.files_dir, args.strict, args.pretty, lambda text: (
            _write_atomically(_path(args.output), text) if args.output else sys.stdout.write(text)))
    try:
        out, problems = translate_bytes(data, shown, target)
    except ConfigError as e:
        # Every error, as `ignite validate` shows them, rather than only the first.
        entries = _entries_of(e.report, e.message)
        if not any(x["kind"] == "error" for x in entries):
            raise
        for x in entries:
            print(format_entry(shown, x), file=sys.stderr)
        print(f"ignite: {shown}: not translated: {e.message}", file=sys.stderr)
        return 1
    text = json.dumps(out, indent=2) + "\n"
    if args.output:
        _write_atomically(_path(args.output), text)
    else:
        sys.stdout.write(text)
    for p in problems:
        print(f"{shown}: cannot be represented in {target}: {p}", file=sys.stderr)
    return 1 if problems else 0


def _write_atomically(path: Path, text: str) -> None:
    import tempfile

    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as e:
        raise UsageError(f"{path}: cannot write: {e.strerror or e}") from None


# --- run / apply -----------------------------------------------------------------------

def cmd_run(args: argparse.Namespace | Args) -> int:
    verbose, debug = getattr(args, "verbose", False), getattr(args, "debug", False)
    from ignite.stages import run_idle

    if run_idle(args.stage, config_cache=os.fspath(args.config_cache), state_file=os.fspath(args.state_file),
                platform=args.platform, cmdline_file=os.fspath(args.cmdline), verbose=verbose or debug):
        return 0
    from ignite import log

    log.setup(verbose, debug)  # logging itself only once a module that logs is loaded
    from ignite.stages import StageContext, run_stage

    ctx = StageContext(
        stage=args.stage,
        root=args.root,
        platform=args.platform,
        config_cache=args.config_cache,
        state_file=args.state_file,
        neednet_file=args.neednet,
        cmdline_file=args.cmdline,
        config_file=args.config,
        fetch_timeout=args.fetch_timeout,
    )
    log.get_logger("ignite").info("stage %s: root %s", args.stage, args.root)
    run_stage(ctx)
    return 0


def parse_device_map(items: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for item in items:
        cfgdev, sep, target = item.partition("=")
        if not sep or not cfgdev or not target:
            raise UsageError(f"--device-map {item!r}: expected CFGDEV=IMAGE_OR_DEV")
        if cfgdev in mapping:
            raise UsageError(f"--device-map: {cfgdev} is mapped twice")
        mapping[cfgdev] = target
    return mapping


def cmd_apply(args: argparse.Namespace) -> int:
    device_map = parse_device_map(args.device_map)
    if not args.config.is_file():
        raise UsageError(f"{args.config}: no such config file")
    from ignite.apply import apply

    apply(args.config, args.root, device_map)
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    from ignite.plan_text import plan_command

    return plan_command(args.config, args.root, parse_device_map(args.device_map), platform=args.platform,
                        fmt=args.format, fetch=args.fetch)


# --- status / report ---------------------------------------------------------------------

def cmd_status(args: argparse.Namespace) -> int:
    from ignite.cli_status import status_command

    return status_command(args)


def cmd_report(args: argparse.Namespace) -> int:
    from ignite.cli_status import report_command

    return report_command(args)


if __name__ == "__main__":
    sys.exit(main())
