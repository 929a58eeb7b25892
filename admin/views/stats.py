"""统计分析 (dashboard) and 考核 (assessment) for leaders and supervisors: a period picker (day, week, month,
quarter, year or a range; by acceptance or completion date, stated on the page), figures as tiles and a
table where every number links to its cases, ECharts charts (trend, departments, towns, the org tree),
XLSX/CSV downloads; the ranked assessment table, printable and exportable, with weights admins set.
What a user sees follows the org tree (`orchestrator.service.stats`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from orchestrator.core.errors import InvalidInput, NotAllowed, OneWindowError
from orchestrator.gov.stats import parse_period

from .. import stats_export
from ..roles import role_names
from ..web import flash_error, service, username

KINDS = {
    "day": _l("日"),
    "week": _l("周"),
    "month": _l("月"),
    "quarter": _l("季"),
    "year": _l("年"),
    "range": _l("自定义"),
}
BASES = {"accepted": _l("按受理日期"), "completed": _l("按办结日期")}
BYS = {
    "department": _l("部门"),
    "org": _l("区域"),
    "item": _l("事项"),
    "channel": _l("渠道"),
    "clerk": _l("收件人"),
    "window": _l("窗口"),
    "proxy": _l("代办员"),
    "month": _l("月份"),
}
LEVELS = {"town": _l("镇街"), "village": _l("村社"), "grid": _l("网格"), "proxy": _l("代办员")}
TILES = (
    "received",
    "accepted",
    "completed",
    "in_progress",
    "on_time_rate",
    "overdue",
    "good_rate",
    "rectified_rate",
)
TABLE = ("received", "accepted", "completed", "in_progress", "on_time", "overdue", "on_time_rate", "avg_days",
         "p90_days", "supplement_rate", "refusal_rate", "evaluations", "good_rate", "bad", "rectified_rate",
         "zero_visit", "one_visit")  # fmt: skip
RATE_NAMES = ("on_time_rate", "good_rate", "rectified_rate", "early_rate", "immediate_share", "supplement_rate",
              "refusal_rate", "withdrawal_rate")  # fmt: skip
TREND_DAYS = 62  # a longer period is drawn by month


def _today() -> date:
    return (datetime.utcnow() + timedelta(hours=8)).date()


def period_text(kind: str, anchor: date) -> str:
    """The period of a kind that holds `anchor`, as parse_period reads it."""
    if kind == "day":
        return anchor.isoformat()
    if kind == "week":
        year, week, _day = anchor.isocalendar()
        return f"{year}-W{week:02d}"
    if kind == "quarter":
        return f"{anchor.year}-Q{(anchor.month - 1) // 3 + 1}"
    if kind == "year":
        return str(anchor.year)
    return anchor.strftime("%Y-%m")


def picked() -> dict[str, Any]:
    """The period, basis, org and breakdown the page was asked for (defaults: this month, by acceptance)."""
    args = request.args
    kind = args.get("kind") if args.get("kind") in KINDS else "month"
    basis = args.get("basis") if args.get("basis") in BASES else "accepted"
    by = args.get("by") if args.get("by") in BYS else "department"
    try:
        anchor = date.fromisoformat(args.get("date") or "")
    except ValueError:
        anchor = _today()
    if kind == "range":
        start, end = args.get("from") or anchor.isoformat(), args.get("to") or anchor.isoformat()
    else:
        first, last = parse_period(period_text(kind, anchor))
        start, end = first.isoformat(), last.isoformat()
    return {"kind": kind, "date": anchor.isoformat(), "from": start, "to": end, "basis": basis, "by": by,
            "org": args.get("org") or ""}  # fmt: skip


def link(endpoint: str, query: dict[str, Any], **more: Any) -> str:
    """The endpoint's URL (`fmt`, if given, is its path part) with the page's choices as the query."""
    fmt = more.pop("fmt", None)
    values = {k: v for k, v in {**query, **more}.items() if v not in (None, "")}
    base = url_for(endpoint, fmt=fmt) if fmt else url_for(endpoint)
    return base + "?" + urlencode(values)


def rate(value: Any) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def shown(name: str, value: Any) -> str:
    if name in RATE_NAMES:
        return rate(value)
    return "—" if value is None else str(value)


class StatsView(BaseView):
    """统计分析 and 考核 (Supervisor and Admin, admin/roles.py)."""

    route_base = "/stats"
    default_view = "index"

    def _report(self, q: dict[str, Any], by: str) -> dict:
        return service().stats(
            by, q["from"], q["to"], basis=q["basis"], org=q["org"] or None, user=username()
        )

    @expose("/")
    @has_access
    def index(self):
        q = picked()
        ow = service()
        try:
            table = self._report(q, q["by"])
            days = (date.fromisoformat(q["to"]) - date.fromisoformat(q["from"])).days + 1
            trend = self._report(q, "day" if days <= TREND_DAYS else "month")
            departments = self._report(q, "department")
            towns = self._report(q, "org")
        except (InvalidInput, NotAllowed) as exc:
            flash_error(exc)
            return redirect(url_for("StatsView.index"))
        scope = table["org"]
        units = [u for u in ow.org_units() if u["path"].startswith(scope) or scope == "/"]
        drill = lambda by, key, figure: link("StatsView.cases", q, by=by, key=key, figure=figure)  # noqa: E731
        chart_data = {
            "trend": {
                "labels": [r["key"] for r in trend["rows"]],
                "received": [r["received"] for r in trend["rows"]],
                "completed": [r["completed"] for r in trend["rows"]],
                "urls": [drill(trend["by"], r["key"], "received") for r in trend["rows"]],
            },
            "departments": {
                "labels": [r["name"] for r in departments["rows"]],
                "values": [r["received"] for r in departments["rows"]],
                "urls": [drill("department", r["key"], "received") for r in departments["rows"]],
            },
            "towns": {
                "labels": [r["name"] for r in towns["rows"]],
                "values": [r["received"] for r in towns["rows"]],
                "urls": [drill("org", r["key"], "received") for r in towns["rows"]],
            },
            "tree": self._tree(units, scope, towns),
            "labels": {"received": _("收件量"), "completed": _("办结量")},
        }
        return self.render_template(
            "onewindow/stats/index.html",
            q=q,
            kinds=KINDS,
            bases=BASES,
            bys=BYS,
            report=table,
            tiles=TILES,
            columns=TABLE,
            labels=stats_export.LABELS,
            shown=shown,
            drill=drill,
            units=units,
            scope_name=next((u["name"] for u in units if u["path"] == scope), _("全部")),
            chart=chart_data,
            xlsx=link("StatsView.export", q, fmt="xlsx"),
            csv=link("StatsView.export", q, fmt="csv"),
            assessment_url=url_for("StatsView.assessment"),
        )

    @staticmethod
    def _tree(units: list[dict], scope: str, towns: dict) -> dict:
        """The org tree under the scope, each town sized by its received cases (a map-like overview)."""
        counts = {r["key"]: r["received"] for r in towns["rows"]}
        nodes: dict[str, dict] = {}
        root: dict = {"name": _("全部"), "children": []}
        for unit in sorted(units, key=lambda u: u["path"]):
            value = counts.get(unit["path"])
            node = {"name": unit["name"] + (f" ({value})" if value is not None else ""), "children": []}
            nodes[unit["path"]] = node
            parent = unit["path"][: unit["path"].rstrip("/").rfind("/") + 1]
            if unit["path"] == scope:
                root = node
            elif parent in nodes:
                nodes[parent]["children"].append(node)
            elif scope == "/":
                root["children"].append(node)
        return root

    @expose("/cases")
    @has_access
    def cases(self):
        """The cases behind a number (drill-down)."""
        q = picked()
        by, key, figure = (
            request.args.get("by") or "all",
            request.args.get("key") or "",
            request.args.get("figure") or "received",
        )
        try:
            found = service().stats_cases(q["from"], q["to"], by=by, key=key, figure=figure, basis=q["basis"],
                                          org=q["org"] or None, user=username())  # fmt: skip
        except (InvalidInput, NotAllowed) as exc:
            flash_error(exc)
            return redirect(url_for("StatsView.index"))
        return self.render_template(
            "onewindow/stats/cases.html", q=q, found=found, figure_label=stats_export.label(found["figure"]),
            key=key, by=by, bases=BASES, back=link("StatsView.index", q),
        )  # fmt: skip

    @expose("/export.<fmt>")
    @has_access
    def export(self, fmt: str):
        if fmt not in ("xlsx", "csv"):
            abort(404)
        q = picked()
        try:
            report = self._report(q, q["by"])
        except (InvalidInput, NotAllowed) as exc:
            flash_error(exc)
            return redirect(url_for("StatsView.index"))
        basis = BASES[report["basis"]]
        title = _("统计分析 %(start)s 至 %(end)s，%(basis)s，范围 %(org)s", start=report["start"], end=report["end"],
                  basis=basis, org=report["org"])  # fmt: skip
        lines = stats_export.table([*report["rows"], report["total"]], stats_export.CASE_COLUMNS)
        name = f"stats-{report['by']}-{report['start']}-{report['end']}.{fmt}"
        if fmt == "csv":
            body, mimetype = stats_export.as_csv(title, lines), "text/csv"
        else:
            body, mimetype = stats_export.as_xlsx(title, lines, _("统计分析")), stats_export.XLSX
        return Response(
            body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )

    # -- 考核 -------------------------------------------------------------------------------------------
    def _assessment(self) -> tuple[dict, dict]:
        level = request.args.get("level") if request.args.get("level") in LEVELS else "town"
        period = (request.args.get("period") or str(_today().year)).strip()
        return {"level": level, "period": period, "org": request.args.get("org") or ""}, service().assessment(
            level, period, org=request.args.get("org") or None, user=username()
        )

    @expose("/assessment")
    @has_access
    def assessment(self):
        try:
            q, table = self._assessment()
        except (InvalidInput, NotAllowed) as exc:
            flash_error(exc)
            return redirect(url_for("StatsView.assessment"))
        only = request.args.get("row")
        rows = [r for r in table["rows"] if not only or r["key"] == only]
        return self.render_template(
            "onewindow/stats/assessment.html", q=q, table=table, rows=rows, levels=LEVELS, rate=rate,
            labels=stats_export.LABELS, is_admin="Admin" in role_names(), printing=bool(only),
            xlsx=link("StatsView.assessment_export", q, fmt="xlsx"), csv=link("StatsView.assessment_export", q, fmt="csv"),
            row_link=lambda key: link("StatsView.assessment", q, row=key),
        )  # fmt: skip

    @expose("/assessment/export.<fmt>")
    @has_access
    def assessment_export(self, fmt: str):
        if fmt not in ("xlsx", "csv"):
            abort(404)
        try:
            q, table = self._assessment()
        except (InvalidInput, NotAllowed) as exc:
            flash_error(exc)
            return redirect(url_for("StatsView.assessment"))
        weights = list(table["settings"]["weights"])
        columns = ["rank", "key", "name", "accepted", "completed", *weights, "score", "red"]
        rows = [{**r, **r["rates"], "red": _("是") if r["red"] else ""} for r in table["rows"]]
        title = _(
            "考核 %(level)s %(start)s 至 %(end)s",
            level=LEVELS[q["level"]],
            start=table["start"],
            end=table["end"],
        )
        lines = stats_export.table(rows, columns)
        name = f"assessment-{q['level']}-{table['start']}-{table['end']}.{fmt}"
        if fmt == "csv":
            body, mimetype = stats_export.as_csv(title, lines), "text/csv"
        else:
            body, mimetype = stats_export.as_xlsx(title, lines, _("考核")), stats_export.XLSX
        return Response(
            body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )

    @expose("/assessment/settings", methods=["POST"])
    @has_access
    def assessment_settings(self):
        """Admins set the weights (percent per rate, adding up to 100) and the red threshold."""
        if "Admin" not in role_names():
            abort(403)
        weights: dict[str, object] = {}
        for name in RATE_NAMES:
            text = (request.form.get(f"w_{name}") or "").strip()
            if text:
                weights[name] = int(text) if text.isdigit() else text
        threshold_text = (request.form.get("threshold") or "").strip()
        threshold: object = int(threshold_text) if threshold_text.isdigit() else threshold_text
        try:
            service().set_assessment_settings(weights, threshold, actor=username())
        except OneWindowError as exc:
            flash_error(exc)
        else:
            flash(_("考核权重已保存"), "success")
        return redirect(url_for("StatsView.assessment", **{k: v for k, v in request.args.items()}))


def register(appbuilder: AppBuilder) -> None:
    def allowed() -> bool:
        return appbuilder.sm.has_access("can_index", "StatsView")

    appbuilder.add_view(StatsView, "统计分析", label=_l("统计分析"), icon="fa-bar-chart", category="督查",
                        category_label=_l("督查"), category_icon="fa-eye", menu_cond=allowed)  # fmt: skip
    appbuilder.add_link("考核", label=_l("考核"), href="/stats/assessment", icon="fa-trophy", category="督查",
                        category_label=_l("督查"), category_icon="fa-eye", cond=allowed)  # fmt: skip
