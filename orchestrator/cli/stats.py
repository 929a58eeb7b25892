"""`onewindow stats`: the rows of a breakdown in the terminal (all figures with --json)."""

from __future__ import annotations

import argparse
import unicodedata

from orchestrator.cli.commands import Finished
from orchestrator.core.clock import now
from orchestrator.core.i18n import _
from orchestrator.gov.deadlines import china_date
from orchestrator.service import OneWindow

SHOWN = (
    "accepted",
    "completed",
    "in_progress",
    "on_time",
    "overdue",
    "on_time_rate",
    "evaluations",
    "good_rate",
    "bad",
    "rectified_rate",
)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cell(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value * 100:.1f}%"
    return str(value)


def table(rows: list[dict]) -> str:
    """A plain text table; rates as percentages, a missing rate as —."""
    header = ["name", *SHOWN]
    lines = [header, *([str(r["name"]), *(_cell(r[c]) for c in SHOWN)] for r in rows)]
    widths = [max(_width(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for line in lines:
        cells = [line[0] + " " * (widths[0] - _width(line[0]))]
        cells += [" " * (widths[i] - _width(v)) + v for i, v in enumerate(line[1:], 1)]
        out.append("  ".join(cells))
    return "\n".join(out)


def stats(ow: OneWindow, args: argparse.Namespace) -> Finished:
    if args.recount:
        counted = ow.stats_recount()
        return Finished({"recounted": counted}, 0, str(_("recounted {n} cases", n=counted)))
    today = china_date(now())  # without --from / --to: this year up to today
    start, end = args.start or today.replace(month=1, day=1).isoformat(), args.end or today.isoformat()
    report = ow.stats(args.by, start, end, basis=args.basis, org=args.org, user=args.user)
    basis = _("by acceptance date") if report["basis"] == "accepted" else _("by completion date")
    title = f"{report['start']} – {report['end']}, {basis}, {report['org']}"
    text = "\n".join([title, table([*report["rows"], report["total"]])])
    return Finished(report, 0, text)
