"""`ignite status` and `ignite report`: the CLI side of the report (docs/report.md); their
options are in cli.py's table."""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from ignite.errors import UsageError

if TYPE_CHECKING:
    import argparse


def status_command(args: argparse.Namespace) -> int:
    from ignite import status

    state, report, where = status.find(args.root, args.state_file, args.config_cache)
    if args.format == "json":
        sys.stdout.write(status.render_json(state, report, where))
    else:
        sys.stdout.write(status.render_text(state, report, where, long=args.long, timings=args.timings))
    return status.EXIT[state]


def report_command(args: argparse.Namespace) -> int:
    from ignite import record
    from ignite.report import current_report, render

    if args.platform is None:
        from pathlib import Path

        from ignite import cmdline

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
