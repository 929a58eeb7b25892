"""电子监察 as a supervisor meets it: a case left past its promised date gets a 红牌 when the sweep runs,
the dashboard lists it in red and the department's bar appears in the chart; clerks do not get in."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from webapp import csrf_of, login, screenshot

from orchestrator.core import clock

URL = "/supervision/"


def at(text: str) -> datetime:
    """A Beijing wall-clock time as the store's naive UTC."""
    return datetime.fromisoformat(text) - timedelta(hours=8)


@pytest.fixture(scope="module")
def overdue(site) -> str:
    """A general_approval case accepted at 高桥镇 on Monday 2026-09-28 (promised: 5 working days, lead
    department 民政); nobody reviews it. Returns its case number."""
    ow = site.ow
    with clock.travel(at("2026-09-28 09:00")):
        started = ow.start("general_approval", {"applicant": "张三"}, actor="frontdesk")
        accept = started["tasks"][0]["id"]
        ow.claim(accept, "frontdesk")
        ow.complete(accept, "frontdesk", {"applicant": "张三", "accepted": True})
    return started["case_number"]


def sweep(client, when: str):
    with clock.travel(at(when)):
        token = csrf_of(client.get(URL).get_data(as_text=True))
        return client.post("/supervision/sweep", data={"csrf_token": token}, follow_redirects=True)


def warning_rows(html: str, number: str) -> list[str]:
    return re.findall(rf'<tr class="ow-warning-(\w+)" data-level="\w+" data-case="{re.escape(number)}"', html)


def chart_bars(html: str) -> dict[tuple[str, str], int]:
    """(department, level) → count, from the chart's SVG rectangles."""
    svg = html.split('<svg class="ow-chart"', 1)[1].split("</svg>", 1)[0]
    found = re.findall(r'data-department="([^"]*)" data-level="(\w+)" data-count="(\d+)"', svg)
    return {(dept, level): int(n) for dept, level, n in found}


def test_an_overdue_case_gets_a_red_card_in_the_table_and_a_bar_in_the_chart(site, overdue):
    supervisor = site.client("supervisor")
    html = supervisor.get(URL).get_data(as_text=True)
    assert warning_rows(html, overdue) == []  # nothing before a sweep
    assert '<tr data-status="3"' in html.split('id="open-cases"', 1)[1]  # the case is open, 已受理

    r = sweep(supervisor, "2026-10-09 10:00")  # 4 of 5 working days used
    assert r.status_code == 200 and "督查扫描完成：新增 1 条预警" in r.get_data(as_text=True)
    assert warning_rows(r.get_data(as_text=True), overdue) == ["reminder"]

    r = sweep(supervisor, "2026-10-20 10:00")  # past the promised 2026-10-10
    html = r.get_data(as_text=True)
    assert "督查扫描完成：新增 1 条预警" in html
    assert warning_rows(html, overdue) == ["red", "reminder"]  # newest first
    red = html.split(f'data-case="{overdue}"', 1)[1].split("</tr>", 1)[0]
    assert "红牌" in red and "民政" in red and "整件时限" in red
    bars = chart_bars(html)
    assert bars[("minzheng", "red")] >= 1 and bars[("minzheng", "reminder")] >= 1
    assert re.search(r'ow-tile-red" data-level="red">\s*<div class="ow-n">(\d+)', html).group(1) == "1"

    again = sweep(supervisor, "2026-10-20 11:00")  # recorded once
    assert "没有新的预警" in again.get_data(as_text=True)
    assert warning_rows(again.get_data(as_text=True), overdue) == ["red", "reminder"]


def test_a_bar_links_to_its_department_and_level(site, overdue):
    # its own sweep: test workers share no state, so the red card must not come from another test's sweep
    sweep(site.client("supervisor"), "2026-10-20 10:00")
    html = site.client("admin").get(f"{URL}?department=minzheng&level=red").get_data(as_text=True)
    levels = re.findall(
        r'<tr class="ow-warning-(\w+)" data-level="\w+" data-case="[^"]+" data-department="(\w*)"', html
    )
    assert levels and set(levels) == {("red", "minzheng")}
    assert f"{URL}?department=minzheng&amp;level=red" in html.split("</svg>", 1)[0]


def test_in_english_on_request(site):
    client = site.client("supervisor")
    client.get("/lang/en")
    html = client.get(URL).get_data(as_text=True)
    assert (
        "Run the sweep now" in html and "Warnings per department" in html and "立即执行督查扫描" not in html
    )


@pytest.mark.parametrize("user", ["frontdesk", "analyst", "minzheng"])
def test_clerks_and_analysts_do_not_get_in(site, user):
    client = site.client(user)
    denied = client.get(URL)
    assert denied.status_code == 403
    r = client.post("/supervision/sweep", data={"csrf_token": csrf_of(denied.get_data(as_text=True))})
    assert r.status_code == 403


def test_the_sweep_needs_a_csrf_token(site):
    assert site.client("supervisor").post("/supervision/sweep").status_code == 400


def test_in_the_browser(browser_page, overdue):
    page = browser_page
    login(page, "supervisor")
    page.goto(URL)
    with clock.travel(at("2026-10-21 10:00")):  # the live server runs in this process: same clock
        page.click("#sweep-form button[type=submit]")
        page.wait_for_load_state("networkidle")
    assert page.locator(f'tr.ow-warning-red[data-case="{overdue}"]').count() == 1
    bar = page.locator('svg.ow-chart rect[data-department="minzheng"][data-level="red"]')
    box = bar.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0
    screenshot(page, "supervision")
