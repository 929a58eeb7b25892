"""预约 and 上门 / 助跑代办: a citizen books a window appointment (capacity per hall and slot, working days only),
the front desk sees the day's list; a proxy visit opens a 代办 case whose first step reaches the grid worker."""

from __future__ import annotations

import pytest
from portal_helpers import new_phone, register, roomy_limits, token
from sqlalchemy import text

OWNERS = "YWHBA-0001"  # 业主委员会备案: appointment and proxy


@pytest.fixture(autouse=True)
def _limits(site):
    roomy_limits(site)


def book(client, day: str, slot: str = "09:00-10:00", hall: str = "gaoqiao", code: str = "XK-RS-0001"):
    return client.post(
        f"/portal/items/{code}/appointment",
        data={"csrf_token": token(client, "/portal/account"), "hall": hall, "day": day, "slot": slot},
    )


def first_day(site) -> str:
    return site.ow.appointment_days()[0].isoformat()


def test_booking_shows_places_left_and_the_front_desk_sees_the_day(site):
    citizen = register(site, new_phone(), name="预约人")
    day = first_day(site)
    page = citizen.get(f"/portal/items/XK-RS-0001/appointment?hall=gaoqiao&day={day}").get_data(as_text=True)
    assert "09:00-10:00" in page and "余 4" in page
    r = book(citizen, day)
    assert r.status_code == 302
    assert "余 3" in citizen.get(f"/portal/items/XK-RS-0001/appointment?hall=gaoqiao&day={day}").get_data(
        as_text=True
    )
    mine = citizen.get("/portal/appointments").get_data(as_text=True)
    assert "高桥镇" in mine and day in mine and "09:00-10:00" in mine
    today = site.client("frontdesk").get(f"/appointments/?day={day}").get_data(as_text=True)
    assert "预约人" in today and "人力资源服务许可" in today
    assert "预约人" not in site.client("minzheng").get(f"/appointments/?day={day}").get_data(as_text=True)


def test_a_full_slot_is_refused_and_nothing_is_stored(site):
    day = first_day(site)
    with site.ow.store.transaction() as s:
        s.execute(
            text(
                "INSERT INTO appointment_capacity (hall, slot, capacity) VALUES ('jishigang', '10:00-11:00', 1)"
            )
        )
    first = register(site, new_phone())
    assert book(first, day, "10:00-11:00", "jishigang").status_code == 302
    second = register(site, new_phone(), id_number="110101199003074514", name="李四")
    r = book(second, day, "10:00-11:00", "jishigang")
    assert r.status_code == 409 and "已约满" in r.get_data(as_text=True)
    assert site.ow.citizen_appointments(_id(site, second)) == []
    slots = {s["slot"]: s for s in site.ow.appointment_slots("jishigang", site.ow.appointment_days()[0])}
    assert slots["10:00-11:00"]["booked"] == 1 and slots["10:00-11:00"]["left"] == 0


@pytest.mark.parametrize(
    "change, message",
    [
        ({"day": "2000-01-01"}, "两周内的工作日"),
        ({"slot": "03:00-04:00"}, "时段"),
        ({"hall": "gaoqiao-xinxing"}, "办理大厅"),
    ],
)
def test_bad_bookings_are_refused_in_chinese(site, change, message):
    citizen = register(site, new_phone())
    form = {"day": first_day(site), "slot": "11:00-12:00", "hall": "gaoqiao", **change}
    r = book(citizen, form["day"], form["slot"], form["hall"])
    assert r.status_code == 422 and message in r.get_data(as_text=True)
    assert "没有预约" in citizen.get("/portal/appointments").get_data(as_text=True)


def test_an_item_without_appointments_has_no_booking_page(site):
    citizen = register(site, new_phone())
    assert citizen.get("/portal/items/GG-YB-0001/appointment").status_code == 404


def test_cancelling_frees_the_place_and_only_the_owner_can(site):
    day = first_day(site)
    owner = register(site, new_phone())
    book(owner, day, "13:30-14:30")
    appointment = site.ow.citizen_appointments(_id(site, owner))[0]
    other = register(site, new_phone(), id_number="110101199003074514", name="李四")
    csrf = token(other, "/portal/account")
    assert (
        other.post(f"/portal/appointments/{appointment['id']}/cancel", data={"csrf_token": csrf}).status_code
        == 404
    )
    csrf = token(owner, "/portal/account")
    assert (
        owner.post(f"/portal/appointments/{appointment['id']}/cancel", data={"csrf_token": csrf}).status_code
        == 302
    )
    slots = {s["slot"]: s for s in site.ow.appointment_slots("gaoqiao", site.ow.appointment_days()[0])}
    assert slots["13:30-14:30"]["booked"] == 0


def _id(site, client) -> int:
    with client.session_transaction() as session:
        return session["portal_citizen"]


def test_a_proxy_visit_opens_a_proxy_case_for_the_grid_worker(site):
    citizen = register(site, new_phone(), name="王大爷")
    r = citizen.post(
        f"/portal/items/{OWNERS}/proxy",
        data={
            "csrf_token": token(citizen, "/portal/account"),
            "org": "gaoqiao-xinxing-1",
            "note": "腿脚不便，上午在家",
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    number = r.headers["Location"].rsplit("/", 1)[-1]
    case = site.ow.case(number)
    assert case["channel"] == "代办" and case["status_code"] == 1
    grid = [t for t in site.ow.tasks("grid", view="group") if t["case_number"] == number]
    assert grid and "代办员登记委托" in str(grid[0])
    assert "上门代办已提交" in citizen.get("/portal/account").get_data(as_text=True)


def test_a_proxy_visit_needs_an_item_that_allows_it_and_a_village(site):
    citizen = register(site, new_phone())
    assert citizen.get("/portal/items/XK-RS-0001/proxy").status_code == 404  # no proxy for this item
    r = citizen.post(
        f"/portal/items/{OWNERS}/proxy",
        data={"csrf_token": token(citizen, "/portal/account"), "org": "gaoqiao"},
    )
    assert r.status_code == 422 and "村社或网格" in r.get_data(as_text=True)
