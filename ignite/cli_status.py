"""`ignite status` and `ignite report`: the CLI side of the report (docs/report.md)."""
from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

DEFAULT_ROOT = "/"
DEFAULT_STATE_FILE = "/run/ignition/state"
DEFAULT_CONFIG_CACHE = "/run/ignition.json"
DEFAULT_CMDLINE = "/proc/cmdline"


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "status",
        parents=[common],
        help="was this machine provisioned, when, by which config, and where the time went",
        description="Read the report ignite left in the root (or, in the initramfs, the boot "
        "record) and say whether the machine was provisioned. Exit 0 provisioned, 1 failed, "
        "2 usage or I/O error, 3 never provisioned, 4 provisioning under way.",
    )
    p.add_argument("--root", default=DEFAULT_ROOT, help="the provisioned root (default: /)")
    p.add_argument("--state-file", default=DEFAULT_STATE_FILE,
                   help=f"the initramfs state file, whose boot record is read when the root has no report "
                   f"(default: {DEFAULT_STATE_FILE})")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    p.add_argument("--long", action="store_true", help="list every action and fetch")
    p.add_argument("--timings", action="store_true", help="where the first boot's time went, slowest first")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser(
        "report",
        parents=[common],
        help="print this boot's report so far; with --push, POST it to ignite.report.url",
        description="Render the boot record as the report (docs/report.md) on stdout. With --push, "
        "POST it to ignite.report.url= from the kernel command line instead (the failure unit does "
        "this); a push never fails the command.",
    )
    p.add_argument("--state-file", default=DEFAULT_STATE_FILE, help=f"default: {DEFAULT_STATE_FILE}")
    p.add_argument("--config-cache", default=DEFAULT_CONFIG_CACHE, help=f"default: {DEFAULT_CONFIG_CACHE}")
    p.add_argument("--cmdline", default=DEFAULT_CMDLINE, help=f"default: {DEFAULT_CMDLINE}")
    p.add_argument("--platform", help="platform id to name in the report")
    p.add_argument("--result", choices=("success", "failure", "running"), default=None,
                   help="the outcome to report (default: failure if the record has one, else running)")
    p.add_argument("--push", action="store_true", help="POST the report to ignite.report.url")
    p.set_defaults(func=cmd_report)


def cmd_status(args: argparse.Namespace) -> int:
    from ignite import status

    state, report, where = status.find(args.root, args.state_file)
    if args.format == "json":
        sys.stdout.write(status.render_json(state, report, where))
    else:
        sys.stdout.write(status.render_text(state, report, where, long=args.long, timings=args.timings))
    return status.EXIT[state]


def cmd_report(args: argparse.Namespace) -> int:
    from ignite import record
    from ignite.report import current_report, render

    if args.platform is None:
        from pathlib import Path

        from ignite import cmdline
        from ignite.errors import UsageError

        try:
            args.platform = cmdline.platform_id(cmdline.values(cmdline.read(Path(args.cmdline))))
        except UsageError:
            args.platform = None
    result = args.result
    if result is None:
        events = record.read(record.path_for(args.state_file))
        result = "failure" if any(e.get("event") == "failure" for e in events) else "running"
    if args.push:
        from ignite import log
        from ignite.report_push import push, report_url

        log.setup(True, getattr(args, "debug", False))
        url, budget = report_url(args.cmdline)
        if url is None:
            print("ignite: report: no ignite.report.url on the kernel command line; nothing pushed", file=sys.stderr)
            return 0
        report, cas = current_report(args.state_file, args.config_cache, args.platform, result=result)
        push(url, render(report), cas=cas, budget=budget)
        return 0
    report, _ = current_report(args.state_file, args.config_cache, args.platform, result=result)
    sys.stdout.buffer.write(render(report))
    return 0
