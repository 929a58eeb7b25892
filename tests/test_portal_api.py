"""The portal's REST twin /api/v1/portal/: guide without login, register and log in with a citizen token,
apply online, upload to one's case, my cases, 撤件, progress query; nobody reaches another citizen's case,
staff tokens open nothing here, and the operations are in the OpenAPI document."""

from __future__ import annotations

import io
import re

import pytest
from portal_helpers import PASSWORD, PDF, new_phone, roomy_limits


@pytest.fixture(autouse=True)
def _limits(site):
    roomy_limits(site)


def unverified_citizen(
    site, id_number: str = "11010519491231002X", name: str = "张三"
) -> tuple[object, dict, str]:
    """Registered the API's two-step way (no code yet) and logged in: the client, its headers and phone."""
    client = site.app.test_client()
    phone = new_phone()
    r = client.post(
        "/api/v1/portal/register",
        json={"phone": phone, "password": PASSWORD, "name": name, "id_number": id_number},
    )
    assert r.status_code == 201, r.json
    assert r.json["verified"] is False and "phone" not in r.json
    r = client.post("/api/v1/portal/login", json={"phone": phone, "password": PASSWORD})
    assert r.status_code == 200, r.json
    return client, {"Authorization": f"Bearer {r.json['access_token']}"}, phone


def code_sent_to(site, phone: str) -> str:
    sent = [m for m in site.ow.sms_outbox() if m["phone"] == phone]
    return re.search(r"验证码 (\d{6})", sent[0]["text"]).group(1)


def citizen(site, id_number: str = "11010519491231002X", name: str = "张三") -> tuple[object, dict]:
    """A citizen whose phone is confirmed with the code it was texted, as the API's clients do."""
    client, headers, phone = unverified_citizen(site, id_number, name)
    r = client.post("/api/v1/portal/verify", json={"code": code_sent_to(site, phone)}, headers=headers)
    assert r.status_code == 200 and r.json["verified"] is True
    return client, headers


def apply(client, headers, **more) -> str:
    body = {
        "item": "hr_service_permit",
        "data": {"contact_phone": "13900000000"},
        "delivery": {"method": "courier", "address": "高桥镇新星村 1 号"},
        **more,
    }
    r = client.post("/api/v1/portal/applications", json=body, headers=headers)
    assert r.status_code == 201, r.json
    return r.json["case_number"]


def test_the_guide_needs_no_login(site):
    client = site.app.test_client()
    found = client.get("/api/v1/portal/items?q=人力资源").json["items"]
    assert [i["code"] for i in found] == ["XK-RS-0001"]
    assert set(found[0]) >= {"code", "key", "name", "department"}
    guide = client.get("/api/v1/portal/items/XK-RS-0001").json
    assert len(guide["materials"]) == 6 and guide["steps"][0] == "申请"
    assert client.get("/api/v1/portal/items/NOPE").status_code == 404


def test_register_refuses_bad_input_in_chinese(site):
    r = site.app.test_client().post(
        "/api/v1/portal/register",
        json={"phone": new_phone(), "password": PASSWORD, "name": "张三", "id_number": "110101199003074515"},
    )
    assert r.status_code == 422 and "校验位" in r.json["message"]
    assert [e["field"] for e in r.json["errors"]] == ["id_number"]


def test_an_unconfirmed_phone_cannot_apply_until_its_code_is_sent(site):
    client, headers, phone = unverified_citizen(site)
    body = {
        "item": "hr_service_permit",
        "data": {"contact_phone": "13900000000"},
        "delivery": {"method": "window"},
    }
    mine = lambda: client.get("/api/v1/portal/cases", headers=headers).json  # noqa: E731
    before = mine()
    r = client.post("/api/v1/portal/applications", json=body, headers=headers)
    assert r.status_code == 422 and "验证码" in r.json["message"]
    assert [e["field"] for e in r.json["errors"]] == ["code"]
    assert mine() == before  # nothing opened
    client.post("/api/v1/portal/verify", json={"code": code_sent_to(site, phone)}, headers=headers)
    r = client.post("/api/v1/portal/applications", json=body, headers=headers)
    assert r.status_code == 201, r.json


def test_register_without_a_code_sends_one_and_verify_takes_it(site):
    client, headers, _phone = unverified_citizen(site)
    me = client.get("/api/v1/portal/me", headers=headers).json
    assert me["verified"] is False and me["id_number_masked"].endswith("002X")
    phone = me["phone_masked"]
    sent = [m for m in site.ow.sms_outbox() if m["phone"][:3] + "****" + m["phone"][-4:] == phone]
    code = re.search(r"验证码 (\d{6})", sent[0]["text"]).group(1)
    assert (
        client.post(
            "/api/v1/portal/verify",
            json={"code": "000000" if code != "000000" else "111111"},
            headers=headers,
        ).status_code
        == 422
    )
    r = client.post("/api/v1/portal/verify", json={"code": code}, headers=headers)
    assert r.status_code == 200 and r.json["verified"] is True


def test_a_wrong_password_is_401_and_five_lock_the_phone(site):
    client = site.app.test_client()
    phone = new_phone()
    client.post(
        "/api/v1/portal/register",
        json={"phone": phone, "password": PASSWORD, "name": "张三", "id_number": "11010519491231002X"},
    )
    login = lambda password: client.post("/api/v1/portal/login", json={"phone": phone, "password": password})  # noqa: E731
    assert [login("bad").status_code for _ in range(5)] == [401, 401, 401, 401, 429]  # the fifth locks
    r = client.post("/api/v1/portal/login", json={"phone": phone, "password": PASSWORD})
    assert r.status_code == 429 and "锁定" in r.json["message"]


def test_applying_online_and_adding_a_material(site):
    client, headers = citizen(site)
    number = apply(client, headers)
    case = client.get(f"/api/v1/portal/cases/{number}", headers=headers).json
    assert case["channel"] == "网上" and case["status_code"] == 1
    assert case["delivery"] == {"method": "courier", "address": "高桥镇新星村 1 号"}
    assert case["applicant"]["id_number"] == "110***********002X"  # masked
    r = client.post(
        f"/api/v1/portal/cases/{number}/materials",
        data={"file": (io.BytesIO(PDF), "营业执照.pdf"), "material": "营业执照"},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert r.status_code == 201 and r.json["materials"][0]["file_name"] == "营业执照.pdf"
    assert [c["case_number"] for c in client.get("/api/v1/portal/cases", headers=headers).json["cases"]] == [
        number
    ]
    assert any(t["case_number"] == number for t in site.ow.tasks("frontdesk", view="group"))


@pytest.mark.parametrize(
    "body, field",
    [
        ({"item": "hr_service_permit", "delivery": {"method": "courier"}}, "delivery.address"),
        ({"item": "hr_service_permit", "delivery": {"method": "drone"}}, "delivery.method"),
        ({"item": "no_such_item"}, "item"),
        ({"item": "hr_service_permit", "hall": "nowhere"}, "hall"),
    ],
)
def test_a_bad_application_is_422_and_opens_nothing(site, body, field):
    client, headers = citizen(site)
    r = client.post("/api/v1/portal/applications", json=body, headers=headers)
    assert r.status_code == 422, r.json
    assert field in [e["field"] for e in r.json["errors"]], r.json
    assert client.get("/api/v1/portal/cases", headers=headers).json["cases"] == []


def test_nobody_reaches_another_citizens_case(site):
    owner, owner_headers = citizen(site)
    number = apply(owner, owner_headers)
    other, headers = citizen(site, "110101199003074514", "李四")
    assert other.get(f"/api/v1/portal/cases/{number}", headers=headers).status_code == 404
    assert other.post(f"/api/v1/portal/cases/{number}/withdraw", json={}, headers=headers).status_code == 404
    assert (
        other.post(
            f"/api/v1/portal/cases/{number}/evaluation", json={"level": 5}, headers=headers
        ).status_code
        == 404
    )
    assert (
        other.post(f"/api/v1/portal/cases/{number}/supplement", json={}, headers=headers).status_code == 404
    )
    r = other.post(
        f"/api/v1/portal/cases/{number}/materials",
        data={"file": (io.BytesIO(PDF), "x.pdf")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert r.status_code == 404
    assert owner.get(f"/api/v1/portal/cases/{number}", headers=owner_headers).json["materials"] == []


def test_staff_tokens_and_no_token_open_nothing_here(site):
    client = site.app.test_client()
    assert client.get("/api/v1/portal/cases").status_code == 401
    staff = {"Authorization": f"Bearer {site.token('admin')}"}
    assert client.get("/api/v1/portal/cases", headers=staff).status_code == 401
    forged = {"Authorization": "Bearer pt.eyJjaXRpemVuIjoxfQ.forged.signature"}
    assert client.get("/api/v1/portal/cases", headers=forged).status_code == 401


def test_withdrawing_and_progress(site):
    client, headers = citizen(site)
    number = apply(client, headers)
    anyone = site.app.test_client()
    r = anyone.get(f"/api/v1/portal/progress?case={number}&tail=31002X")
    assert (
        r.status_code == 200
        and r.json["status"] == "已接件"
        and r.json["status_text"] == "已提交，等待窗口预审"
        and "applicant" not in r.json
    )
    wrong = anyone.get(f"/api/v1/portal/progress?case={number}&tail=000000")
    missing = anyone.get("/api/v1/portal/progress?case=NO-SUCH-CASE&tail=31002X")
    assert wrong.status_code == missing.status_code == 404
    r = client.post(f"/api/v1/portal/cases/{number}/withdraw", json={"reason": "不办了"}, headers=headers)
    assert r.status_code == 200 and r.json["status_code"] == 2
    r = client.post(f"/api/v1/portal/cases/{number}/withdraw", json={}, headers=headers)
    assert r.status_code == 409
    r = client.post(f"/api/v1/portal/cases/{number}/evaluation", json={"level": 1}, headers=headers)
    assert r.status_code == 409  # not delivered


def test_the_operations_are_documented(site):
    doc = (
        site.app.test_client()
        .get("/api/v1/_openapi", headers={"Authorization": f"Bearer {site.token('admin')}"})
        .json
    )
    paths = doc["paths"]
    for path in (
        "/api/v1/portal/items",
        "/api/v1/portal/items/{code}",
        "/api/v1/portal/register",
        "/api/v1/portal/login",
        "/api/v1/portal/applications",
        "/api/v1/portal/cases/{number}/materials",
        "/api/v1/portal/cases",
        "/api/v1/portal/cases/{number}",
        "/api/v1/portal/cases/{number}/supplement",
        "/api/v1/portal/cases/{number}/withdraw",
        "/api/v1/portal/cases/{number}/evaluation",
        "/api/v1/portal/progress",
    ):
        assert path in paths, path
    assert "429" in paths["/api/v1/portal/progress"]["get"]["responses"]


def test_a_message_reaches_the_cases_timeline_and_only_from_its_owner(site):
    client, headers = citizen(site)
    number = apply(client, headers)
    r = client.post(
        f"/api/v1/portal/cases/{number}/messages", json={"text": "材料原件何时交？"}, headers=headers
    )
    assert r.status_code == 201
    assert "【申请人留言】材料原件何时交？" in site.client("frontdesk").get(f"/cases/{number}").get_data(
        as_text=True
    )
    assert (
        client.post(
            f"/api/v1/portal/cases/{number}/messages", json={"text": " "}, headers=headers
        ).status_code
        == 422
    )
    other, other_headers = citizen(site, "110101199003074514", "李四")
    r = other.post(f"/api/v1/portal/cases/{number}/messages", json={"text": "你好"}, headers=other_headers)
    assert r.status_code == 404


def test_supplementing_through_the_api(site):
    client, headers = citizen(site)
    number = apply(client, headers)
    task = [t for t in site.ow.tasks("frontdesk", view="group") if t["case_number"] == number][0]
    site.ow.claim(task["id"], "frontdesk")
    site.ow.supplement(task["id"], "frontdesk", "缺少营业执照")
    notice = [t for t in site.ow.tasks("frontdesk", view="group") if t["case_number"] == number][0]
    site.ow.claim(notice["id"], "frontdesk")
    site.ow.complete(notice["id"], "frontdesk", {"missing": ["营业执照"], "notice": "请补交营业执照"})
    case = client.get(f"/api/v1/portal/cases/{number}", headers=headers).json
    assert case["status_code"] == 6 and case["missing"] == ["营业执照"] and case["supplement_asked"] is True
    r = client.post(
        "/api/v1/portal/uploads",
        data={"file": (io.BytesIO(PDF), "营业执照.pdf"), "material": "营业执照"},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert r.status_code == 201
    r = client.post(
        f"/api/v1/portal/cases/{number}/supplement", json={"attachments": [r.json["id"]]}, headers=headers
    )
    assert r.status_code == 200 and [m["file_name"] for m in r.json["materials"]] == ["营业执照.pdf"]
    assert (
        client.post(f"/api/v1/portal/cases/{number}/supplement", json={}, headers=headers).status_code == 422
    )
