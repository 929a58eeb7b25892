"""预约 and 上门 / 助跑代办 in the portal: book a window appointment (hall, working day, time slot with the
places left), see and cancel one's appointments; ask for a proxy visit in one's village or grid. The front
desk's today's list is `TodayView` (/appointments/)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from orchestrator.core.errors import Conflict, InvalidInput, NotFound
from orchestrator.gov.online import PROXY_LEVELS

from ..roles import username
from ..web import problems_by_field, service
from . import citizen_id, login_required, page


def _item(code: str, channel: str) -> dict:
    try:
        found = dict(service().guide(code[:200]))
    except NotFound:
        abort(404)
    if not (found["catalog"].get("channels") or {}).get(channel):
        abort(404)
    return found


def _units(levels: tuple[str, ...]) -> list[dict]:
    return [dict(u) for u in service().org_units() if u["level"] in levels]


def _day(text: str | None, days: list[date]) -> date | None:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return days[0] if days and not text else None


@login_required
def appointment(code: str):
    item = _item(code, "appointment")
    halls, days = [dict(u) for u in service().halls()], service().appointment_days()
    values = request.values
    hall = values.get("hall") or next((h["code"] for h in halls if h["level"] == "镇街"), "")
    day = _day(values.get("day"), days)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            service().citizen_book(
                citizen_id() or 0, item["code"], hall, day or date.min, values.get("slot") or ""
            )
        except InvalidInput as exc:
            errors, status = problems_by_field(exc), 422
        except Conflict as exc:
            errors, status = {"slot": str(exc)}, 409
        else:
            flash(_("预约成功，请按时到大厅取号办理"), "success")
            return redirect(url_for("portal.appointments"))
    try:
        slots = service().appointment_slots(hall, day) if day and hall else []
    except InvalidInput:
        slots = []
    return page(
        "appointment.html",
        status,
        item=item,
        halls=halls,
        days=days,
        hall=hall,
        day=day,
        slots=slots,
        chosen=values.get("slot"),
        errors=errors,
    )


@login_required
def appointments():
    return page("appointments.html", rows=service().citizen_appointments(citizen_id() or 0))


@login_required
def cancel(appointment_id: int):
    try:
        service().citizen_cancel_appointment(citizen_id() or 0, appointment_id)
    except NotFound:
        abort(404)
    flash(_("已取消预约"), "success")
    return redirect(url_for("portal.appointments"))


@login_required
def proxy(code: str):
    item = _item(code, "proxy")
    units = _units(PROXY_LEVELS)
    errors: dict[str, str] = {}
    org = request.form.get("org") or ""
    if request.method == "POST":
        try:
            case = service().citizen_request_proxy(
                citizen_id() or 0, item["key"], org, (request.form.get("note") or "").strip() or None
            )
        except InvalidInput as exc:
            errors = problems_by_field(exc)
        else:
            flash(_("已提交上门代办申请，代办员将与您联系"), "success")
            return redirect(url_for("portal.my_case", number=case["case_number"]))
    return page("proxy.html", 422 if errors else 200, item=item, units=units, org=org, errors=errors)


def routes(bp: Blueprint) -> None:
    bp.add_url_rule("/items/<code>/appointment", "appointment", appointment, methods=["GET", "POST"])
    bp.add_url_rule("/appointments", "appointments", appointments)
    bp.add_url_rule("/appointments/<int:appointment_id>/cancel", "cancel", cancel, methods=["POST"])
    bp.add_url_rule("/items/<code>/proxy", "proxy", proxy, methods=["GET", "POST"])


class TodayView(BaseView):
    """今日预约: the appointments of today at the halls where the clerk works."""

    route_base = "/appointments"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        day = _day(request.args.get("day"), []) if request.args.get("day") else None
        rows = service().appointments_today(username() or "", day)
        return self.render_template("onewindow/portal/today.html", rows=rows, day=day)


def register_view(appbuilder: AppBuilder) -> None:
    appbuilder.add_view(
        TodayView,
        "今日预约",
        label=_l("今日预约"),
        icon="fa-calendar-check-o",
        category="办件",
        category_label=_l("办件"),
        category_icon="fa-folder-open",
        menu_cond=lambda: appbuilder.sm.has_access("can_index", "TodayView"),
    )
