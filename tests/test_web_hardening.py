"""The web app's outer wall: logins are throttled and locked per account name (and audited), every page type
carries the security headers, inline scripts run only with the page's nonce, ids beyond 64 bits are simply
not found, /metrics is for this machine or a token, and new passwords follow the policy."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from webapp import csrf_of

from orchestrator.core.errors import InvalidInput
from orchestrator.store.models import AuditEvent

API_LOGIN = "/api/v1/security/login"


def api_login(client, user: str, password: str):
    return client.post(API_LOGIN, json={"username": user, "password": password, "provider": "db"})


def audit(site, action: str, actor: str) -> list[AuditEvent]:
    with site.ow.store.transaction() as s:
        return list(
            s.scalars(select(AuditEvent).where(AuditEvent.action == action, AuditEvent.actor == actor))
        )


def test_fifty_wrong_logins_are_refused_while_another_account_still_gets_in(site):
    client = site.app.test_client()
    answers = [api_login(client, "yibao", f"guess-{i}").status_code for i in range(50)]
    assert set(answers) <= {401, 429} and answers[:4] == [401] * 4
    assert all(code == 429 for code in answers[4:])  # the fifth in a row locks the account, and says so
    assert api_login(client, "yibao", "demo").status_code == 429  # even the right password, while locked
    assert api_login(client, "renshe", "demo").status_code == 200  # another account: as usual
    locked = site.ow.login_state("yibao")
    assert locked["locked_until"] and locked["failures"] >= 5
    assert len(audit(site, "login_failed", "yibao")) >= 5
    assert audit(site, "login_refused_locked", "yibao")
    assert audit(site, "login", "renshe")


def test_a_locked_account_is_unlocked_by_an_admin(site):
    client = site.app.test_client()
    assert [api_login(client, "supervisor", "wrong").status_code for _ in range(5)][-1] == 429
    assert api_login(client, "supervisor", "demo").status_code == 429
    site.ow.unlock_login("supervisor", actor="admin")  # an admin unlocks; the unlock is audited
    assert api_login(client, "supervisor", "demo").status_code == 200
    assert audit(site, "login_unlocked", "admin")


def test_the_login_form_locks_too_and_says_so(site):
    client = site.app.test_client()
    for i in range(5):
        token = csrf_of(client.get("/login/").get_data(as_text=True))
        client.post("/login/", data={"username": "grid", "password": f"nope-{i}", "csrf_token": token})
    token = csrf_of(client.get("/login/").get_data(as_text=True))
    page = client.post(
        "/login/", data={"username": "grid", "password": "demo", "csrf_token": token}, follow_redirects=True
    )
    assert "账户已临时锁定" in page.get_data(as_text=True)
    assert client.get("/inbox/").status_code in (302, 401, 403)  # not logged in
    site.ow.unlock_login("grid", actor="admin")


def test_an_unknown_name_is_locked_like_a_real_one(site):
    client = site.app.test_client()
    answers = [api_login(client, "nobody-here", "x").status_code for _ in range(6)]
    assert answers == [401] * 4 + [429] * 2  # the lock says nothing about who exists


PAGES = {
    "login page": ("/login/", None),
    "home": ("/", "frontdesk"),
    "inbox": ("/inbox/", "frontdesk"),
    "accept form": ("/accept/general_approval", "frontdesk"),
    "modeler": ("/definitions/general_approval/1/modeler", "analyst"),
    "API": ("/api/v1/tasks/", "frontdesk"),
    "OpenAPI": ("/api/v1/_openapi", None),
    "not found": ("/no/such/page", "frontdesk"),
    "health": ("/health", None),
    "static file": ("/static/js/form_editor.js", None),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_type_carries_the_security_headers(site, name):
    path, user = PAGES[name]
    client = site.api(user) if name == "API" else site.client(user)
    response = client.get(path)
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "unsafe-eval" not in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers  # plain HTTP unless ONEWINDOW_HTTPS=1


@pytest.mark.parametrize(
    ("path", "user"),
    [("/accept/", "frontdesk"), ("/users/list/", "admin"), ("/swagger/v1", "admin")],
)
def test_inline_scripts_carry_the_nonce_of_their_page(site, path, user):
    response = site.client(user).get(path)
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    html = response.get_data(as_text=True)
    inline = [
        tag
        for tag in re.findall(r"<script\b[^>]*>", html)
        if "src=" not in tag and "application/json" not in tag
    ]
    assert inline, f"{path} has inline scripts to check"
    assert all(f'nonce="{nonce}"' in tag for tag in inline), inline
    assert nonce != re.search(  # a fresh nonce each time
        r"'nonce-([^']+)'", site.client(user).get(path).headers["Content-Security-Policy"]
    ).group(1)


def test_https_mode_marks_cookies_secure_and_sends_hsts(site, tmp_path):
    from admin import create_app
    from admin.config import flask_config

    config = flask_config(site.settings, {"ONEWINDOW_HTTPS": "1"})
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    app = create_app(
        site.settings,
        {
            "SECRET_KEY": "test-secret-of-at-least-32-bytes-long",
            "ONEWINDOW_HTTPS": True,
            "ONEWINDOW_RUN_JOBS": False,
        },
    )
    response = app.test_client().get("/login/")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/tasks/99999999999999999999",
        "/inbox/task/99999999999999999999",
        "/api/v1/tasks/9223372036854775808",
    ],
)
def test_ids_beyond_64_bits_are_not_found(site, path):
    client = site.api("frontdesk") if path.startswith("/api/") else site.client("frontdesk")
    assert client.get(path).status_code == 404


def test_metrics_are_for_this_machine_unless_a_token_is_set(site):
    client = site.app.test_client()
    assert client.get("/metrics").status_code == 200  # a local scraper
    remote = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert remote.status_code == 403
    proxied = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.7"})
    assert proxied.status_code == 403  # through a proxy on this machine: not local


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1A!", "at least 10 characters"),
        ("alllowercaseletters", "at least three of"),
        ("Newclerk-2026!", "the account's name"),
        ("Password123", "among the first"),
    ],
)
def test_a_new_password_follows_the_policy(site, password, message):
    from admin.commands import add_user

    with pytest.raises(InvalidInput, match=message) as refused:
        add_user(site.settings, "newclerk", "FrontDesk", password, app=site.app)
    assert refused.value.problems[0].field == "password"
    with site.app.app_context():
        assert site.app.appbuilder.sm.find_user(username="newclerk") is None  # nothing stored


def test_a_nul_or_line_break_in_an_upload_name_never_reaches_a_header(site):
    import io

    clerk = site.api("minzheng")
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    answer = clerk.post(
        "/api/v1/attachments/",
        data={"file": (io.BytesIO(pdf), "审核\x00意见\x01\x1b\x7f.pdf")},  # CR/LF cannot pass multipart
        content_type="multipart/form-data",
    )
    assert answer.status_code == 201, answer.json
    stored = answer.json["file_name"]
    assert stored == "审核意见.pdf"
    download = clerk.get(f"/api/v1/attachments/{answer.json['id']}")
    assert download.status_code == 200 and download.data == pdf
    disposition = download.headers["Content-Disposition"]
    assert not any(c in disposition for c in "\x00\x01\x1b\x7f")


@pytest.mark.parametrize(
    ("user", "allowed"),
    [("frontdesk", True), ("grid", True), ("minzheng", False), ("supervisor", False), ("analyst", False)],
)
def test_only_roles_with_acceptance_start_cases(site, user, allowed):
    answer = site.api(user).post(
        "/api/v1/cases/", json={"item": "general_approval", "data": {"applicant": "张三"}}
    )
    assert answer.status_code == (201 if allowed else 403), answer.json
    page = site.client(user).get("/accept/")
    assert (page.status_code == 200) == allowed
