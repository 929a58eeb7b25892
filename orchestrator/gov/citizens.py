"""Citizen accounts of the portal: registration with mobile number, password (the staff policy), real name
and resident ID number (check digit verified), a verification code sent through `identity.sms`; login
behind the same failure lock as staff (`identity.logins`, under the name "citizen:<phone>"); password reset
by code; the company a citizen acts for (name + 统一社会信用代码)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta
from typing import TypedDict

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from orchestrator.core import audit
from orchestrator.core.clock import now
from orchestrator.core.errors import Conflict, InvalidInput, NotFound, Problem
from orchestrator.core.i18n import _
from orchestrator.deploy import formats
from orchestrator.identity import logins, passwords, sms
from orchestrator.identity.logins import LoginState
from orchestrator.store.portal import Citizen, SmsCode

CODE_MINUTES = 10
CODE_GAP = timedelta(seconds=60)  # one code per phone and purpose a minute
CODES_A_DAY = 10
CODE_ATTEMPTS = 5
PURPOSES = {"register": "注册", "reset": "重置密码"}
MAX_NAME = 50


class CitizenSummary(TypedDict):
    id: int
    phone: str
    phone_masked: str
    name: str
    id_number_masked: str
    tail: str
    company_name: str | None
    credit_code: str | None
    verified: bool


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


def mask_id(number: str) -> str:
    """ "330203199001011234" → "330***********1234": region kept, birth date hidden."""
    return number[:3] + "*" * max(0, len(number) - 7) + number[-4:] if len(number) > 7 else "****"


def summary(c: Citizen) -> CitizenSummary:
    return {
        "id": c.id,
        "phone": c.phone,
        "phone_masked": mask_phone(c.phone),
        "name": c.name,
        "id_number_masked": mask_id(c.id_number),
        "tail": c.id_number[-6:].upper(),
        "company_name": c.company_name,
        "credit_code": c.credit_code,
        "verified": c.verified_at is not None,
    }


def login_name(phone: str) -> str:
    return f"citizen:{(phone or '').strip()[:20]}"


# -- passwords (scrypt, standard library) ------------------------------------------------------------
def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt${salt.hex()}${digest.hex()}"


def password_matches(stored: str, password: str) -> bool:
    try:
        _kind, salt, digest = stored.split("$")
        found = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=2**14, r=8, p=1, dklen=32)
    except ValueError:
        return False
    return hmac.compare_digest(found.hex(), digest)


_DUMMY = hash_password("a password nobody has 1!")


# -- checks ------------------------------------------------------------------------------------------
def phone_problems(phone: str) -> list[Problem]:
    if not re.fullmatch(formats.PATTERNS[formats.MOBILE], phone or ""):
        return [Problem(_("a mobile number has 11 digits and starts with 1"), field="phone")]
    return []


def _person_problems(name: str, id_number: str) -> list[Problem]:
    found = []
    if not name.strip() or len(name) > MAX_NAME:
        found.append(
            Problem(_("the real name is required (at most {count} characters)", count=MAX_NAME), field="name")
        )
    fault = formats.id_number_fault(id_number)
    if fault == "check":
        found.append(
            Problem(_("the ID number's check digit is wrong: please check every digit"), field="id_number")
        )
    elif fault:
        found.append(
            Problem(
                _("an ID number has 17 digits, a real birth date and a check character"), field="id_number"
            )
        )
    return found


def company_problems(company_name: str | None, credit_code: str | None) -> list[Problem]:
    if not company_name and not credit_code:
        return []
    found = []
    if not (company_name or "").strip() or len(company_name or "") > 200:
        found.append(
            Problem(_("the company's name is required (at most 200 characters)"), field="company_name")
        )
    if not formats.credit_code_valid((credit_code or "").upper()):
        found.append(
            Problem(
                _("the unified social credit code is not valid (18 characters, check digit)"),
                field="credit_code",
            )
        )
    return found


# -- verification codes ------------------------------------------------------------------------------
def _code_hash(phone: str, purpose: str, code: str) -> str:
    return hashlib.sha256(f"{phone}|{purpose}|{code}".encode()).hexdigest()


def send_code(session: Session, phone: str, purpose: str, *, new_account: bool = False) -> None:
    """A 6-digit code to `phone` by SMS, valid 10 minutes; one a minute, ten a day per phone and purpose.
    The answer is the same whether the phone has an account or not (a registered phone is told so by SMS)."""
    phone = (phone or "").strip()
    problems = phone_problems(phone)
    if purpose not in PURPOSES:
        problems.append(Problem(_("unknown purpose of a code"), field="purpose"))
    if problems:
        raise InvalidInput(problems)
    at = now()
    recent = session.scalars(
        select(SmsCode.created_at)
        .where(
            SmsCode.phone == phone, SmsCode.purpose == purpose, SmsCode.created_at > at - timedelta(days=1)
        )
        .order_by(SmsCode.created_at.desc())
    ).all()
    if recent and at - recent[0] < CODE_GAP:
        raise Conflict(_("a code was sent less than a minute ago: please wait"))
    if len(recent) >= CODES_A_DAY:
        raise Conflict(_("too many codes for this number today: please try tomorrow"))
    exists = not new_account and session.scalar(select(Citizen.id).where(Citizen.phone == phone)) is not None
    code = f"{secrets.randbelow(10**6):06d}"
    session.add(
        SmsCode(
            phone=phone,
            purpose=purpose,
            code_hash=_code_hash(phone, purpose, code),
            created_at=at,
            expires_at=at + timedelta(minutes=CODE_MINUTES),
            attempts=0,
        )
    )
    if purpose == "register" and exists:
        sms.send(session, phone, "【一窗通办】该手机号已注册，可直接登录；忘记密码请用“找回密码”。", "code")
    elif purpose == "reset" and not exists:
        pass  # nothing to reset; the answer is the same
    else:
        sms.send(
            session,
            phone,
            f"【一窗通办】验证码 {code}，{CODE_MINUTES} 分钟内有效，用于{PURPOSES[purpose]}。请勿告诉他人。",
            "code",
        )
    session.flush()


def _use_code(session: Session, phone: str, purpose: str, code: str) -> bool:
    row = session.scalars(
        select(SmsCode)
        .where(SmsCode.phone == phone, SmsCode.purpose == purpose, SmsCode.used_at.is_(None))
        .order_by(SmsCode.created_at.desc())
        .limit(1)
        .with_for_update()
    ).first()
    if row is None or row.expires_at < now() or row.attempts >= CODE_ATTEMPTS:
        return False
    if not hmac.compare_digest(row.code_hash, _code_hash(phone, purpose, (code or "").strip())):
        row.attempts += 1
        return False
    row.used_at = now()
    return True


def count_wrong_code(session: Session, phone: str, purpose: str) -> None:
    """A refused attempt with a wrong code still counts (the refusal rolled its own transaction back)."""
    row = session.scalars(
        select(SmsCode)
        .where(
            SmsCode.phone == (phone or "").strip()[:20], SmsCode.purpose == purpose, SmsCode.used_at.is_(None)
        )
        .order_by(SmsCode.created_at.desc())
        .limit(1)
        .with_for_update()
    ).first()
    if row is not None:
        row.attempts += 1


def _code_problem() -> Problem:
    return Problem(_("the verification code is wrong or expired: ask for a new one"), field="code")


# -- accounts ----------------------------------------------------------------------------------------
def register(
    session: Session,
    phone: str,
    password: str,
    name: str,
    id_number: str,
    code: str | None = None,
    *,
    company_name: str | None = None,
    credit_code: str | None = None,
    require_code: bool = True,
) -> CitizenSummary:
    """A new account; every problem is listed at once and nothing is stored. Without a code (allowed only
    when `require_code` is off, the API's two-step way) the phone stays unverified and a code is sent."""
    phone, name, id_number = (phone or "").strip(), (name or "").strip(), (id_number or "").strip().upper()
    company_name = (company_name or "").strip() or None
    credit_code = (credit_code or "").strip().upper() or None
    problems = phone_problems(phone) + _person_problems(name, id_number)
    problems += [Problem(m, field="password") for m in passwords.problems(password or "", phone)]
    problems += company_problems(company_name, credit_code)
    if not problems and session.scalar(select(Citizen.id).where(Citizen.phone == phone)) is not None:
        problems.append(
            Problem(
                _("this mobile number is already registered: log in or reset the password"), field="phone"
            )
        )
    verified = False
    if not problems and (code or require_code):
        verified = _use_code(session, phone, "register", code or "")
        if not verified:
            problems.append(_code_problem())
    if problems:
        raise InvalidInput(problems)
    at = now()
    citizen = Citizen(
        phone=phone,
        password_hash=hash_password(password),
        name=name,
        id_number=id_number,
        company_name=company_name,
        credit_code=credit_code,
        created_at=at,
        verified_at=at if verified else None,
    )
    try:
        with session.begin_nested():
            session.add(citizen)
            session.flush()
    except IntegrityError:  # the same phone registered a moment ago by a parallel request
        raise InvalidInput(
            Problem(
                _("this mobile number is already registered: log in or reset the password"), field="phone"
            )
        ) from None
    if not verified:
        send_code(session, phone, "register", new_account=True)
    audit.record(session, "citizen_registered", login_name(phone), after={"citizen": citizen.id})
    return summary(citizen)


def verify(session: Session, citizen_id: int, code: str) -> CitizenSummary:
    citizen = get(session, citizen_id)
    if citizen.verified_at is None:
        if not _use_code(session, citizen.phone, "register", code):
            raise InvalidInput(_code_problem())
        citizen.verified_at = now()
    return summary(citizen)


def verified(session: Session, citizen_id: int) -> Citizen:
    """The citizen, if their mobile number is confirmed: only then may they open a case (an account made
    through the API without a code is not, until it sends the code it was texted)."""
    citizen = get(session, citizen_id)
    if citizen.verified_at is None:
        raise InvalidInput(
            Problem(_("confirm your mobile number first: enter the code sent to it by SMS"), field="code")
        )
    return citizen


def get(session: Session, citizen_id: int) -> Citizen:
    citizen = session.get(Citizen, citizen_id)
    if citizen is None or citizen.disabled_at is not None:
        raise NotFound(_("no such citizen account"))
    return citizen


def authenticate(
    session: Session, phone: str, password: str, source: str | None = None
) -> tuple[CitizenSummary | None, LoginState]:
    """The account whose phone and password these are (None if not), and the login lock's state."""
    name = login_name(phone)
    state = logins.allowed(session, name, source)
    if state["locked_until"]:
        return None, state
    citizen = session.scalars(select(Citizen).where(Citizen.phone == (phone or "").strip()[:20])).first()
    good = password_matches(citizen.password_hash if citizen else _DUMMY, password or "")
    if citizen is None or not good or citizen.disabled_at is not None:
        return None, logins.failed(session, name, source)
    logins.succeeded(session, name, source)
    return summary(citizen), state


def reset_password(session: Session, phone: str, code: str, password: str) -> None:
    phone = (phone or "").strip()
    problems = phone_problems(phone)
    problems += [Problem(m, field="password") for m in passwords.problems(password or "", phone)]
    if problems:
        raise InvalidInput(problems)
    citizen = session.scalars(select(Citizen).where(Citizen.phone == phone)).first()
    if citizen is None or not _use_code(session, phone, "reset", code):
        raise InvalidInput(_code_problem())
    citizen.password_hash = hash_password(password)
    citizen.verified_at = citizen.verified_at or now()
    logins.unlock(session, login_name(phone), login_name(phone))
    audit.record(session, "citizen_password_reset", login_name(phone))


def set_company(
    session: Session, citizen_id: int, company_name: str | None, credit_code: str | None
) -> CitizenSummary:
    """Act for a company (both given) or for oneself only (both empty)."""
    citizen = get(session, citizen_id)
    company_name = (company_name or "").strip() or None
    credit_code = (credit_code or "").strip().upper() or None
    problems = company_problems(company_name, credit_code)
    if problems:
        raise InvalidInput(problems)
    citizen.company_name, citizen.credit_code = company_name, credit_code
    audit.record(session, "citizen_company", login_name(citizen.phone), after={"credit_code": credit_code})
    return summary(citizen)
