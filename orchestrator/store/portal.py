"""Tables of the citizen channel (网上办 / 掌上办, migration 0016): citizen accounts, SMS verification codes,
the SMS outbox, the link of a case to the citizen who applied online, the citizen's notices (站内信), and
window appointments (预约) with each hall's places per slot."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from orchestrator.store.models import Base


class Citizen(Base):
    """A citizen's portal account: mobile number (the login), real name and resident ID number, and the
    company they may act for (name + 统一社会信用代码)."""

    __tablename__ = "citizen"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    name: Mapped[str] = mapped_column(String(100))
    id_number: Mapped[str] = mapped_column(String(18))
    company_name: Mapped[str | None] = mapped_column(String(200))
    credit_code: Mapped[str | None] = mapped_column(String(18))
    created_at: Mapped[datetime] = mapped_column(DateTime())
    verified_at: Mapped[datetime | None] = mapped_column(DateTime())  # the phone answered a code
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime())


class SmsCode(Base):
    """A verification code sent to a phone for one purpose (register / reset); stored hashed."""

    __tablename__ = "sms_code"
    __table_args__ = (Index("ix_sms_code_phone_purpose", "phone", "purpose", "created_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(16))
    code_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime())
    expires_at: Mapped[datetime] = mapped_column(DateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(DateTime())


class SmsOutbox(Base):
    """A text message handed to the SMS sender; the default sender only writes it here (an admin sees
    them); a real gateway marks `sent_at`."""

    __tablename__ = "sms_outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # code / notice
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime())


class PortalCase(Base):
    """A case applied for online by a citizen: whose it is, the tail of the applicant's ID number or
    company code (for the anonymous 进度查询) and how the result is delivered."""

    __tablename__ = "portal_case"
    __table_args__ = (Index("ix_portal_case_citizen", "citizen_id", "case_id"),)
    case_id: Mapped[int] = mapped_column(ForeignKey("service_case.id"), primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizen.id"))
    tail: Mapped[str] = mapped_column(String(6))
    delivery: Mapped[dict] = mapped_column(JSON)  # {"method": "window"|"courier", "address"?}
    applied_at: Mapped[datetime] = mapped_column(DateTime())


class CitizenNotice(Base):
    """站内信: a notice to a citizen about one of their cases (status change, 补正 request)."""

    __tablename__ = "citizen_notice"
    __table_args__ = (Index("ix_citizen_notice_citizen", "citizen_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizen.id"))
    case_number: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime())
    read_at: Mapped[datetime | None] = mapped_column(DateTime())


class Appointment(Base):
    """预约: a citizen's window appointment for an item at a hall, on a working day and time slot."""

    __tablename__ = "appointment"
    __table_args__ = (Index("ix_appointment_hall_day", "hall", "day", "slot"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizen.id"), index=True)
    item_code: Mapped[str] = mapped_column(String(64))
    item_name: Mapped[str] = mapped_column(String(200))
    hall: Mapped[str] = mapped_column(String(64))  # org unit code
    day: Mapped[date] = mapped_column(Date)
    slot: Mapped[str] = mapped_column(String(16))  # "09:00-10:00"
    status: Mapped[str] = mapped_column(String(16))  # booked / cancelled
    created_at: Mapped[datetime] = mapped_column(DateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime())


class AppointmentLoad(Base):
    """How many appointments a hall's slot of a day holds: the row a booking locks, so that two citizens
    never take the last place twice."""

    __tablename__ = "appointment_load"
    hall: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    slot: Mapped[str] = mapped_column(String(16), primary_key=True)
    booked: Mapped[int] = mapped_column(Integer, default=0)


class AppointmentCapacity(Base):
    """A hall's places per slot, where it differs from the default (`gov.appointments.CAPACITY`)."""

    __tablename__ = "appointment_capacity"
    hall: Mapped[str] = mapped_column(String(64), primary_key=True)
    slot: Mapped[str] = mapped_column(String(16), primary_key=True)
    capacity: Mapped[int] = mapped_column(Integer)
