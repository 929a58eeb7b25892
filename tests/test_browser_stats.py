"""统计分析 in Chromium: a town's leader sees their town, changes the period, drills down to the cases and
downloads an XLSX that holds the page's numbers; the district sees every town; the charts draw under the
page's Content-Security-Policy; 考核 ranks the towns and prints."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

from openpyxl import load_workbook
from webapp import login, screenshot

from admin.commands import add_user

TODAY = (datetime.utcnow() + timedelta(hours=8)).date()
PASSWORD = "Gaoqiao-2026-town-chief"
ACCEPT = {"applicant": "张三", "accepted": True, "opinion": "材料齐全"}


def seed(site) -> None:
    if getattr(site, "_stats_seeded", False):
        return
    for n in range(3):
        started = site.ow.start(
            "general_approval", {"applicant": f"李{n}", "channel": "窗口"}, actor="frontdesk"
        )
        if n < 2:
            task = site.ow.instance(started["instance"])["open_tasks"][0]
            site.ow.claim(task["id"], "frontdesk")
            site.ow.complete(task["id"], "frontdesk", ACCEPT)
    add_user(site.settings, "townlead", "Supervisor", PASSWORD)
    site.ow.add_member("townlead", "command", org="gaoqiao")
    site._stats_seeded = True


def watch(page) -> list[str]:
    problems: list[str] = []
    page.on(  # script errors and CSP refusals (a missing favicon is not ours to judge)
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def cell(page, key: str, column: str) -> str:
    return page.locator(f"#stats-table tr[data-key='{key}'] td[data-column='{column}']").inner_text().strip()


def test_a_town_leader_changes_the_period_drills_down_and_downloads_the_same_numbers(site, browser_page):
    seed(site)
    page = browser_page
    problems = watch(page)
    login(page, "townlead", PASSWORD)
    page.goto("/stats/")
    assert page.locator("#scope").inner_text() == "高桥镇"
    assert page.locator("#basis").inner_text() == "按受理日期"
    assert page.locator("#period-from").inner_text() == TODAY.replace(day=1).isoformat()
    page.wait_for_function("document.body.getAttribute('data-charts') === '4'")
    assert page.locator("#chart-trend canvas").count() == 1
    options = page.locator("select[name=org] option").all_inner_texts()
    assert any("高桥镇" in o for o in options) and not any("集士港镇" in o for o in options)
    assert (cell(page, "minzheng", "received"), cell(page, "minzheng", "accepted")) == ("3", "2")
    screenshot(page, "stats-town")

    page.click("label:has(input[name=kind][value=year])")  # the period: this year
    page.wait_for_url("**kind=year**")
    assert page.locator("#period-from").inner_text() == f"{TODAY.year}-01-01"
    assert page.locator("#period-to").inner_text() == f"{TODAY.year}-12-31"
    page.select_option("select[name=basis]", "completed")
    page.wait_for_url("**basis=completed**")
    assert page.locator("#basis").inner_text() == "按办结日期"
    assert page.locator("#stats-table tr[data-key='minzheng']").count() == 0  # nothing finished yet
    page.select_option("select[name=basis]", "accepted")
    page.wait_for_url("**basis=accepted**")

    with page.expect_download() as info:
        page.click("#download-xlsx")
    book = load_workbook(io.BytesIO(open(info.value.path(), "rb").read()))
    lines = list(book.active.iter_rows(values_only=True))
    header, row = lines[1], next(line for line in lines[2:] if line[0] == "minzheng")
    for column, label in (("received", "收件量"), ("accepted", "受理量"), ("in_progress", "在办量")):
        assert str(row[header.index(label)]) == cell(page, "minzheng", column)
    assert f"{TODAY.year}-01-01" in lines[0][0] and "按受理日期" in lines[0][0]

    page.click("#stats-table tr[data-key='minzheng'] td[data-column='accepted'] a")  # drill down
    page.wait_for_selector("#drill-table")
    assert page.locator("#drill-table tbody tr").count() == 2
    assert "受理量" in page.locator("h2").inner_text()
    page.click("#drill-table tbody tr:first-child a")
    page.wait_for_selector(".ow-case-number, h2")

    page.goto("/stats/?kind=year")
    page.select_option("select[name=by]", "window")  # 按窗口: the demo front desk sits at 1号综合窗口
    page.wait_for_url("**by=window**")
    assert page.locator("select[name=by] option:checked").inner_text() == "按窗口"
    seat = site.ow.my_window("frontdesk")
    row = page.locator(f"#stats-table tbody tr[data-key='{seat['id']}']")
    assert "高桥镇便民服务中心 1号综合窗口" in row.inner_text()
    total = page.locator(
        "#stats-table tfoot td[data-column='received'], #stats-table tfoot th[data-column='received']"
    )
    assert row.locator("td[data-column='received']").inner_text() == total.inner_text()
    screenshot(page, "stats-window")
    assert problems == []


def test_the_district_sees_every_town_and_the_assessment_ranks_them(site, browser_page):
    seed(site)
    page = browser_page
    problems = watch(page)
    login(page, "supervisor")
    page.goto("/stats/?by=org")
    page.wait_for_function("document.body.getAttribute('data-charts') === '4'")
    assert page.locator("#scope").inner_text() == "示范区"
    names = page.locator("#stats-table tbody td:first-child").all_inner_texts()
    assert "高桥镇" in names
    options = page.locator("select[name=org] option").all_inner_texts()
    assert any("集士港镇" in o for o in options)
    screenshot(page, "stats-district")
    page.goto(f"/stats/assessment?level=town&period={TODAY.year}")
    rows = page.locator("#assessment-table tbody tr")
    assert rows.first.locator("td").nth(1).inner_text() == "高桥镇"
    assert page.locator("#assessment-settings").count() == 0  # weights are the admin's
    screenshot(page, "stats-assessment")
    assert problems == []


def test_an_admin_sets_the_weights_and_a_bad_set_is_refused(site, browser_page):
    seed(site)
    page = browser_page
    login(page, "admin")
    page.goto(f"/stats/assessment?level=town&period={TODAY.year}")
    page.fill("input[name=w_on_time_rate]", "50")
    page.click("#assessment-settings button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "110%" in page.content()  # 50 + 30 + 30: refused, nothing stored
    assert page.locator("input[name=w_on_time_rate]").input_value() == "40"
    page.fill("input[name=w_on_time_rate]", "40")
    page.fill("input[name=threshold]", "95")
    page.click("#assessment-settings button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("input[name=threshold]").input_value() == "95"
    assert "95" in page.locator(".ow-statement").inner_text()
