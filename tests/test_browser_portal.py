"""The citizen channel in real Chromium at a phone's size (375×812), a screenshot per step: register and find
人力资源服务许可; apply online with two PDFs and courier delivery; the front desk asks for 补正 and the citizen
supplements online; back office approves and the 出件 clerk records a tracking number; the citizen sees 办结 and
the tracking number and gives a 差评, which reaches 人社's clerk in the case's town; an anonymous visitor
queries the progress with the ID tail and is refused with a wrong one."""

from __future__ import annotations

import re

import pytest
from portal_helpers import PASSWORD, PDF, roomy_limits
from webapp import login, screenshot

PHONE = "13512345678"
ID_NUMBER = "11010519491231002X"
PHONE_SIZE = {"width": 375, "height": 812}


@pytest.fixture
def phone_page(chromium, live, site):
    roomy_limits(site)
    context = chromium.new_context(base_url=live.url, locale="zh-CN", viewport=PHONE_SIZE, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    yield page
    context.close()
    assert not refused, refused


def do(site, user: str, number: str, name: str, data: dict, *, supplement: str | None = None) -> None:
    """`user` claims the open step `name` of case `number` and completes it (or asks for 补正)."""
    rows = [
        t
        for view in ("group", "todo")
        for t in site.ow.tasks(user, view=view)
        if t["case_number"] == number and name in (t["name"], t.get("title"))
    ]
    assert rows, f"{user} has no {name} of {number}"
    task = rows[0]
    if task.get("assignee") != user:
        site.ow.claim(task["id"], user)
    if supplement:
        site.ow.supplement(task["id"], user, supplement)
    else:
        site.ow.complete(task["id"], user, data)


def test_a_citizen_goes_from_the_guide_to_the_evaluation_on_a_phone(phone_page, site, tmp_path):
    page = phone_page
    pdfs = []
    for name in ("申请书.pdf", "章程.pdf", "名单.pdf"):
        path = tmp_path / name
        path.write_bytes(PDF)
        pdfs.append(str(path))

    # 1. register, then find the item by search
    page.goto("/portal/register")
    page.fill("#pt-phone", PHONE)
    page.click("#pt-send-code")
    code = re.search(r"验证码 (\d{6})", site.ow.sms_outbox(PHONE)[0]["text"]).group(1)
    page.fill("#pt-code", code)
    page.fill("#pt-password", PASSWORD)
    page.fill("#pt-name", "朱先生")
    page.fill("#pt-id_number", ID_NUMBER)
    screenshot(page, "portal-01-register")
    page.click("#pt-register-submit")
    page.wait_for_url(re.compile(r"/portal/$"))
    page.fill("#pt-q", "人力资源")
    page.press("#pt-q", "Enter")
    page.wait_for_load_state()
    assert page.locator("#pt-items li").count() == 1
    screenshot(page, "portal-02-search")
    page.click("#pt-items a")
    assert "经营场所使用证明" in page.inner_text("#pt-materials")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_SIZE["width"]  # no sideways scroll
    screenshot(page, "portal-03-guide")

    # 2. apply online with two PDFs and courier delivery
    page.click("#pt-apply")
    page.set_input_files("#pt-file-0", pdfs[0])
    page.set_input_files("#pt-file-3", pdfs[1])
    page.check("#pt-courier")
    page.fill("#pt-address", "宁波市海曙区某路100号")
    screenshot(page, "portal-04-apply")
    page.click("#pt-apply-submit")
    page.wait_for_url(re.compile(r"/portal/cases/"))
    number = page.inner_text("#pt-case-number")
    assert page.inner_text("#pt-status") == "已提交，等待窗口预审"
    case = site.ow.case(number)
    assert case["channel"] == "网上" and case["status_code"] == 1
    screenshot(page, "portal-05-applied")
    staff = page.context.browser.new_context(
        base_url=page.url.split("/portal")[0], viewport={"width": 1400, "height": 900}, locale="zh-CN"
    )
    clerk = staff.new_page()
    login(clerk, "frontdesk")
    clerk.goto("/inbox/?view=group")
    assert number in clerk.content() and "网上预审" in clerk.content()  # the front desk's 待签收
    screenshot(clerk, "portal-05b-frontdesk-group-inbox")
    staff.close()

    # 3. the front desk asks for 补正 (网上预审 → 一次性告知); the citizen supplements online
    do(site, "frontdesk", number, "网上预审", {}, supplement="缺少专职工作人员名单及学历证明")
    do(
        site,
        "frontdesk",
        number,
        "一次性告知",
        {"missing": ["专职工作人员名单及学历证明"], "notice": "请补交专职工作人员名单及学历证明"},
    )
    page.reload()
    assert "专职工作人员名单及学历证明" in page.inner_text("#pt-missing")
    page.set_input_files("#pt-sup-file", pdfs[2])
    screenshot(page, "portal-06-supplement")
    page.click("#pt-sup-submit")
    page.wait_for_load_state()
    assert "名单.pdf" in page.inner_text("#pt-files")
    page.fill("#pt-message-text", "名单已补传，请查收")
    page.click("#pt-message-submit")
    page.wait_for_load_state()
    timeline = site.client("frontdesk").get(f"/cases/{number}").get_data(as_text=True)
    assert "【申请人留言】名单已补传，请查收" in timeline

    # 4. accepted, approved by 人社, licence made and mailed by the 出件 clerk
    do(site, "frontdesk", number, "补正收件", {"supplied": ["专职工作人员名单及学历证明"]})
    do(site, "frontdesk", number, "网上预审", {"eligible": True, "complete": True, "opinion": "予以受理"})
    do(site, "renshe", number, "审查", {"site_inspected": True, "recommend": True, "opinion": "符合许可条件"})
    do(
        site,
        "renshe",
        number,
        "许可决定",
        {"approved": True, "decision_number": "甬人社许〔2026〕17号", "opinion": "准予许可"},
    )
    do(
        site,
        "renshe",
        number,
        "制证",
        {
            "result_name": "人力资源服务许可证",
            "result_number": "330203202600017",
            "service_scope": ["为劳动者介绍用人单位"],
            "issued_on": "2026-10-14",
        },
    )
    do(
        site,
        "frontdesk",
        number,
        "快递送达",
        {
            "courier_company": "中国邮政EMS",
            "tracking_number": "1187654321098",
            "recipient": "朱先生",
            "address": "宁波市海曙区某路100号",
            "mailed_on": "2026-10-15",
        },
    )

    # 5. the citizen sees 办结 and the tracking number, and gives a 差评
    page.goto("/portal/cases")
    assert "已办结，准予" in page.inner_text("#pt-cases")
    page.click("#pt-cases a")
    assert page.inner_text("#pt-status") == "已办结，准予"
    assert "1187654321098" in page.inner_text("#pt-tracking")
    screenshot(page, "portal-07-done")
    page.check("input[name=level][value='4']")
    page.fill("#pt-comment", "快递送达比承诺晚了一天")
    page.click("#pt-evaluate-submit")
    page.wait_for_load_state()
    assert "不满意" in page.inner_text("#pt-evaluated")
    screenshot(page, "portal-08-evaluated")
    rectify = [
        t
        for t in site.ow.tasks("renshe", view="group")
        if t["name"] == "Task_rectify_renshe" or "整改" in str(t.get("title"))
    ]
    assert rectify, "the 差评 did not reach 人社's clerk in the case's town"
    site.ow.task(rectify[0]["id"], "renshe")  # no "not yours to see"
    assert page.locator("#pt-rectifying").is_visible()
    site.ow.claim(rectify[0]["id"], "renshe")
    site.ow.complete(
        rectify[0]["id"],
        "renshe",
        {"verified": "快递延误属实", "measures": "已与邮政约定次日达，并向申请人致歉", "appeal": False},
    )
    page.reload()
    assert "已与邮政约定次日达" in page.inner_text("#pt-rectified")
    screenshot(page, "portal-08b-answer")

    # 6. anyone may query the progress with the ID tail; a wrong tail finds nothing
    anonymous = page.context.browser.new_context(
        base_url=page.url.split("/portal")[0], viewport=PHONE_SIZE, locale="zh-CN"
    )
    visitor = anonymous.new_page()
    visitor.goto("/portal/progress")
    visitor.fill("#pt-case-q", number)
    visitor.fill("#pt-tail", ID_NUMBER[-6:])
    visitor.click("#pt-progress-form button")
    visitor.wait_for_load_state()
    assert visitor.inner_text("#pt-status") == "已办结，准予"
    assert "朱先生" not in visitor.content() and ID_NUMBER not in visitor.content()
    screenshot(visitor, "portal-09-progress")
    visitor.fill("#pt-case-q", number)
    visitor.fill("#pt-tail", "000000")
    visitor.click("#pt-progress-form button")
    visitor.wait_for_load_state()
    assert visitor.locator("#pt-not-found").is_visible()
    screenshot(visitor, "portal-10-progress-refused")
    anonymous.close()


def test_a_citizen_books_an_appointment_and_asks_for_a_proxy_visit_on_a_phone(phone_page, site):
    page = phone_page
    phone = "13512340000"
    page.goto("/portal/register")
    page.fill("#pt-phone", phone)
    page.click("#pt-send-code")
    page.fill("#pt-code", re.search(r"验证码 (\d{6})", site.ow.sms_outbox(phone)[0]["text"]).group(1))
    page.fill("#pt-password", PASSWORD)
    page.fill("#pt-name", "王大爷")
    page.fill("#pt-id_number", "110101199003074514")
    page.click("#pt-register-submit")
    page.wait_for_url(re.compile(r"/portal/$"))

    # 预约: an item's guide → hall, day, slot with the places left
    page.goto("/portal/items/YWHBA-0001")
    page.click("#pt-appointment")
    page.select_option("#pt-hall", "gaoqiao")
    page.click("#pt-appointment-pick button")
    page.wait_for_load_state()
    page.check("#pt-slots input[value='10:00-11:00']")
    screenshot(page, "portal-11-appointment")
    page.click("#pt-book")
    page.wait_for_url(re.compile(r"/portal/appointments$"))
    assert "10:00-11:00" in page.inner_text("#pt-appointments")
    screenshot(page, "portal-12-my-appointments")
    day = site.ow.citizen_appointments(site.ow.citizen_login(phone, PASSWORD)[0]["id"])[0]["day"]
    assert "王大爷" in site.client("frontdesk").get(f"/appointments/?day={day}").get_data(as_text=True)

    # 上门 / 助跑代办: the grid worker of the citizen's grid gets the case
    page.goto("/portal/items/YWHBA-0001")
    page.click("#pt-proxy")
    page.select_option("#pt-org", "gaoqiao-xinxing-1")
    page.fill("#pt-note", "腿脚不便，上午在家")
    screenshot(page, "portal-13-proxy")
    page.click("#pt-proxy-submit")
    page.wait_for_url(re.compile(r"/portal/cases/"))
    number = page.inner_text("#pt-case-number")
    assert site.ow.case(number)["channel"] == "代办"
    assert any(t["case_number"] == number for t in site.ow.tasks("grid", view="group"))
    screenshot(page, "portal-14-proxy-case")
