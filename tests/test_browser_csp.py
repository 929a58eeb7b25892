"""The pages work under their Content-Security-Policy in real Chromium: nothing the browser refuses (an
inline script without the page's nonce, an eval, a style or font from elsewhere) on any page type, the modeler
and the form pages included."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from webapp import login

PAGES = [
    ("frontdesk", "/inbox/", "main, .container, body"),
    ("frontdesk", "/accept/", "input"),
    ("frontdesk", "/accept/general_approval", "form"),
    ("analyst", "/definitions/", "table"),
    ("analyst", "/definitions/general_approval/1", "#version-diagram[data-rendered=true]"),
    ("analyst", "/definitions/general_approval/1/modeler", ".djs-container"),
    ("analyst", "/definitions/general_approval/1/forms", "form, #form-editor"),
    ("supervisor", "/supervision/", "body"),
    ("admin", "/organisation/", "body"),
    ("admin", "/accounts/", "#account-list"),
    ("admin", "/citizen-accounts/", "#ow-citizen-accounts"),
    ("admin", "/appointment-capacity/", "#capacity-form"),
    ("analyst", "/definitions/minimum_living_allowance/1/decisions", "#decisions-editor"),
    ("analyst", "/definitions/general_approval/1/tests", "body"),
    ("supervisor", "/stats/", "body"),
    ("supervisor", "/stats/assessment", "body"),
    (None, "/portal/", "body"),
    (None, "/portal/login", "form"),
    (None, "/portal/items/DEMO-0001", "body"),
]


@pytest.mark.parametrize(("user", "path", "ready"), PAGES, ids=[p[1] for p in PAGES])
def test_a_page_runs_under_its_policy(browser_page, user, path, ready):
    page = browser_page
    refused: list[str] = []
    page.on(
        "console",
        lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    page.on("pageerror", lambda exc: refused.append(f"page error: {exc}"))
    if user:
        login(page, user)
    page.goto(path)
    expect(page.locator(ready).first).to_be_attached()
    page.wait_for_load_state("networkidle")
    assert refused == []
