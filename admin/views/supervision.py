"""电子监察 dashboard for supervisors and admins: warnings (提醒 / 黄牌 / 红牌), their count per department as
a bar chart drawn on the server (inline SVG, no script), the open cases by status, and a button that runs
the sweep now (the worker also runs it every hour). The rules live in `orchestrator.supervision`.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from urllib.parse import quote

from flask import flash, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from orchestrator.core.errors import OneWindowError

from ..web import flash_error, service

LEVELS = ("reminder", "yellow", "red")
LEVEL_LABELS = {"reminder": _l("提醒"), "yellow": _l("黄牌"), "red": _l("红牌")}
LEVEL_COLOURS = {"reminder": "#5bc0de", "yellow": "#f0ad4e", "red": "#d9534f"}
RULE_LABELS = {"case": _l("整件时限"), "step": _l("环节时限")}
BEIJING = timedelta(hours=8)
TABLE_LIMIT = 500
# Chart geometry (px): a label column, then the bars; one row per department.
LABEL_W, BAR_W, ROW_H, BAR_H, TOP, RIGHT = 140, 460, 30, 20, 30, 50


def _beijing(iso: str) -> str:
    return (datetime.fromisoformat(iso) + BEIJING).strftime("%Y-%m-%d %H:%M")


def chart(warnings: list[dict], names: dict[str, str]) -> dict:
    """Stacked horizontal bars (提醒, 黄牌, 红牌) per department, busiest first, as SVG geometry."""
    counts = Counter((w["department"] or "", w["level"]) for w in warnings)
    totals = Counter()
    for (dept, _level), n in counts.items():
        totals[dept] += n
    biggest = max(totals.values(), default=0)
    rows = []
    for i, (dept, total) in enumerate(sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))):
        y, x, segments = TOP + i * ROW_H, LABEL_W, []
        for level in LEVELS:
            n = counts.get((dept, level), 0)
            if not n:
                continue
            width = round(BAR_W * n / biggest, 1)
            segments.append(
                {"level": level, "count": n, "x": x, "width": width, "colour": LEVEL_COLOURS[level]}
            )
            x += width
        label = names.get(dept, dept) if dept else _("未指定部门")
        rows.append(
            {"department": dept, "label": label, "y": y, "total": total, "end": x, "segments": segments}
        )
    return {
        "rows": rows,
        "width": LABEL_W + BAR_W + RIGHT,
        "height": TOP + len(rows) * ROW_H + 10,
        "bar_h": BAR_H,
        "label_w": LABEL_W,
        "legend": [(lv, LEVEL_LABELS[lv], LEVEL_COLOURS[lv]) for lv in LEVELS],
    }


class SupervisionView(BaseView):
    """电子监察 (supervisors and admins, admin/roles.py)."""

    route_base = "/supervision"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        ow = service()
        names = {g["code"]: g["name"] for g in ow.groups()}
        warnings = list(reversed(ow.warnings()))  # newest first
        level = request.args.get("level") if request.args.get("level") in LEVELS else None
        department = request.args.get("department")
        shown = [
            w
            for w in warnings
            if (level is None or w["level"] == level)
            and (department is None or (w["department"] or "") == department)
        ]
        for w in shown[:TABLE_LIMIT]:
            w["at_local"] = _beijing(w["at"])
            w["department_name"] = names.get(w["department"], w["department"] or "")
            w["case_url"] = f"/cases/{quote(w['case_number'] or '', safe='')}"
        open_cases = ow.open_cases()
        return self.render_template(
            "onewindow/supervision/index.html",
            warnings=shown[:TABLE_LIMIT],
            shown_total=len(shown),
            totals={lv: sum(1 for w in warnings if w["level"] == lv) for lv in LEVELS},
            chart=chart(warnings, names),
            open_cases=open_cases,
            open_total=sum(c["count"] for c in open_cases),
            level=level,
            department=department,
            department_name=names.get(department, department) if department else None,
            levels=LEVELS,
            level_labels=LEVEL_LABELS,
            rule_labels=RULE_LABELS,
        )

    @expose("/sweep", methods=["POST"])
    @has_access
    def sweep(self):
        try:
            found = service().sweep()
        except OneWindowError as exc:
            flash_error(exc)
        else:
            if found:
                flash(_("督查扫描完成：新增 %(n)s 条预警", n=len(found)), "warning")
            else:
                flash(_("督查扫描完成：没有新的预警"), "success")
        return redirect(url_for("SupervisionView.index"))


def register(appbuilder: AppBuilder) -> None:
    def allowed() -> bool:
        return appbuilder.sm.has_access("can_index", "SupervisionView")

    appbuilder.add_view(
        SupervisionView,
        "电子监察",
        label=_l("电子监察"),
        icon="fa-bell",
        category="督查",
        category_label=_l("督查"),
        category_icon="fa-eye",
        menu_cond=allowed,
    )
