"""The portal as admins run it: 市民账户 (disable an account: it cannot log in, its sessions and tokens stop,
its booked visits are cancelled; enable it again) and 预约容量 (a hall's places per slot, 0 closes a slot)."""

from __future__ import annotations

import pytest
from portal_helpers import PASSWORD, new_phone, register, roomy_limits, token
from sqlalchemy import text


@pytest.fixture(autouse=True)
def _limits(site):
    roomy_limits(site)


def _id(client) -> int:
    with client.session_transaction() as session:
        return session["portal_citizen"]


def _slots(site, hall: str) -> dict:
    day = site.ow.appointment_days()[0]
    return {s["slot"]: s for s in site.ow.appointment_slots(hall, day)}


def _book(client, day: str, slot: str, hall: str = "gaoqiao"):
    return client.post(
        "/portal/items/XK-RS-0001/appointment",
        data={"csrf_token": token(client, "/portal/account"), "hall": hall, "day": day, "slot": slot},
    )


def _set_disabled(admin, citizen_id: int, disabled: bool):
    csrf = token(admin, "/citizen-accounts/")
    form = {"csrf_token": csrf, "disabled": "1" if disabled else "0"}
    return admin.post(f"/citizen-accounts/{citizen_id}/disabled", data=form)


def test_an_admin_finds_a_citizen_with_phone_and_id_masked(site):
    phone = new_phone()
    register(site, phone, name="查找人")
    page = site.client("admin").get("/citizen-accounts/?q=查找").get_data(as_text=True)
    assert "查找人" in page and phone[:3] + "****" + phone[-4:] in page
    assert phone not in page and "11010519491231002X" not in page and "110***********002X" in page
    by_phone = site.client("admin").get(f"/citizen-accounts/?q={phone}").get_data(as_text=True)
    assert "查找人" in by_phone.split("<tbody>", 1)[1]
    assert "查找人" not in site.client("admin").get("/citizen-accounts/?q=13000000000").get_data(as_text=True)


def test_a_disabled_citizen_is_logged_out_cannot_log_in_and_loses_booked_visits(site):
    phone = new_phone()
    citizen = register(site, phone, name="停用人")
    citizen_id = _id(citizen)
    day = site.ow.appointment_days()[0].isoformat()
    assert _book(citizen, day, "14:30-15:30").status_code == 302
    assert _slots(site, "gaoqiao")["14:30-15:30"]["booked"] == 1
    api = site.app.test_client()
    bearer = api.post("/api/v1/portal/login", json={"phone": phone, "password": PASSWORD}).get_json()
    headers = {"Authorization": f"Bearer {bearer['access_token']}"}
    assert api.get("/api/v1/portal/cases", headers=headers).status_code == 200

    admin = site.client("admin")
    r = _set_disabled(admin, citizen_id, True)
    assert r.status_code == 303
    assert "已停用市民账户 停用人" in admin.get(r.headers["Location"]).get_data(as_text=True)

    assert citizen.get("/portal/cases").status_code in (302, 404)  # the open session no longer works
    assert api.get("/api/v1/portal/cases", headers=headers).status_code in (401, 404)
    refused = site.app.test_client().post("/api/v1/portal/login", json={"phone": phone, "password": PASSWORD})
    assert refused.status_code == 401
    assert _slots(site, "gaoqiao")["14:30-15:30"]["booked"] == 0  # the place went back
    # the front desk's list of that day still opens (the cancelled visit is not on it)
    assert "停用人" not in site.client("frontdesk").get(f"/appointments/?day={day}").get_data(as_text=True)

    assert _set_disabled(admin, citizen_id, False).status_code == 303
    again = site.app.test_client().post("/api/v1/portal/login", json={"phone": phone, "password": PASSWORD})
    assert again.status_code == 200
    with site.ow.store.transaction() as s:
        actions = s.execute(
            text("SELECT action, actor FROM audit_event WHERE action LIKE 'citizen_%' ORDER BY id")
        ).all()
    assert [tuple(a) for a in actions[-2:]] == [("citizen_disable", "admin"), ("citizen_enable", "admin")]


def test_only_admins_reach_citizen_accounts_and_capacity(site):
    for user in ("frontdesk", "minzheng", "supervisor", "analyst"):
        client = site.client(user)
        for path in ("/citizen-accounts/", "/appointment-capacity/"):
            r = client.get(path)
            assert r.status_code in (302, 403), (user, path, r.status_code)
    target = _id(register(site, new_phone()))
    frontdesk = site.client("frontdesk")
    csrf = token(frontdesk, "/inbox/")
    r = frontdesk.post(f"/citizen-accounts/{target}/disabled", data={"csrf_token": csrf, "disabled": "1"})
    assert r.status_code in (302, 403)
    assert not any(c["disabled"] for c in site.ow.citizen_accounts() if c["id"] == target)


def test_disabling_needs_the_csrf_token(site):
    target = _id(register(site, new_phone()))
    r = site.client("admin").post(f"/citizen-accounts/{target}/disabled", data={"disabled": "1"})
    assert r.status_code == 400
    assert not any(c["disabled"] for c in site.ow.citizen_accounts() if c["id"] == target)


def test_an_admin_sets_a_halls_places_and_a_closed_slot_takes_no_booking(site):
    admin = site.client("admin")
    page = admin.get("/appointment-capacity/?hall=jishigang").get_data(as_text=True)
    assert "09:00-10:00" in page and "集士港镇" in page
    form = {"csrf_token": token(admin, "/appointment-capacity/"), "09:00-10:00": "0", "10:00-11:00": "9"}
    form |= {slot: "4" for slot in ("11:00-12:00", "13:30-14:30", "14:30-15:30", "15:30-17:00")}
    r = admin.post("/appointment-capacity/jishigang", data=form)
    assert r.status_code == 303
    slots = _slots(site, "jishigang")
    assert slots["09:00-10:00"]["capacity"] == 0 and slots["10:00-11:00"]["capacity"] == 9
    citizen = register(site, new_phone())
    day = site.ow.appointment_days()[0].isoformat()
    r = _book(citizen, day, "09:00-10:00", "jishigang")
    assert r.status_code == 409 and "已约满" in r.get_data(as_text=True)
    assert _book(citizen, day, "10:00-11:00", "jishigang").status_code == 302


@pytest.mark.parametrize("value", ["-1", "abc", "201", "", "1.5"])
def test_bad_places_are_refused_in_chinese_and_nothing_changes(site, value):
    admin = site.client("admin")
    before = site.ow.hall_capacities("gaoqiao")
    form = {"csrf_token": token(admin, "/appointment-capacity/"), "09:00-10:00": value}
    form |= {slot: "5" for slot in site.ow.hall_capacities("gaoqiao") if slot != "09:00-10:00"}
    r = admin.post("/appointment-capacity/gaoqiao", data=form)
    assert r.status_code == 422 and "0 到 200 的整数" in r.get_data(as_text=True)
    assert site.ow.hall_capacities("gaoqiao") == before


def test_an_unknown_hall_or_slot_is_refused(site):
    admin = site.client("admin")
    csrf = token(admin, "/appointment-capacity/")
    assert admin.post("/appointment-capacity/nowhere", data={"csrf_token": csrf}).status_code == 404
    assert admin.get("/appointment-capacity/?hall=nowhere").status_code == 404
    from orchestrator.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        site.ow.set_hall_capacities("admin", "gaoqiao", {"03:00-04:00": 2})
    with pytest.raises(InvalidInput):
        site.ow.set_hall_capacities("admin", "gaoqiao", {"09:00-10:00": True})


def test_an_unknown_citizen_account_is_said_so_and_nothing_changes(site):
    admin = site.client("admin")
    before = site.ow.citizen_accounts()
    r = _set_disabled(admin, 999_999, True)
    assert r.status_code == 303
    assert "没有这个市民账户" in admin.get(r.headers["Location"]).get_data(as_text=True)
    assert site.ow.citizen_accounts() == before
