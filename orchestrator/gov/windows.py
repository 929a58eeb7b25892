"""窗口: a hall (an org unit of level 区县 or 镇街, its 政务/便民服务中心) has numbered windows — 高桥镇便民服务中心
3号综合窗口. Admins open and close them; a clerk sits at one (我的窗口, remembered until changed), and a case
received at the front desk records the window it was received at, which the statistics break down by.
Cases applied for online, on the phone or at a kiosk have no window."""

from __future__ import annotations

from typing import TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.core import audit
from orchestrator.core.clock import now
from orchestrator.core.errors import Conflict, InvalidInput, NotFound, Problem
from orchestrator.core.i18n import Listing, _
from orchestrator.gov import appointments
from orchestrator.gov.vocabulary import KIOSK, MOBILE, ONLINE, WINDOW
from orchestrator.identity import groups
from orchestrator.store.models import ClerkWindow, OrgUnit, ServiceCase, ServiceWindow

KINDS = ("综合窗口", "出件窗口", "专业窗口")
MAX_NUMBER = 999
HALL_NAMES = {"区县": "政务服务中心", "镇街": "便民服务中心"}
NO_WINDOW_CHANNELS = (ONLINE, MOBILE, KIOSK)  # never received at a window


class WindowSummary(TypedDict):
    id: int
    hall: str
    hall_name: str
    number: int
    kind: str
    name: str  # the full name: hall + number + kind
    open: bool
    closed_at: str | None


def hall_name(unit: OrgUnit) -> str:
    """高桥镇 → 高桥镇便民服务中心 (a unit already named …中心 keeps its name)."""
    if unit.name.endswith("中心"):
        return unit.name
    return unit.name + HALL_NAMES.get(unit.level, "")


def full_name(unit: OrgUnit, number: int, kind: str) -> str:
    return f"{hall_name(unit)} {number}号{kind}"


def summary(window: ServiceWindow, unit: OrgUnit) -> WindowSummary:
    return {
        "id": window.id,
        "hall": window.hall,
        "hall_name": hall_name(unit),
        "number": window.number,
        "kind": window.kind,
        "name": full_name(unit, window.number, window.kind),
        "open": window.closed_at is None and unit.closed_at is None,
        "closed_at": window.closed_at.isoformat(timespec="seconds") if window.closed_at else None,
    }


def names(session: Session, ids: list[int]) -> dict[int, str]:
    """Full names of these windows (open or closed), for statistics."""
    rows = session.execute(
        select(ServiceWindow, OrgUnit)
        .join(OrgUnit, OrgUnit.code == ServiceWindow.hall)
        .where(ServiceWindow.id.in_(ids))
    )
    return {w.id: full_name(u, w.number, w.kind) for w, u in rows}


def listing(session: Session, hall: str | None = None, include_closed: bool = False) -> list[WindowSummary]:
    """Windows by hall and number (open ones only unless `include_closed`)."""
    query = select(ServiceWindow, OrgUnit).join(OrgUnit, OrgUnit.code == ServiceWindow.hall)
    if hall:
        query = query.where(ServiceWindow.hall == hall)
    if not include_closed:
        query = query.where(ServiceWindow.closed_at.is_(None), OrgUnit.closed_at.is_(None))
    rows = session.execute(query.order_by(OrgUnit.path, ServiceWindow.number, ServiceWindow.id))
    return [summary(w, u) for w, u in rows]


def _number_taken(session: Session, hall: str, number: int, but: int | None = None) -> bool:
    query = select(ServiceWindow.id).where(
        ServiceWindow.hall == hall, ServiceWindow.number == number, ServiceWindow.closed_at.is_(None)
    )
    if but is not None:
        query = query.where(ServiceWindow.id != but)
    return session.scalar(query) is not None


def add(session: Session, hall: str, number: object, kind: str, actor: str | None) -> WindowSummary:
    """A new window of a hall: a number from 1 to MAX_NUMBER that no open window of the hall has, a kind of
    KINDS (every problem listed). Audited."""
    problems = []
    unit = None
    try:
        # the hall's row, locked: one new window at a time per hall
        unit = appointments.open_hall(session, hall, lock=True)
    except InvalidInput as exc:
        problems += exc.problems
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= MAX_NUMBER:
        problems.append(
            Problem(_("a window number is a whole number from 1 to {n}", n=MAX_NUMBER), field="number")
        )
    elif unit is not None and _number_taken(session, unit.code, number):
        problems.append(
            Problem(_("window {number} of this hall is already open", number=number), field="number")
        )
    if kind not in KINDS:
        problems.append(Problem(_("kind must be one of {values}", values=Listing(KINDS)), field="kind"))
    if problems or unit is None or not isinstance(number, int):
        raise InvalidInput(problems)
    window = ServiceWindow(hall=unit.code, number=number, kind=kind, created_at=now())
    session.add(window)
    session.flush()
    found = summary(window, unit)
    audit.record(session, "window_add", actor, after={"id": window.id, "name": found["name"]})
    return found


def _get(session: Session, window_id: int, lock: bool = False) -> tuple[ServiceWindow, OrgUnit]:
    window = session.get(ServiceWindow, window_id, with_for_update=lock)
    if window is None:
        raise NotFound(_("there is no window {id}", id=window_id))
    return window, session.get_one(OrgUnit, window.hall)


def close(session: Session, window_id: int, actor: str | None) -> WindowSummary:
    """Close a window: no case is received at it any more, clerks sitting at it choose again; the cases it
    received keep it (and their statistics). Audited."""
    window, unit = _get(session, window_id, lock=True)
    if window.closed_at is not None:
        raise Conflict(_("{name} is already closed", name=full_name(unit, window.number, window.kind)))
    window.closed_at = now()
    seated = session.scalars(select(ClerkWindow).where(ClerkWindow.window_id == window.id)).all()
    for seat in seated:
        session.delete(seat)
    session.flush()
    found = summary(window, unit)
    audit.record(
        session,
        "window_close",
        actor,
        before={"id": window.id, "seated": sorted(s.username for s in seated)},
        after={"id": window.id, "name": found["name"], "closed": True},
    )
    return found


def reopen(session: Session, window_id: int, actor: str | None) -> WindowSummary:
    window, unit = _get(session, window_id, lock=True)
    if window.closed_at is None:
        raise Conflict(_("{name} is open", name=full_name(unit, window.number, window.kind)))
    appointments.open_hall(session, unit.code, lock=True)
    if _number_taken(session, unit.code, window.number, but=window.id):
        raise Conflict(_("window {number} of this hall is already open", number=window.number))
    window.closed_at = None
    session.flush()
    found = summary(window, unit)
    audit.record(session, "window_reopen", actor, after={"id": window.id, "name": found["name"]})
    return found


def _works_in(session: Session, user: str | None, unit: OrgUnit) -> bool:
    """Whether the hall is one of the user's org units or below one (as 今日预约 counts halls)."""
    if not user:
        return False
    return any(unit.path.startswith(path) for _group, path in groups.memberships(session, user))


def check(session: Session, user: str | None, window_id: object) -> tuple[ServiceWindow, OrgUnit]:
    """An open window of an open hall where `user` works; anything else refused (InvalidInput, field window)."""
    if isinstance(window_id, bool) or not isinstance(window_id, int):
        raise InvalidInput(Problem(_("window must be the id of a window (a whole number)"), field="window"))
    window = session.get(ServiceWindow, window_id)
    if window is None:
        raise InvalidInput(Problem(_("there is no window {id}", id=window_id), field="window"))
    unit = session.get_one(OrgUnit, window.hall)
    name = full_name(unit, window.number, window.kind)
    if window.closed_at is not None or unit.closed_at is not None:
        raise InvalidInput(Problem(_("{name} is closed", name=name), field="window"))
    if not _works_in(session, user, unit):
        raise InvalidInput(
            Problem(_("{name} is not a window of a hall you work in", name=name), field="window")
        )
    return window, unit


def choices(session: Session, user: str) -> list[WindowSummary]:
    """The open windows of the halls where `user` works."""
    return [w for w in listing(session) if _works_in(session, user, session.get_one(OrgUnit, w["hall"]))]


def mine(session: Session, user: str) -> WindowSummary | None:
    """我的窗口, while it is still open and in a hall where the user works."""
    seat = session.get(ClerkWindow, user)
    if seat is None:
        return None
    try:
        window, unit = check(session, user, seat.window_id)
    except InvalidInput:
        return None
    return summary(window, unit)


def choose(session: Session, user: str, window_id: int | None) -> WindowSummary | None:
    """Sit at a window (None: at none). Audited."""
    seat = session.get(ClerkWindow, user, with_for_update=True)
    before = seat.window_id if seat is not None else None
    found = None
    if window_id is None:
        if seat is not None:
            session.delete(seat)
    else:
        window, unit = check(session, user, window_id)
        found = summary(window, unit)
        if seat is None:
            session.add(ClerkWindow(username=user, window_id=window.id, chosen_at=now()))
        else:
            seat.window_id, seat.chosen_at = window.id, now()
    session.flush()
    if before != window_id:
        audit.record(session, "window_seat", user, before={"window": before}, after={"window": window_id})
    return found


def received_at(session: Session, user: str | None, window_id: object) -> int | None:
    """Which window a case about to be received is received at: the one given (checked), else the user's
    window if they sit at one; None for none."""
    if window_id is not None:
        return check(session, user, window_id)[0].id
    seat = mine(session, user) if user else None
    return seat["id"] if seat else None


def record(session: Session, case_number: str | None, window_id: int | None, given: bool) -> None:
    """Set the window on a case just received. A window given for a case applied for online, on the phone or
    at a kiosk is refused; the clerk's own window is only recorded on cases received at the window (窗口)."""
    if window_id is None or case_number is None:
        return
    case = session.scalars(select(ServiceCase).where(ServiceCase.case_number == case_number)).one()
    if case.channel in NO_WINDOW_CHANNELS:
        if given:
            raise InvalidInput(
                Problem(_("a case applied for {channel} has no window", channel=case.channel), field="window")
            )
        return
    if not given and case.channel != WINDOW:
        return
    case.window_id = window_id
