"""The citizen channel's door: 办事指南, citizen accounts, online applications and the citizen's own cases,
the anonymous progress query and the SMS outbox. Each call is one transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

from sqlalchemy.orm import Session

from orchestrator.core.errors import InvalidInput
from orchestrator.gov import appointments, citizen_accounts, citizens, guide, online
from orchestrator.gov.citizen_accounts import CitizenAccount
from orchestrator.gov.citizens import CitizenSummary
from orchestrator.gov.guide import Guide, ItemListed
from orchestrator.gov.online import MyCase, Progress
from orchestrator.identity import sms
from orchestrator.identity.logins import LoginState
from orchestrator.runtime import attachments
from orchestrator.runtime.attachments import AttachmentSummary
from orchestrator.service.definitions import DefinitionsDoor

T = TypeVar("T")


class PortalDoor(DefinitionsDoor):
    # -- 办事指南 (no login) ------------------------------------------------------------------------------
    def guide_items(self, query: str = "", event: str | None = None) -> list[ItemListed]:
        return self._tx(lambda s: guide.search(s, query, event))

    def guide_life_events(self) -> list[str]:
        return self._tx(guide.life_events)

    def guide(self, code: str) -> Guide:
        return self._tx(lambda s: guide.guide(s, code))

    def guide_file(self, code: str, sha256: str) -> tuple[dict, Path]:
        found = self.guide(code)
        return self.catalog_file(found["key"], found["version"], sha256)

    # -- accounts ----------------------------------------------------------------------------------------
    def citizen_send_code(self, phone: str, purpose: str) -> None:
        self._tx(lambda s: citizens.send_code(s, phone, purpose))

    def citizen_register(
        self,
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
        return self._counting_codes(
            phone,
            "register",
            lambda s: citizens.register(
                s,
                phone,
                password,
                name,
                id_number,
                code,
                company_name=company_name,
                credit_code=credit_code,
                require_code=require_code,
            ),
        )

    def _counting_codes(self, phone: str, purpose: str, work: Callable[[Session], T]) -> T:
        """`work` in one transaction; a wrong code still counts against the code's attempts."""
        try:
            return self._tx(work)
        except InvalidInput as exc:
            if any(p.field == "code" for p in exc.problems):
                self._tx(lambda s: citizens.count_wrong_code(s, phone, purpose))
            raise

    def citizen_verify(self, citizen_id: int, code: str) -> CitizenSummary:
        phone = self.citizen(citizen_id)["phone"]
        return self._counting_codes(phone, "register", lambda s: citizens.verify(s, citizen_id, code))

    def citizen_login(
        self, phone: str, password: str, source: str | None = None
    ) -> tuple[CitizenSummary | None, LoginState]:
        return self._tx(lambda s: citizens.authenticate(s, phone, password, source))

    def citizen(self, citizen_id: int) -> CitizenSummary:
        return self._tx(lambda s: citizens.summary(citizens.get(s, citizen_id)))

    def citizen_reset_password(self, phone: str, code: str, password: str) -> None:
        self._counting_codes(phone, "reset", lambda s: citizens.reset_password(s, phone, code, password))

    def citizen_set_company(
        self, citizen_id: int, company_name: str | None, credit_code: str | None
    ) -> CitizenSummary:
        return self._tx(lambda s: citizens.set_company(s, citizen_id, company_name, credit_code))

    def sms_outbox(self, phone: str | None = None, limit: int = 100) -> list[sms.OutboxRow]:
        return self._tx(lambda s: sms.outbox(s, phone, limit))

    # -- online cases --------------------------------------------------------------------------------------
    def citizen_upload(
        self, citizen_id: int, stream, file_name: str, material: str | None
    ) -> AttachmentSummary:
        def work(s) -> AttachmentSummary:
            actor = online.actor_of(citizens.get(s, citizen_id))
            return attachments.save(
                s,
                self.settings.data_dir,
                stream,
                file_name,
                material=material,
                actor=actor,
                max_bytes=self.settings.max_material_bytes,
            )

        return self._tx(work)

    def citizen_apply(
        self,
        citizen_id: int,
        key: str,
        data: dict,
        delivery: dict | None,
        *,
        org: str | None = None,
        for_company: bool = False,
        attachment_ids: list[int] | None = None,
    ) -> dict:
        return self._tx(
            lambda s: dict(
                online.apply(
                    s,
                    citizen_id,
                    key,
                    data,
                    delivery,
                    org=org,
                    for_company=for_company,
                    attachment_ids=attachment_ids,
                )
            )
        )

    def citizen_cases(self, citizen_id: int, limit: int = 50) -> list[MyCase]:
        return self._tx(lambda s: online.mine(s, citizen_id, limit))

    def citizen_case(self, citizen_id: int, number: str) -> dict:
        return self._tx(lambda s: online.my_case(s, citizen_id, number))

    def citizen_supplement(self, citizen_id: int, number: str, attachment_ids: list[int]) -> dict:
        return self._tx(lambda s: online.supplement(s, citizen_id, number, attachment_ids))

    def citizen_add_material(self, citizen_id: int, number: str, attachment_id: int) -> dict:
        return self._tx(lambda s: online.add_material(s, citizen_id, number, attachment_id))

    def citizen_withdraw(self, citizen_id: int, number: str, reason: str | None = None) -> dict:
        return self._tx(lambda s: online.withdraw(s, citizen_id, number, reason))

    def citizen_evaluate(self, citizen_id: int, number: str, level: int, comment: str | None = None) -> dict:
        return self._tx(lambda s: online.evaluate(s, citizen_id, number, level, comment))

    def citizen_message(self, citizen_id: int, number: str, text: str) -> dict:
        return self._tx(lambda s: online.message(s, citizen_id, number, text))

    def citizen_notices(self, citizen_id: int, *, mark_read: bool = False) -> list[dict]:
        """The newest notices; with `mark_read` they count as read from now on (they are still returned
        as they were)."""

        def work(s: Session) -> list[dict]:
            found = online.notices(s, citizen_id)
            if mark_read:
                online.mark_read(s, citizen_id)
            return found

        return self._tx(work)

    def citizen_unread(self, citizen_id: int) -> int:
        return self._tx(lambda s: online.unread(s, citizen_id))

    def citizen_request_proxy(self, citizen_id: int, key: str, org: str, note: str | None = None) -> dict:
        return self._tx(lambda s: dict(online.request_proxy(s, citizen_id, key, org, note)))

    # -- 预约 ----------------------------------------------------------------------------------------------
    def appointment_days(self) -> list[date]:
        return self._tx(lambda s: appointments.days(s))

    def appointment_slots(self, hall: str, day: date) -> list[appointments.Slot]:
        return self._tx(lambda s: appointments.slots(s, hall, day))

    def citizen_book(
        self, citizen_id: int, code: str, hall: str, day: date, slot: str
    ) -> appointments.AppointmentSummary:
        return self._tx(lambda s: appointments.book(s, citizen_id, code, hall, day, slot))

    def citizen_cancel_appointment(
        self, citizen_id: int, appointment_id: int
    ) -> appointments.AppointmentSummary:
        return self._tx(lambda s: appointments.cancel(s, citizen_id, appointment_id))

    def citizen_appointments(self, citizen_id: int) -> list[appointments.AppointmentSummary]:
        return self._tx(lambda s: appointments.mine(s, citizen_id))

    def appointments_today(self, user: str, day: date | None = None) -> list[appointments.AppointmentSummary]:
        return self._tx(lambda s: appointments.today(s, user, day))

    def hall_capacities(self, hall: str) -> dict[str, int]:
        return self._tx(lambda s: appointments.capacities(s, hall))

    def set_hall_capacities(self, actor: str, hall: str, wanted: dict[str, int]) -> dict[str, int]:
        return self._tx(lambda s: appointments.set_capacities(s, actor, hall, wanted))

    # -- citizen accounts, for admins ---------------------------------------------------------------------
    def citizen_accounts(self, query: str = "", limit: int = 100) -> list[CitizenAccount]:
        return self._tx(lambda s: citizen_accounts.find(s, query, limit))

    def set_citizen_disabled(self, actor: str, citizen_id: int, disabled: bool) -> CitizenAccount:
        return self._tx(lambda s: citizen_accounts.set_disabled(s, actor, citizen_id, disabled))

    def case_progress(self, number: str, tail: str) -> Progress:
        return self._tx(lambda s: online.progress(s, number, tail))
