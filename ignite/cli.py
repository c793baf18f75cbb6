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

import sys

from ignite import __version__
from ignite.errors import ConfigError, IgniteError, UsageError

# argparse and typing are left out of start-up: a boot stage with nothing to do (`ignite
# run`, parsed by hand like `ignite validate`) must start within 25 ms of the interpreter.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from pathlib import Path
    from typing import Any, Sequence

from ignite.config.translate.target import EXPERIMENTAL, NEWEST
from ignite.config.translate.target import TARGETS as TRANSLATE_TARGETS


def _path(text: str) -> Path:
    # pathlib and logging are left out of `ignite validate`'s start-up; only run/apply need them.
    from pathlib import Path

    return Path(text)


def _parser_class() -> type[argparse.ArgumentParser]:
    import argparse

    class _Parser(argparse.ArgumentParser):
        """argparse exits with 2 on bad usage itself; we want one code path for messages."""

        def error(self, message: str) -> None:  # type: ignore[override]
            command = self.prog.removeprefix("ignite").strip()
            raise UsageError(f"{command + ': ' if command else ''}{message} (see {self.prog} --help)")

    return _Parser


def build_parser() -> argparse.ArgumentParser:
    import argparse

    _Parser = _parser_class()
    # Accepted before and after the command; SUPPRESS keeps a subcommand's default from
    # overwriting a flag given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="log what is done to stderr")
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="debug logging; tracebacks for bugs")

    parser = _Parser(
        prog="ignite",
        description="First-boot provisioning in the spirit of CoreOS Ignition.",
        parents=[common],
        epilog="Exit codes: 0 success, 1 the config or the machine said no, 2 usage or I/O error, "
        "70 an internal error (a bug).",
    )
    parser.add_argument("--version", action="version", version=f"ignite {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser(
        "validate",
        parents=[common],
        help="check configs and list every error and warning",
        description="Check Ignition configs (every spec version) and print every error and "
        "warning as FILE:LINE:COL: error|warning: message (at $.json.path). "
        "Without a position: FILE: error: message. --format json prints a list with one "
        "{file, valid, entries: [{kind, message, path, line, column}]} per file. "
        "Exit 0 if all are valid, 1 if any is invalid, 2 if a file cannot be read.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="config file, or - for stdin")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "translate",
        parents=[common],
        help="upgrade (or downgrade) a config to another spec version",
        description="Translate a config of any version to spec VERSION (default: the newest, "
        f"{NEWEST}) and print it as JSON. Every field the target cannot express is reported on "
        "stderr; the output is still written, and the exit code is then 1.",
    )
    p.add_argument("file", metavar="FILE", help="config file, or - for stdin")
    p.add_argument("--to", dest="target", default=NEWEST, metavar="VERSION",
                   help=f"target spec version: {', '.join(TRANSLATE_TARGETS)} (default: {NEWEST})")
    p.add_argument("-o", "--output", metavar="OUT", help="write here instead of stdout")
    p.add_argument("--allow-experimental", action="store_true", help=f"allow --to {EXPERIMENTAL}")
    p.set_defaults(func=cmd_translate)

    p = sub.add_parser(
        "run",
        parents=[common],
        help="run one boot stage (as the dracut units do)",
        description="Run one boot stage. Defaults are the initramfs ones.",
    )
    p.add_argument("--stage", required=True, help="fetch-offline, fetch, kargs, disks, mount, files or umount")
    p.add_argument("--platform", help="platform id (default: ignition.platform.id from the kernel command line)")
    p.add_argument("--root", type=_path, default="/sysroot", help="target root (default: /sysroot)")
    p.add_argument("--config-cache", type=_path, default="/run/ignition.json",
                   help="rendered config cache (default: /run/ignition.json)")
    p.add_argument("--state-file", type=_path, default="/run/ignition/state",
                   help="state shared between stages (default: /run/ignition/state)")
    p.add_argument("--neednet", type=_path, default="/run/ignition/neednet",
                   help="flag file written when the config needs network (default: /run/ignition/neednet)")
    p.add_argument("--cmdline", type=_path, default="/proc/cmdline",
                   help="kernel command line to read (default: /proc/cmdline)")
    p.add_argument("--config", type=_path, help="config file for --platform file")
    p.add_argument("--fetch-timeout", type=float, default=120.0, metavar="SECONDS",
                   help="how long to wait for the user config (default: 120)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "apply",
        parents=[common],
        help="run every stage in one process against a directory root and image files",
        description="Apply a config to a directory root (image builds, demos, tests). Devices the "
        "config names can be mapped to image files or loop devices with --device-map.",
    )
    p.add_argument("config", type=_path, metavar="CONFIG")
    p.add_argument("--root", type=_path, required=True, help="target root directory")
    p.add_argument("--device-map", action="append", default=[], metavar="CFGDEV=IMAGE_OR_DEV",
                   help="use IMAGE_OR_DEV wherever the config says CFGDEV (repeatable)")
    p.set_defaults(func=cmd_apply)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        args = _quick_validate_args(argv) or _quick_run_args(argv) or build_parser().parse_args(argv)
        verbose, debug = getattr(args, "verbose", False), getattr(args, "debug", False)
        # `run` sets logging up only when it runs a stage, not for a stage with nothing to do.
        if (verbose or debug) and args.command != "run" or args.command == "apply":
            _setup_logging(verbose, debug)
        if args.command is None:
            build_parser().print_help(sys.stderr)
            return 2
        return args.func(args)
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


def _quick_validate_args(argv: list[str]) -> argparse.Namespace | None:
    """The common `ignite validate [--format F] FILE...` without building the parser: argparse
    pulls in shutil, bz2, lzma and locale for its help formatter, a quarter of validate's
    start-up. Anything unusual (help, unknown options, errors) goes to argparse."""
    if not argv or argv[0] != "validate":
        return None
    import argparse

    args = argparse.Namespace(command="validate", func=cmd_validate, format="text", files=[])
    rest = iter(argv[1:])
    for arg in rest:
        if arg in ("-v", "--verbose"):
            args.verbose = True
        elif arg == "--debug":
            args.debug = True
        elif arg == "--format":
            args.format = next(rest, None)
        elif arg.startswith("--format="):
            args.format = arg.partition("=")[2]
        elif arg == "-" or not arg.startswith("-"):
            args.files.append(arg)
        else:
            return None
    if args.format not in ("text", "json") or not args.files:
        return None
    return args


class _RunArgs:
    """`ignite run`'s arguments as argparse would give them, but paths as str."""

    def __init__(self) -> None:
        self.command, self.func = "run", cmd_run
        self.stage: str | None = None
        self.platform: str | None = None
        self.root, self.config_cache = "/sysroot", "/run/ignition.json"
        self.state_file, self.neednet = "/run/ignition/state", "/run/ignition/neednet"
        self.cmdline, self.config = "/proc/cmdline", None
        self.fetch_timeout = 120.0


_RUN_OPTIONS = {
    "--stage": "stage", "--platform": "platform", "--root": "root", "--config-cache": "config_cache",
    "--state-file": "state_file", "--neednet": "neednet", "--cmdline": "cmdline", "--config": "config",
    "--fetch-timeout": "fetch_timeout",
}


def _quick_run_args(argv: list[str]) -> _RunArgs | None:
    """`ignite [-v] run --stage NAME [--option VALUE | --option=VALUE]...`, as the boot units
    call it, without argparse. Help, unknown options and errors go to argparse."""
    args = _RunArgs()
    rest = iter(argv)
    command = None
    for arg in rest:
        if arg in ("-v", "--verbose"):
            args.verbose = True
        elif arg == "--debug":
            args.debug = True
        elif command is None:
            if arg != "run":
                return None
            command = arg
        else:
            name, eq, value = arg.partition("=")
            if name not in _RUN_OPTIONS:
                return None
            if not eq:
                value = next(rest, None)
                if value is None or value.startswith("-"):
                    return None
            setattr(args, _RUN_OPTIONS[name], value)
    if command is None or not args.stage:
        return None
    try:
        args.fetch_timeout = float(args.fetch_timeout)
    except ValueError:
        return None
    return args


def _setup_logging(verbose: bool, debug: bool) -> None:
    from ignite import log

    log.setup(verbose, debug)  # one set-up for every command (it also quiets urllib3's URL lines)


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
    from ignite.config.report import format_path

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
            for e in entries:
                print(format_entry(shown, e, format_path))
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


def format_entry(shown: str, e: dict[str, Any], format_path: Any) -> str:
    at = f" (at {format_path(tuple(e['path']))})" if e["path"] else ""
    if e["line"] is not None:
        col = e["column"] if e["column"] is not None else 1
        return f"{shown}:{e['line']}:{col}: {e['kind']}: {e['message']}{at}"
    return f"{shown}: {e['kind']}: {e['message']}{at}"


# --- translate -----------------------------------------------------------------------

def cmd_translate(args: argparse.Namespace) -> int:
    import json

    from ignite.config.translate.target import translate_bytes

    target = args.target
    if target == "3.4.0-experimental":
        raise UsageError("3.4.0-experimental is what Ignition 2.14 called 3.4.0; use --to 3.4.0")
    if target not in TRANSLATE_TARGETS:
        raise UsageError(f"unknown target version {target!r}; choose one of {', '.join(TRANSLATE_TARGETS)}")
    if target == EXPERIMENTAL and not args.allow_experimental:
        raise UsageError(f"--to {EXPERIMENTAL} needs --allow-experimental")

    shown = display_name(args.file)
    data = read_input(args.file)
    try:
        out, problems = translate_bytes(data, shown, target)
    except ConfigError as e:
        # Every error, as `ignite validate` shows them, rather than only the first.
        from ignite.config.report import format_path

        entries = _entries_of(e.report, e.message)
        if not any(x["kind"] == "error" for x in entries):
            raise
        for x in entries:
            print(format_entry(shown, x, format_path), file=sys.stderr)
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
    import os
    import tempfile

    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as e:
        raise UsageError(f"{path}: cannot write: {e.strerror or e}") from None


# --- run / apply -----------------------------------------------------------------------

def cmd_run(args: argparse.Namespace | _RunArgs) -> int:
    import os

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
    try:
        from ignite.apply import apply
    except ModuleNotFoundError as e:
        if e.name != "ignite.apply":
            raise
        raise UsageError("ignite apply is not available in this build yet (ignite.apply is missing)") from None
    apply(args.config, args.root, device_map)
    return 0


if __name__ == "__main__":
    sys.exit(main())
