"""The front desk and the back office in Chromium: 无差别受理 with an uploaded material, a department claiming and
approving the case, a 补正 return with its 一次性告知书, and another department's clerk refused the task page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from webapp import login, screenshot

from orchestrator.core import clock

COMPANY = {"name": "宁波甬才人力资源有限公司", "id_number": "91330203MA2H7K5X1Q", "phone": "0574-87001234"}
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def accept_hr_service_permit(page, tmp_path) -> str:
    """The front desk accepts an application through the generic form; returns the case number."""
    licence = tmp_path / "营业执照.pdf"
    licence.write_bytes(PDF)
    page.goto("/accept/")
    screenshot(page, "accept-items")
    page.click("tr[data-item=hr_service_permit] a.btn")
    page.wait_for_selector("#ow-accept-form")
    page.fill("input[name='a.applicant.name']", COMPANY["name"])
    page.fill("input[name='a.applicant.id_number']", COMPANY["id_number"])
    page.fill("input[name='a.applicant.phone']", COMPANY["phone"])
    page.select_option("select[name='a.channel']", "网上")
    for box in page.locator("input[name='m.received']").all():
        box.check()
    page.set_input_files("input[name='m.file.1']", str(licence))
    screenshot(page, "accept-form")
    page.click("#ow-accept-submit")
    page.wait_for_selector("#ow-task")
    return page.locator(".ow-case-number").inner_text()


def open_row(page, number: str, view: str, button: str) -> None:
    page.goto(f"/inbox/?view={view}")
    page.locator(f"tr[data-case='{number}'] >> text={button}").click()
    page.wait_for_load_state("networkidle")


def overdue_review(site) -> str:
    """An hr_service_permit case accepted six weeks ago: its 审查 is long past due, and urged."""
    with clock.travel(datetime.now(UTC) - timedelta(days=42)):
        started = site.ow.start(
            "hr_service_permit", {"applicant": {**COMPANY, "name": "逾期测试有限公司"}}, actor="frontdesk"
        )
        check = {"eligible": True, "complete": True, "opinion": "材料齐全"}
        review = site.ow.complete(started["tasks"][0]["id"], "frontdesk", check)["tasks"][0]["id"]
    site.ow.urge(review, "frontdesk", "请尽快办理")
    return started["case_number"]


def test_front_desk_accepts_and_the_back_office_claims_and_approves(site, browser_page, tmp_path):
    late = overdue_review(site)
    page = browser_page
    login(page, "frontdesk")
    number = accept_hr_service_permit(page, tmp_path)
    # straight on to the check step (网上预审), with the case summary and the uploaded licence
    assert re.fullmatch(r"XK-RS-0001-\d{8}-\d{6}", number)
    assert page.locator("#ow-task h3").inner_text().startswith("网上预审")
    assert COMPANY["name"] in page.locator(".ow-case-summary").inner_text()
    assert "营业执照.pdf" in page.locator(".ow-files").inner_text()
    receipt = page.locator(".alert-success a").get_attribute("href")
    assert receipt == f"/cases/{number}/documents/receipt.pdf"
    page.check("input[name='f.eligible'][value=true]")
    page.check("input[name='f.complete'][value=true]")
    page.fill("#ow-opinion", "材料齐全，予以受理")
    screenshot(page, "task-page")
    page.click("button[data-action=complete]")
    page.wait_for_selector("#ow-inbox")
    assert "办理完成" in page.locator(".alert-success").inner_text()

    page.context.clear_cookies()
    login(page, "renshe")
    page.goto("/inbox/?view=group")
    row = page.locator(f"tr[data-case='{number}']")
    assert "审查" in row.inner_text() and COMPANY["name"] in row.inner_text()
    assert row.locator(".ow-days-left").inner_text().startswith("剩")  # accepted: the clock runs
    late_row = page.locator(f"tr[data-case='{late}']")
    assert "已超期" in late_row.locator("td.ow-warning-red").inner_text()
    assert late_row.locator(".ow-urged-mark").inner_text() == "催办"
    screenshot(page, "inbox-group")
    row.locator("button[value=claim]").click()
    page.wait_for_selector("#ow-inbox[data-view=todo]")
    open_row(page, number, "todo", "办理")
    assert page.locator("#ow-task").get_attribute("data-state") == "claimed"
    page.check("input[name='f.recommend'][value=true]")
    page.fill("#ow-opinion", "经核查符合许可条件，拟准予许可")
    page.click("button[data-action=complete]")
    page.wait_for_selector("#ow-inbox")
    assert "许可决定" in page.locator(".alert-success").inner_text()  # the next step
    open_row(page, number, "group", "办理")
    page.check("input[name='f.approved'][value=true]")
    page.fill("input[name='f.decision_number']", "示人社许〔2026〕1号")
    page.click("button[data-action=complete]")
    page.wait_for_selector("#ow-inbox")
    page.goto("/inbox/?view=done")
    assert page.locator(f"tr[data-case='{number}']").count() == 2  # 审查 and 许可决定
    case = site.ow.case(number)
    assert case["status_code"] == 8 and [s["handler"] for s in case["steps"][:3]] == [
        "frontdesk",
        "renshe",
        "renshe",
    ]


def test_supplement_return_issues_the_one_time_notice(site, browser_page, tmp_path):
    page = browser_page
    login(page, "frontdesk")
    number = accept_hr_service_permit(page, tmp_path)
    page.click("button[data-action=supplement]")  # no reason yet: refused on the server, inline
    page.wait_for_selector("[data-path=opinion] .ow-error")
    assert "填写理由" in page.locator("[data-path=opinion]").inner_text()
    screenshot(page, "task-inline-error")
    page.fill("#ow-opinion", "经营场所租赁合同租期不足1年")
    page.click("button[data-action=supplement]")
    page.wait_for_selector("#ow-inbox")
    assert "补正" in page.locator(".alert-success").inner_text()
    open_row(page, number, "group", "办理")
    assert page.locator("#ow-task h3").inner_text().startswith("一次性告知")
    screenshot(page, "task-one-time-notice")
    page.check("input[name='f.missing'][value='经营场所使用证明']")
    page.fill("textarea[name='f.notice']", "请补交租期不少于1年的租赁合同")
    page.click("button[data-action=complete]")
    page.wait_for_selector("#ow-inbox")
    assert "补正收件" in page.locator(".alert-success").inner_text()
    open_row(page, number, "group", "办理")  # the 补正收件 step links the notice
    link = page.locator("a.ow-one-time-notice")
    assert link.get_attribute("href") == f"/cases/{number}/documents/one_time_notice.pdf"
    pdf = page.request.get(link.get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF-")
    case = site.ow.case(number)
    assert case["status_code"] == 6 and case["paused"][0]["kind"] == "补正"


def test_a_clerk_of_another_department_gets_the_403_page(site, browser_page):
    started = site.ow.start("hr_service_permit", {"applicant": COMPANY, "channel": "网上"}, actor="frontdesk")
    task_id = started["tasks"][0]["id"]
    page = browser_page
    login(page, "renshe")
    response = page.goto(f"/inbox/task/{task_id}")
    assert response.status == 403
    assert "无权访问" in page.locator("#ow-error").inner_text()
    assert COMPANY["name"] not in page.content()
    screenshot(page, "task-403")
    page.context.clear_cookies()
    login(page, "frontdesk")
    page.goto("/inbox/?view=group")
    screenshot(page, "inbox-frontdesk")
