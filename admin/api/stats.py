"""统计分析 and 考核 over /api/v1/stats: breakdowns of cases (JSON, XLSX, CSV), the cases behind a number,
grid events per platform, the ranked assessment table and its settings. What a user sees follows the org
tree (decided by `orchestrator.service.stats`)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_appbuilder.api import expose, protect
from flask_babel import gettext as _
from marshmallow import fields, validate

from orchestrator.gov.stats import BY, COLUMNS

from .. import stats_export
from ..web import service, username
from .base import COMPONENTS, OneWindowApi, get, load, ok, post
from .schemas import OwSchema, about, maybe

BASES = ["accepted", "completed"]
LEVELS = ["town", "village", "grid", "proxy"]
RATES = [
    "immediate_share",
    "on_time_rate",
    "early_rate",
    "supplement_rate",
    "refusal_rate",
    "withdrawal_rate",
    "good_rate",
    "rectified_rate",
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"
FILE = {"type": "string", "format": "binary"}
BASIS_ABOUT = "accepted: by the day a case was received (default); completed: by the day it closed"


class StatsQuerySchema(OwSchema):
    location = "query"
    by = fields.String(required=True, validate=validate.OneOf(BY))
    start = fields.String(required=True, data_key="from", metadata=about("first day, YYYY-MM-DD"))
    end = fields.String(required=True, data_key="to", metadata=about("last day, YYYY-MM-DD"))
    basis = fields.String(
        load_default="accepted", validate=validate.OneOf(BASES), metadata=about(BASIS_ABOUT)
    )
    org = fields.String(validate=validate.Length(max=64), metadata=about("an org unit code within yours"))


class DrillQuerySchema(OwSchema):
    location = "query"
    start = fields.String(required=True, data_key="from")
    end = fields.String(required=True, data_key="to")
    by = fields.String(load_default="all", validate=validate.OneOf(BY))
    key = fields.String(load_default="", validate=validate.Length(max=500), metadata=about("the row's key"))
    figure = fields.String(load_default="received", validate=validate.Length(max=30))
    basis = fields.String(load_default="accepted", validate=validate.OneOf(BASES))
    org = fields.String(validate=validate.Length(max=64))


class EventsQuerySchema(OwSchema):
    location = "query"
    start = fields.String(required=True, data_key="from")
    end = fields.String(required=True, data_key="to")
    org = fields.String(validate=validate.Length(max=64))


class AssessmentQuerySchema(OwSchema):
    location = "query"
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    period = fields.String(
        required=True,
        validate=validate.Length(max=30),
        metadata=about("2026 · 2026-Q3 · 2026-09 · 2026-W40 · 2026-09-28 · 2026-09-01..2026-09-30"),
    )
    org = fields.String(validate=validate.Length(max=64))


class AssessmentSettingsSchema(OwSchema):
    weights = fields.Dict(
        keys=fields.String(validate=validate.OneOf(RATES)),
        values=fields.Integer(validate=validate.Range(min=0, max=100)),
        required=True,
        metadata=about("rate → percent; the weights add up to 100"),
    )
    threshold = fields.Integer(required=True, validate=validate.Range(min=0, max=100))


def _figures() -> dict[str, fields.Field]:
    out: dict[str, fields.Field] = {}
    for name in COLUMNS:
        if name in RATES:
            out[name] = maybe(fields.Float, "a fraction 0–1; null when nothing to count")
        elif name in ("avg_days", "p90_days"):
            out[name] = maybe(fields.Float, "working days; null without completed cases")
        else:
            out[name] = fields.Integer()
    return out


StatsRowSchema = type(
    "StatsRowSchema", (OwSchema,), {"key": fields.String(), "name": fields.String(), **_figures()}
)


class StatsReportSchema(OwSchema):
    by = fields.String()
    basis = fields.String()
    start = fields.String()
    end = fields.String()
    org = fields.String(metadata=about("the org subtree counted (a path)"))
    rows = fields.List(fields.Nested(StatsRowSchema))
    total = fields.Nested(StatsRowSchema)


class DrilledCaseSchema(OwSchema):
    case_number = maybe(fields.String)
    item_name = fields.String()
    applicant = maybe(fields.String)
    channel = fields.String()
    status = fields.String()
    received_day = fields.String()
    closed_day = maybe(fields.String)
    promised_due = maybe(fields.String)
    days = maybe(fields.Integer)


class DrillSchema(OwSchema):
    figure = fields.String()
    count = fields.Integer()
    truncated = fields.Boolean()
    cases = fields.List(fields.Nested(DrilledCaseSchema))


class EventRowSchema(OwSchema):
    key = fields.String()
    name = fields.String()
    reported = fields.Integer()
    accepted_in_time = fields.Integer()
    closed = fields.Integer()
    closed_in_time = fields.Integer()
    close_rate = maybe(fields.Float)
    in_time_rate = maybe(fields.Float)


class EventReportSchema(OwSchema):
    start = fields.String()
    end = fields.String()
    org = fields.String()
    rows = fields.List(fields.Nested(EventRowSchema))
    total = fields.Nested(EventRowSchema)


class AssessmentRowSchema(OwSchema):
    rank = fields.Integer()
    key = fields.String()
    name = fields.String()
    accepted = fields.Integer()
    completed = fields.Integer()
    rates = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))
    score = fields.Float()
    red = fields.Boolean()


class AssessmentSettingsAnswerSchema(OwSchema):
    weights = fields.Dict(keys=fields.String(), values=fields.Integer())
    threshold = fields.Integer()


class AssessmentSchema(OwSchema):
    level = fields.String()
    start = fields.String()
    end = fields.String()
    org = fields.String()
    settings = fields.Nested(AssessmentSettingsAnswerSchema)
    rows = fields.List(fields.Nested(AssessmentRowSchema))


SCHEMAS = (
    StatsQuerySchema,
    DrillQuerySchema,
    EventsQuerySchema,
    AssessmentQuerySchema,
    AssessmentSettingsSchema,
    StatsRowSchema,
    StatsReportSchema,
    DrilledCaseSchema,
    DrillSchema,
    EventRowSchema,
    EventReportSchema,
    AssessmentRowSchema,
    AssessmentSettingsAnswerSchema,
    AssessmentSchema,
)


def report_of(query: dict[str, Any]) -> Any:
    return service().stats(
        query["by"], query["start"], query["end"], basis=query["basis"], org=query.get("org"), user=username()
    )


def title_of(report: dict) -> str:
    basis = _("按受理日期") if report["basis"] == "accepted" else _("按办结日期")
    return _(
        "统计分析 %(start)s 至 %(end)s，%(basis)s，范围 %(org)s",
        start=report["start"],
        end=report["end"],
        basis=basis,
        org=report["org"],
    )


def download(body: bytes, mimetype: str, name: str) -> Response:
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def case_lines(report: dict) -> list[list]:
    return stats_export.table([*report["rows"], report["total"]], stats_export.CASE_COLUMNS)


def file_name(report: dict, ext: str) -> str:
    return f"stats-{report['by']}-{report['start']}-{report['end']}.{ext}"


class StatsApi(OneWindowApi):
    resource_name = "stats"
    class_permission_name = "StatsApi"
    openapi_spec_component_schemas = (*COMPONENTS, *SCHEMAS)
    method_permission_name = {
        "cases": "get",
        "cases_xlsx": "get",
        "cases_csv": "get",
        "drill": "get",
        "events": "get",
        "assessment": "get",
        "settings": "get",
        "set_settings": "post",
    }
    openapi_spec_methods = {
        "cases": get(
            "A breakdown of cases",
            StatsReportSchema,
            "rows and the total",
            takes=StatsQuerySchema,
            errors=(404, 422),
        ),
        "cases_xlsx": get(
            "The breakdown as an XLSX workbook",
            FILE,
            "the workbook",
            takes=StatsQuerySchema,
            errors=(404, 422),
            media=XLSX,
        ),
        "cases_csv": get(
            "The breakdown as CSV (UTF-8)",
            FILE,
            "the CSV file",
            takes=StatsQuerySchema,
            errors=(404, 422),
            media=CSV,
        ),
        "drill": get(
            "The cases behind one figure of one row",
            DrillSchema,
            "the cases",
            takes=DrillQuerySchema,
            errors=(404, 422),
        ),
        "events": get(
            "Grid events per platform",
            EventReportSchema,
            "rows and the total",
            takes=EventsQuerySchema,
            errors=(404, 422),
        ),
        "assessment": get(
            "The ranked assessment table (考核)",
            AssessmentSchema,
            "the ranking",
            takes=AssessmentQuerySchema,
            errors=(404, 422),
        ),
        "settings": get(
            "The assessment's weights and red threshold", AssessmentSettingsAnswerSchema, "the settings"
        ),
        "set_settings": post(
            "Set the assessment's weights and red threshold",
            AssessmentSettingsAnswerSchema,
            "the settings saved",
            takes=AssessmentSettingsSchema,
            errors=(422,),
        ),
    }

    @expose("/cases", methods=["GET"])
    @protect()
    def cases(self) -> Response:
        """Rows by department, org unit (children of `org`, rolled up), item, channel, clerk, window, proxy,
        month or day; figures as docs/statistics.md defines them."""
        return ok(report_of(load(StatsQuerySchema)))

    @expose("/cases.xlsx", methods=["GET"])
    @protect()
    def cases_xlsx(self) -> Response:
        """The same rows and total as /stats/cases, one line each, Chinese column titles."""
        report = report_of(load(StatsQuerySchema))
        body = stats_export.as_xlsx(title_of(report), case_lines(report), _("统计分析"))
        return download(body, XLSX, file_name(report, "xlsx"))

    @expose("/cases.csv", methods=["GET"])
    @protect()
    def cases_csv(self) -> Response:
        """The same rows and total as /stats/cases."""
        report = report_of(load(StatsQuerySchema))
        return download(
            stats_export.as_csv(title_of(report), case_lines(report)), CSV, file_name(report, "csv")
        )

    @expose("/cases/list", methods=["GET"])
    @protect()
    def drill(self) -> Response:
        """Drill-down: the cases counted in `figure` (a rate gives its numerator's cases) of the row `key`."""
        q = load(DrillQuerySchema)
        return ok(
            service().stats_cases(
                q["start"],
                q["end"],
                by=q["by"],
                key=q["key"],
                figure=q["figure"],
                basis=q["basis"],
                org=q.get("org"),
                user=username(),
            )
        )

    @expose("/events", methods=["GET"])
    @protect()
    def events(self) -> Response:
        """Reported, accepted within 2 and closed within 7 working days, and 办结率, per platform."""
        q = load(EventsQuerySchema)
        return ok(service().stats_events(q["start"], q["end"], org=q.get("org"), user=username()))

    @expose("/assessment", methods=["GET"])
    @protect()
    def assessment(self) -> Response:
        """Towns, villages, grids or proxies ranked by the weighted score; red below the threshold."""
        q = load(AssessmentQuerySchema)
        return ok(service().assessment(q["level"], q["period"], org=q.get("org"), user=username()))

    @expose("/assessment/settings", methods=["GET"])
    @protect()
    def settings(self) -> Response:
        return ok(service().assessment_settings())

    @expose("/assessment/settings", methods=["POST"])
    @protect()
    def set_settings(self) -> Response:
        """Admins only: the weights must add up to 100."""
        body = load(AssessmentSettingsSchema)
        return ok(service().set_assessment_settings(body["weights"], body["threshold"], actor=username()))
