"""Helpers of the citizen portal's tests: a registered, logged-in citizen's client, and codes read from the
SMS outbox (the default SMS sender writes there; nothing is mocked)."""

from __future__ import annotations

import io
import itertools
import re

from webapp import csrf_of

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PASSWORD = "Citizen-pass1"
HR = "XK-RS-0001"  # 人力资源服务许可: online, courier
_phones = itertools.count(1)


def new_phone() -> str:
    """A mobile number no other test of the module used."""
    return f"137{next(_phones):08d}"


def last_code(site, phone: str) -> str:
    for message in site.ow.sms_outbox(phone):
        found = re.search(r"验证码 (\d{6})", message["text"])
        if found:
            return found.group(1)
    raise AssertionError(f"no code sent to {phone}")


def token(client, path: str = "/portal/register") -> str:
    return csrf_of(client.get(path).get_data(as_text=True))


def register(site, phone: str, id_number: str = "11010519491231002X", name: str = "张三", **more):
    """A new citizen, registered through the page and logged in: the client."""
    client = site.app.test_client()
    csrf = token(client)
    r = client.post("/portal/register", data={"csrf_token": csrf, "phone": phone, "action": "code"})
    assert r.status_code == 200, r.get_data(as_text=True)
    form = {
        "csrf_token": csrf,
        "action": "register",
        "phone": phone,
        "code": last_code(site, phone),
        "password": PASSWORD,
        "name": name,
        "id_number": id_number,
        **more,
    }
    r = client.post("/portal/register", data=form)
    assert r.status_code == 302, r.get_data(as_text=True)
    return client


def apply(client, code: str = HR, files: int = 2, **fields):
    form = {
        "csrf_token": token(client, f"/portal/items/{code}/apply"),
        "f.contact_phone": "13900000000",
        "hall": "gaoqiao",
        "delivery": "courier",
        "address": "高桥镇新星村 1 号",
        **fields,
    }
    for i in range(files):
        form[f"m.file.{i}"] = (io.BytesIO(PDF), f"材料{i}.pdf")
    return client.post(f"/portal/items/{code}/apply", data=form, content_type="multipart/form-data")


def case_number(response) -> str:
    location = response.headers.get("Location") or ""
    assert response.status_code == 302 and "/portal/cases/" in location, response.get_data(as_text=True)[
        :2000
    ]
    return location.rsplit("/", 1)[-1]


def roomy_limits(site) -> None:
    """The tests of a module come from one address: lift the portal's per-address limits (one test at a
    time puts a small one back to see it bite)."""
    for kind in ("login", "register", "code", "progress"):
        site.app.config[f"ONEWINDOW_PORTAL_LIMIT_{kind.upper()}"] = "10000 per minute"
