"""Breakdowns: the sums of a period, by department, org unit, item, channel, clerk, window, proxy, month or day,
within an org subtree, with every figure of docs/statistics.md computed from them."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import Any, TypedDict

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from orchestrator.core.errors import InvalidInput, Problem
from orchestrator.core.i18n import Listing, _
from orchestrator.gov import windows
from orchestrator.gov.stats import periods
from orchestrator.gov.stats.aggregate import FINE_DIMS, SCOPE_DEPTH, VILLAGE_MONTH
from orchestrator.store.models import OrgGroup, OrgUnit
from orchestrator.store.stats import MEASURES, SUMS, TOP_BUCKET, StatsAggregate, StatsCase

BY = ("department", "org", "item", "channel", "clerk", "window", "proxy", "month", "day", "all")
BASES = {"accepted": "a", "completed": "c"}
RATES = {  # rate → (numerator, denominator)
    "immediate_share": ("immediate", "received"),
    "on_time_rate": ("on_time", "completed"),
    "early_rate": ("early", "completed"),
    "supplement_rate": ("supplemented", "received"),
    "refusal_rate": ("refused", "received"),
    "withdrawal_rate": ("withdrawn", "received"),
    "good_rate": ("good", "evaluations"),
    "rectified_rate": ("rectified", "bad"),
}
COLUMNS = (  # the order of a row's figures in exports and the terminal
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
    "received",
    "immediate",
    "immediate_share",
    "early",
    "early_rate",
    "avg_days",
    "p90_days",
    "supplemented",
    "supplement_rate",
    "refused",
    "refusal_rate",
    "withdrawn",
    "withdrawal_rate",
    "good",
    "rectified",
    "zero_visit",
    "one_visit",
)


class Breakdown(TypedDict):
    by: str
    basis: str
    start: str
    end: str
    org: str  # the subtree counted ("/" everything)
    rows: list[dict]
    total: dict


def figures(counts: Counter, hist: Counter) -> dict:
    """A row's figures from its summed measures and its histogram of handling days."""
    row: dict = {m: int(counts.get(m, 0)) for m in MEASURES if m != "days_sum"}
    for rate, (num, den) in RATES.items():
        row[rate] = round(counts[num] / counts[den], 4) if counts[den] else None
    done = sum(hist.values())
    row["avg_days"] = round(counts["days_sum"] / done, 2) if done else None
    row["p90_days"] = percentile(hist, 0.9)
    return row


def percentile(hist: Counter, q: float) -> int | None:
    """The nearest-rank percentile of a histogram (value → count): the smallest value with at least q of
    the cases at or below it (the top bucket, 31, stands for 31 working days or more)."""
    total = sum(hist.values())
    if not total:
        return None
    rank = max(1, -(-int(q * total * 10000) // 10000))  # ceil(q·n) without float surprises
    seen = 0
    for value in sorted(hist):
        seen += hist[value]
        if seen >= rank:
            return value
    return None


def _period_filter(start: date, end: date, daily: bool = False):  # noqa: ANN202 - an SQL condition
    """Whole months from the monthly sums, the rest from the daily ones (`daily`: every day, for a trend)."""
    a = StatsAggregate
    months, loose = ([], [(start, end)]) if daily else periods.split(start, end)
    parts = [and_(a.grain == "d", a.day >= first, a.day <= last) for first, last in loose]
    if months:
        parts.append(and_(a.grain == "m", a.day >= months[0], a.day <= months[-1]))
    return or_(*parts)


def histogram_sums(f: Any) -> list:
    """The completed cases per handling-days bucket, summed from facts (as the aggregate keeps them)."""
    return [
        func.sum(case((f.days == i, f.completed), else_=0))
        if i < TOP_BUCKET
        else func.sum(case((f.days >= TOP_BUCKET, f.completed), else_=0))
        for i in range(TOP_BUCKET + 1)
    ]


def fact_sums(
    session: Session, dim: str, basis: str, start: date, end: date, scope: str
) -> tuple[dict, dict, dict]:
    """A breakdown within an area below a town over some days, straight from its cases' facts."""
    f = StatsCase
    key = {
        "department": f.department,
        "item": f.item_code,
        "channel": f.channel,
        "clerk": f.clerk,
        "window": f.window_key,
        "proxy": f.proxy,
    }[dim]
    day = f.received_day if basis == "accepted" else f.closed_day
    query = (
        select(key, func.max(f.item_name), *(func.sum(getattr(f, m)) for m in MEASURES), *histogram_sums(f))
        # a plain prefix (org codes hold no "_" or "%"), so the area's index is used
        .where(day >= start, day <= end, f.org_path.like(scope + "%"), key.is_not(None))
        .group_by(key)
    )
    return _collect(session.execute(query), dim)


def _collect(result: Any, dim: str) -> tuple[dict, dict, dict]:
    sums: dict = defaultdict(Counter)
    hists: dict = defaultdict(Counter)
    names: dict = {}
    width = len(MEASURES)
    for row in result:
        key, name, values = row[0], row[1], row[2:]
        counts = sums[key]
        for m, v in zip(MEASURES, values[:width], strict=True):
            counts[m] += int(v or 0)
        for i, v in enumerate(values[width:]):
            if v:
                hists[key][i] += int(v)
        if name and dim == "item":
            names[key] = name
    return sums, hists, names


def _area_sums(
    session: Session, dim: str, basis: str, start: date, end: date, scope: str
) -> tuple[dict, dict, dict]:
    """Within an area below a town: whole months from its monthly sums, the loose days from its facts."""
    a = StatsAggregate
    table = a.__table__
    months, loose = periods.split(start, end)
    parts = []
    if months:
        parts.append(
            _collect(
                session.execute(
                    select(a.key, func.max(a.name), *(func.sum(table.c[m]) for m in SUMS))
                    .where(
                        a.grain == VILLAGE_MONTH,
                        a.basis == BASES[basis],
                        a.dim == dim,
                        a.scope.like(scope + "%"),  # a plain prefix (org codes hold no "_" or "%")
                        a.day >= months[0],
                        a.day <= months[-1],
                    )
                    .group_by(a.key)
                ),
                dim,
            )
        )
    parts += [fact_sums(session, dim, basis, first, last, scope) for first, last in loose]
    sums: dict = defaultdict(Counter)
    hists: dict = defaultdict(Counter)
    names: dict = {}
    for part_sums, part_hists, part_names in parts:
        for key, counts in part_sums.items():
            sums[key].update(counts)
            hists[key].update(part_hists[key])
        names.update(part_names)
    return sums, hists, names


def _sums(
    session: Session, dim: str, group: str, basis: str, start: date, end: date, scope: str
) -> tuple[dict, dict, dict]:
    if dim not in FINE_DIMS and scope.count("/") - 1 > SCOPE_DEPTH:
        return _area_sums(session, dim, basis, start, end, scope)
    a = StatsAggregate
    group_key = a.day if group in ("day", "daily") else a.key
    table = a.__table__
    query = (
        select(group_key, func.max(a.name), *(func.sum(table.c[m]) for m in SUMS))
        .where(a.dim == dim, a.basis == BASES[basis], _period_filter(start, end, daily=group == "daily"))
        .group_by(group_key)
    )
    if scope != "/":
        query = query.where(a.scope.startswith(scope, autoescape=True))
    return _collect(session.execute(query), dim)


def breakdown(
    session: Session,
    by: str,
    start: date,
    end: date,
    *,
    basis: str = "accepted",
    scope: str = "/",
    parent: str | None = None,
) -> Breakdown:
    """Rows of one breakdown; `scope` is the org subtree counted. For by=org the rows are the children of
    `parent` (a path within the scope; default the scope itself, "/" giving the top units), each rolled up
    over its subtree, and a row for cases received at the parent unit itself."""
    if by not in BY:
        raise InvalidInput(Problem(_("by must be one of {values}", values=Listing(BY)), field="by"))
    if basis not in BASES:
        raise InvalidInput(Problem(_("basis must be one of {values}", values=Listing(BASES)), field="basis"))
    under = parent or scope
    if by == "org" and not under.startswith(scope):
        raise InvalidInput(Problem(_("that org unit is outside what you may see"), field="org"))
    dim = "all" if by in ("month", "day", "all") else by
    group = "daily" if by == "day" else "day" if dim == "all" else "key"
    sums, hists, names = _sums(session, dim, group, basis, start, end, under)
    if by in ("month", "day", "all"):
        merged: dict = defaultdict(Counter)
        merged_hist: dict = defaultdict(Counter)
        for day, counts in sums.items():
            key = "" if by == "all" else day.strftime("%Y-%m") if by == "month" else day.isoformat()
            merged[key].update(counts)
            merged_hist[key].update(hists[day])
        sums, hists = merged, merged_hist
    if by == "org":
        depth = under.count("/")
        own = sums.get(under)
        sums = {k: v for k, v in sums.items() if k.count("/") == depth + 1}
        if own is not None and under != "/":
            rest = Counter(own)
            rest_hist = Counter(hists[under])
            for k in sums:
                rest.subtract(sums[k])
                rest_hist.subtract(hists[k])
            if any(rest.values()):
                sums[under] = rest
                hists[under] = +rest_hist
    labels = _labels(session, by, list(sums), names)
    if by == "org" and under in sums:
        labels[under] = str(_("{unit} itself", unit=labels.get(under, under)))
    rows = []
    for key in sorted(sums, key=lambda k: k if by in ("month", "day", "org") else (labels.get(k) or k)):
        if any(sums[key].values()):
            rows.append({"key": key, "name": labels.get(key, key), **figures(sums[key], hists[key])})
    if by == "all":
        total_counts, total_hist = sums.get("", Counter()), hists.get("", Counter())
    else:
        everything, everything_hist, _names = _sums(session, "all", "key", basis, start, end, under)
        total_counts, total_hist = everything.get("", Counter()), everything_hist.get("", Counter())
    return {
        "by": by,
        "basis": basis,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "org": under,
        "rows": rows,
        "total": {"key": "", "name": str(_("total")), **figures(total_counts, total_hist)},
    }


def _labels(session: Session, by: str, keys: list[str], names: dict[str, str]) -> dict[str, str]:
    if by == "department":
        found = dict(
            session.execute(select(OrgGroup.code, OrgGroup.name).where(OrgGroup.code.in_(keys))).all()
        )
        return {k: found.get(k) or k or str(_("(no department)")) for k in keys}
    if by == "org":
        found = dict(session.execute(select(OrgUnit.path, OrgUnit.name).where(OrgUnit.path.in_(keys))).all())
        return {k: found.get(k, k) for k in keys}
    if by == "window":
        named = windows.names(session, [int(k) for k in keys if k.isdigit()])
        none = str(_("(no window: online, mobile …)"))
        return {k: named.get(int(k), k) if k.isdigit() else none for k in keys}
    if by == "all":
        return {"": str(_("total"))}
    return {k: names.get(k) or k for k in keys}
