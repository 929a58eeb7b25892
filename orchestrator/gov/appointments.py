"""预约: a citizen books a window appointment for an item at a hall (镇街 / 区县 便民服务中心), on a working day
in the next two weeks and one of the day's time slots; each hall's slot holds `CAPACITY` citizens unless the
`appointment_capacity` table says otherwise. The front desk sees today's list of its halls."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TypedDict

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from orchestrator.core import audit
from orchestrator.core.clock import now
from orchestrator.core.errors import Conflict, InvalidInput, NotFound, Problem
from orchestrator.core.i18n import _
from orchestrator.gov import calendar_days, citizens, guide
from orchestrator.gov.deadlines import china_date
from orchestrator.identity import groups
from orchestrator.store.models import OrgUnit
from orchestrator.store.portal import Appointment, AppointmentCapacity, AppointmentLoad, Citizen

SLOTS = ("09:00-10:00", "10:00-11:00", "11:00-12:00", "13:30-14:30", "14:30-15:30", "15:30-17:00")
CAPACITY = 4  # citizens per hall and slot, unless appointment_capacity says otherwise
MAX_CAPACITY = 200  # the most an admin may set
DAYS_AHEAD = 14
HALL_LEVELS = ("区县", "镇街")


class Slot(TypedDict):
    slot: str
    capacity: int
    booked: int
    left: int


class AppointmentSummary(TypedDict):
    id: int
    item_code: str
    item_name: str
    hall: str
    hall_name: str
    day: str
    slot: str
    status: str
    citizen_name: str
    phone_masked: str


def days(session: Session, today: date | None = None) -> list[date]:
    """The working days one may book: from tomorrow, within `DAYS_AHEAD` days."""
    calendar = calendar_days.load(session)
    start = today or china_date(now())
    found = [start + timedelta(days=n) for n in range(1, DAYS_AHEAD + 1)]
    return [d for d in found if calendar.is_working_day(d)]


def open_hall(session: Session, code: str, lock: bool = False) -> OrgUnit:
    """An open hall (an org unit of level 区县 or 镇街), else InvalidInput on the field `hall`."""
    unit = session.get(OrgUnit, code or "", with_for_update=lock)
    if unit is None or unit.closed_at is not None or unit.level not in HALL_LEVELS:
        raise InvalidInput(Problem(_("there is no hall {code}", code=code), field="hall"))
    return unit


def _capacity(session: Session, hall: str, slot: str) -> int:
    found = session.get(AppointmentCapacity, (hall, slot))
    return found.capacity if found is not None else CAPACITY


def capacities(session: Session, hall: str) -> dict[str, int]:
    """Each slot's places at `hall` (the default where the hall set none)."""
    open_hall(session, hall)
    return {slot: _capacity(session, hall, slot) for slot in SLOTS}


def set_capacities(session: Session, actor: str, hall: str, wanted: dict[str, int]) -> dict[str, int]:
    """An admin sets a hall's places per slot (0 closes a slot to bookings). Appointments already
    booked stay, even where they now exceed the places."""
    open_hall(session, hall)
    problems = [
        Problem(_("unknown time slot {slot}", slot=slot), field=slot) for slot in wanted if slot not in SLOTS
    ]
    problems += [
        Problem(_("places must be a whole number from 0 to {n}", n=MAX_CAPACITY), field=slot)
        for slot, n in wanted.items()
        if slot in SLOTS and (isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_CAPACITY)
    ]
    if problems:
        raise InvalidInput(problems)
    before = capacities(session, hall)
    for slot, n in wanted.items():
        row = session.get(AppointmentCapacity, (hall, slot))
        if n == CAPACITY and row is not None:
            session.delete(row)
        elif n != CAPACITY and row is None:
            session.add(AppointmentCapacity(hall=hall, slot=slot, capacity=n))
        elif row is not None:
            row.capacity = n
    session.flush()
    after = capacities(session, hall)
    if after != before:
        audit.record(session, "appointment_capacity", actor, before={hall: before}, after={hall: after})
    return after


def slots(session: Session, hall: str, day: date) -> list[Slot]:
    open_hall(session, hall)
    rows = session.execute(
        select(AppointmentLoad.slot, AppointmentLoad.booked).where(
            AppointmentLoad.hall == hall, AppointmentLoad.day == day
        )
    )
    loads: dict[str, int] = {slot: booked for slot, booked in rows}
    out: list[Slot] = []
    for slot in SLOTS:
        capacity, booked = _capacity(session, hall, slot), loads.get(slot, 0)
        out.append({"slot": slot, "capacity": capacity, "booked": booked, "left": max(0, capacity - booked)})
    return out


def book(session: Session, citizen_id: int, code: str, hall: str, day: date, slot: str) -> AppointmentSummary:
    citizen = citizens.get(session, citizen_id)
    item = guide.guide(session, code)
    unit = open_hall(session, hall)
    problems = []
    if not (item["catalog"].get("channels") or {}).get("appointment"):
        problems.append(Problem(_("{item} takes no appointments", item=item["name"]), field="item"))
    if day not in days(session):
        problems.append(Problem(_("choose a working day within the next two weeks"), field="day"))
    if slot not in SLOTS:
        problems.append(Problem(_("choose one of the day's time slots"), field="slot"))
    if problems:
        raise InvalidInput(problems)
    same = session.scalar(
        select(Appointment.id).where(
            Appointment.citizen_id == citizen.id,
            Appointment.item_code == item["code"],
            Appointment.day == day,
            Appointment.status == "booked",
        )
    )
    if same is not None:
        raise Conflict(_("you already booked this item on that day"))
    load = session.get(AppointmentLoad, (hall, day, slot), with_for_update=True)
    if load is None:
        try:
            with session.begin_nested():
                load = AppointmentLoad(hall=hall, day=day, slot=slot, booked=0)
                session.add(load)
                session.flush()
        except IntegrityError:  # another booking made the row first: lock theirs
            load = session.get_one(
                AppointmentLoad, (hall, day, slot), with_for_update=True, populate_existing=True
            )
    if load.booked >= _capacity(session, hall, slot):
        raise Conflict(_("this time slot is full: choose another"))
    load.booked += 1
    row = Appointment(
        citizen_id=citizen.id,
        item_code=item["code"],
        item_name=item["name"],
        hall=unit.code,
        day=day,
        slot=slot,
        status="booked",
        created_at=now(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session, "appointment", citizens.login_name(citizen.phone), after={"id": row.id, "hall": hall}
    )
    return _summary(session, row)


def cancel(session: Session, citizen_id: int, appointment_id: int) -> AppointmentSummary:
    row = session.get(Appointment, appointment_id, with_for_update=True)
    if row is None or row.citizen_id != citizen_id:
        raise NotFound(_("no appointment {id}", id=appointment_id))
    if row.status == "booked":
        _release(session, row)
    return _summary(session, row)


def cancel_booked(session: Session, citizen_id: int) -> int:
    """Cancel a citizen's booked appointments from today on (their account is disabled); how many."""
    rows = session.scalars(
        select(Appointment)
        .where(
            Appointment.citizen_id == citizen_id,
            Appointment.status == "booked",
            Appointment.day >= china_date(now()),
        )
        .with_for_update()
    ).all()
    for row in rows:
        _release(session, row)
    return len(rows)


def _release(session: Session, row: Appointment) -> None:
    """Cancel a booked appointment and give its place back to its slot."""
    row.status, row.cancelled_at = "cancelled", now()
    load = session.get(AppointmentLoad, (row.hall, row.day, row.slot), with_for_update=True)
    if load is not None and load.booked > 0:
        load.booked -= 1


def mine(session: Session, citizen_id: int) -> list[AppointmentSummary]:
    rows = session.scalars(
        select(Appointment)
        .where(Appointment.citizen_id == citizen_id, Appointment.day >= china_date(now()))
        .order_by(Appointment.day, Appointment.slot)
    ).all()
    return [_summary(session, r) for r in rows]


def today(session: Session, user: str, day: date | None = None) -> list[AppointmentSummary]:
    """The day's booked appointments at the halls where `user` works (their org units and below)."""
    paths = [path for _group, path in groups.memberships(session, user)]
    if not paths:
        return []
    rows = session.execute(
        select(Appointment, OrgUnit.path)
        .join(OrgUnit, OrgUnit.code == Appointment.hall)
        .where(Appointment.day == (day or china_date(now())), Appointment.status == "booked")
        .order_by(Appointment.slot, Appointment.id)
    ).all()
    return [_summary(session, a) for a, path in rows if any(path.startswith(p) for p in paths)]


def _summary(session: Session, row: Appointment) -> AppointmentSummary:
    unit = session.get(OrgUnit, row.hall)
    citizen = session.get_one(Citizen, row.citizen_id)  # a disabled citizen's past visits still show
    return {
        "id": row.id,
        "item_code": row.item_code,
        "item_name": row.item_name,
        "hall": row.hall,
        "hall_name": unit.name if unit else row.hall,
        "day": row.day.isoformat(),
        "slot": row.slot,
        "status": row.status,
        "citizen_name": citizen.name,
        "phone_masked": citizens.mask_phone(citizen.phone),
    }
