"""The citizen channel's rules on SQLite and on PostgreSQL alike: applying online, nobody reaching another
citizen's case, the progress query, and the last place of a time slot taken once."""

from __future__ import annotations

import threading

import pytest
from portal_helpers import apply, case_number, new_phone, register, roomy_limits, token
from sqlalchemy import text

from orchestrator.core.errors import Conflict


@pytest.fixture(autouse=True)
def _limits(any_site):
    roomy_limits(any_site)


def test_apply_track_and_keep_others_out(any_site):
    site = any_site
    owner = register(site, new_phone())
    number = case_number(apply(owner))
    assert site.ow.case(number)["channel"] == "网上"
    other = register(site, new_phone(), id_number="110101199003074514", name="李四")
    assert other.get(f"/portal/cases/{number}").status_code == 404
    assert (
        other.post(
            f"/portal/cases/{number}/withdraw", data={"csrf_token": token(other, "/portal/account")}
        ).status_code
        == 404
    )
    anyone = site.app.test_client()
    assert anyone.get(f"/portal/progress?case={number}&tail=31002X").status_code == 200
    assert anyone.get(f"/portal/progress?case={number}&tail=31002Y").status_code == 404


def test_the_last_place_of_a_slot_is_taken_once(any_site):
    site = any_site
    day = site.ow.appointment_days()[0]
    with site.ow.store.transaction() as s:
        s.execute(
            text(
                "INSERT INTO appointment_capacity (hall, slot, capacity) VALUES ('gaoqiao', '15:30-17:00', 1)"
            )
        )
    first = register(site, new_phone())
    second = register(site, new_phone(), id_number="110101199003074514", name="李四")
    codes = []
    for client in (first, second):
        r = client.post(
            "/portal/items/XK-RS-0001/appointment",
            data={
                "csrf_token": token(client, "/portal/account"),
                "hall": "gaoqiao",
                "day": day.isoformat(),
                "slot": "15:30-17:00",
            },
        )
        codes.append(r.status_code)
    assert codes == [302, 409]
    slots = {s["slot"]: s for s in site.ow.appointment_slots("gaoqiao", day)}
    assert slots["15:30-17:00"]["booked"] == 1


def test_eight_citizens_racing_for_three_places_get_three(any_site):
    site = any_site
    day = site.ow.appointment_days()[1]
    with site.ow.store.transaction() as s:
        s.execute(
            text(
                "INSERT INTO appointment_capacity (hall, slot, capacity) VALUES ('jishigang', '09:00-10:00', 3)"
            )
        )
    ids = []
    for _ in range(8):
        client = register(site, new_phone())
        with client.session_transaction() as session:
            ids.append(session["portal_citizen"])
    start, results = threading.Barrier(len(ids)), []

    def race(citizen: int) -> None:
        start.wait()
        try:
            site.ow.citizen_book(citizen, "XK-RS-0001", "jishigang", day, "09:00-10:00")
            results.append("booked")
        except Conflict:
            results.append("full")
        except Exception as exc:  # noqa: BLE001 - SQLite's single writer may refuse: counted, never booked
            results.append(type(exc).__name__)

    threads = [threading.Thread(target=race, args=(c,)) for c in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("booked") <= 3
    slots = {s["slot"]: s for s in site.ow.appointment_slots("jishigang", day)}
    assert slots["09:00-10:00"]["booked"] == results.count("booked")
    if "postgresql" in site.settings.database_url:
        assert results.count("booked") == 3 and results.count("full") == 5


def test_two_registrations_of_one_phone_at_once_make_one_account(any_site):
    site = any_site
    phone = new_phone()
    start, results = threading.Barrier(2), []

    def attempt() -> None:
        start.wait()
        try:
            site.ow.citizen_register(phone, "Citizen-pass1", "张三", "11010519491231002X", require_code=False)
            results.append("made")
        except Exception as exc:  # noqa: BLE001 - InvalidInput, or SQLite's lock: never a second account
            results.append(type(exc).__name__)

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("made") == 1, results
    if "postgresql" in site.settings.database_url:
        assert sorted(results) == ["InvalidInput", "made"]
