"""统计分析 exports: the rows of a breakdown, the grid events or the 考核 table as CSV (UTF-8 with a BOM, so
Excel opens it in Chinese) or XLSX (openpyxl), with a first line saying what was counted."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font

from orchestrator.gov.stats import COLUMNS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

LABELS = {
    "key": _l("编码"),
    "name": _l("名称"),
    "received": _l("收件量"),
    "accepted": _l("受理量"),
    "completed": _l("办结量"),
    "in_progress": _l("在办量"),
    "immediate": _l("即办件"),
    "immediate_share": _l("即办件占比"),
    "on_time": _l("按期办结"),
    "on_time_rate": _l("按期办结率"),
    "early": _l("提前办结"),
    "early_rate": _l("提前办结率"),
    "overdue": _l("超期件"),
    "avg_days": _l("平均用时(工作日)"),
    "p90_days": _l("90%用时(工作日)"),
    "supplemented": _l("补正件"),
    "supplement_rate": _l("补正率"),
    "refused": _l("不予受理"),
    "refusal_rate": _l("不予受理率"),
    "withdrawn": _l("撤件"),
    "withdrawal_rate": _l("撤件率"),
    "evaluations": _l("评价数"),
    "good": _l("好评"),
    "good_rate": _l("好评率"),
    "bad": _l("差评数"),
    "rectified": _l("差评整改"),
    "rectified_rate": _l("差评整改率"),
    "zero_visit": _l("跑零次"),
    "one_visit": _l("跑一次"),
    "reported": _l("上报"),
    "accepted_in_time": _l("2个工作日内受理"),
    "closed": _l("办结"),
    "closed_in_time": _l("7个工作日内办结"),
    "close_rate": _l("办结率"),
    "in_time_rate": _l("按时办结率"),
    "rank": _l("排名"),
    "score": _l("得分"),
    "red": _l("红线"),
}
CASE_COLUMNS = ("key", "name", *COLUMNS)
EVENT_COLUMNS = (
    "key",
    "name",
    "reported",
    "accepted_in_time",
    "closed",
    "closed_in_time",
    "close_rate",
    "in_time_rate",
)


def label(column: str) -> str:
    return str(LABELS.get(column, column))


def cell(value: object) -> object:
    """A value as a spreadsheet cell: text that a spreadsheet would run as a formula is quoted."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def table(rows: Sequence[dict], columns: Sequence[str]) -> list[list]:
    """A header of labels, then one line per row (None stays empty)."""
    out: list[list] = [[label(c) for c in columns]]
    out += [[cell(row.get(c)) for c in columns] for row in rows]
    return out


def as_csv(title: str, lines: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([cell(title)])
    for line in lines:
        writer.writerow(["" if v is None else v for v in line])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def as_xlsx(title: str, lines: list[list], sheet: str) -> bytes:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet[:31]
    ws.append([cell(title)])
    ws["A1"].font = Font(bold=True)
    for i, line in enumerate(lines):
        ws.append(line)
        if i == 0:
            for header in ws[ws.max_row]:
                header.font = Font(bold=True)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
