"""The whole item-studio journey in real Chromium, with no file and no hand-written XML, JSON or YAML:

1. `analyst` makes 个体工商户设立登记 (承诺件, 市场监管, promised 3 / statutory 15 working days, two materials)
   from the 承诺件 template on the 新建事项 page;
2. gives the 是否准予 gateway's flow to 不予准予 the condition 是否准予 = 否 (named 不予许可) in the modeler's
   properties panel, saves, and publishes after the confirmation;
3. `frontdesk` accepts a walk-in applicant with a real PDF and no proxy, the day before the National Day
   holidays;
4. `shichang` claims, reviews and approves, the front desk hands the licence out: the case is 办结(通过) (11),
   promised by the third working day after the holidays and due by law on the fifteenth;
5. a second version whose 出件 form has one more required field is built in the form builder; publishing it is
   refused until the analyst has given the field a value in the process tests it breaks; the diff names the
   field; a case accepted on the first version before that still finishes on it, without the field.

(The first published version is v2: v1 is the draft 新建事项 made, v2 the modeler's save; the form builder
makes v3 and each edited test one more draft.)

A screenshot of every step is kept in var/screenshots/journey-*.png.
"""

from __future__ import annotations

import io
from datetime import datetime

from playwright.sync_api import expect
from webapp import login, screenshot

from orchestrator.core import clock

KEY = "getihu_setup"
NAME = "个体工商户设立登记"
CODE = "SC-GT-0001"
MATERIALS = ["个体工商户设立登记申请书", "经营者身份证明"]
APPLICANT = {"name": "李小梅", "id_number": "110101199003074514", "phone": "13800138000"}
SECOND = {"name": "王大伟", "id_number": "11010519491231002X", "phone": "13900139000"}
NEW_FIELD = "营业执照编号"
FIELD = "yyzzbh"


def at(moment: str):
    """The platform's clock at a Beijing time (the case's deadlines follow the Chinese calendar)."""
    return clock.travel(datetime.fromisoformat(moment + "+08:00"))


def tiny_pdf() -> bytes:
    """A valid one-page PDF, cross-reference table and all."""
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]/Contents 4 0 R/Resources<<>>>>",
        b"<</Length 0>>stream\n\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj" % number + body + b"endobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % o for o in offsets))
    out.write(b"trailer<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def select(page, element_id: str) -> None:
    """Select a diagram element the way a click does (a flow can be too short to click reliably)."""
    page.evaluate(
        """async (id) => {
            const modeler = await window.OneWindowModeler.ready;
            modeler.get('selection').select(modeler.get('elementRegistry').get(id));
        }""",
        element_id,
    )


def as_user(page, user: str) -> None:
    page.context.clear_cookies()
    login(page, user)


def complete_step(page, fill, next_text: str | None = None) -> None:
    """On a task page: fill the form in and complete the step; back on the inbox with the success message."""
    fill(page)
    page.click("button[data-action=complete]")
    expect(page.locator("#ow-inbox")).to_be_visible()
    if next_text:
        expect(page.locator(".alert-success").first).to_contain_text(next_text)


def open_task(page, number: str, view: str = "group") -> None:
    page.goto(f"/inbox/?view={view}")
    page.locator(f"tr[data-case='{number}'] >> text=办理").click()
    expect(page.locator("#ow-task")).to_be_visible()


def claim_and_open(page, number: str) -> None:
    """The department's clerk sees the case in the group's list, claims it and opens it from 待办."""
    page.goto("/inbox/?view=group")
    row = page.locator(f"tr[data-case='{number}']")
    expect(row).to_contain_text("审查")
    row.locator("button[value=claim]").click()
    expect(page.locator("#ow-inbox[data-view=todo]")).to_be_visible()
    open_task(page, number, "todo")
    expect(page.locator("#ow-task")).to_have_attribute("data-state", "claimed")


# -- 1. 新建事项 ------------------------------------------------------------------------------------------------


def create_the_item(page) -> None:
    login(page, "analyst")
    page.goto("/items/new")
    page.check("input[name=template][value=promised]")
    page.fill("#item-name", NAME)
    page.fill("#item-code", CODE)
    page.fill("#item-key", KEY)
    page.select_option("#item-type", "行政许可")
    page.select_option("#item-lead", "shichang")
    expect(page.locator("#item-lead option:checked")).to_contain_text("市场监管")
    page.fill("#item-statutory", "15")
    page.fill("#item-promised", "3")
    page.fill("#item-materials", "\n".join(MATERIALS))
    screenshot(page, "journey-1-new-item-form")
    page.click("#new-item-submit")
    expect(page.locator("#version-status")).to_have_text("草稿")
    expect(page.locator("h2")).to_contain_text(KEY)
    page.click("#version-tabs a[data-tab=catalog]")
    expect(page.locator("#catalog-form")).to_be_visible()
    for i, material in enumerate(MATERIALS):
        expect(page.locator(f"input[name='f.materials.{i}.name']")).to_have_value(material)
    expect(page.locator(f"input[name='f.materials.{len(MATERIALS)}.name']")).to_have_count(0)
    expect(page.locator("[name='f.limits.promised_days']")).to_have_value("3")
    expect(page.locator("[name='f.limits.statutory_days']")).to_have_value("15")
    expect(page.locator("[name='f.lead_department']")).to_have_value("shichang")
    screenshot(page, "journey-1-new-item-catalog")


# -- 2. the condition and the publication -----------------------------------------------------------------------


def add_the_condition_and_publish(page, site) -> int:
    page.goto(f"/definitions/{KEY}/1/modeler")
    expect(page.locator("[data-bpmn-modeler][data-ready=true]")).to_be_visible()
    page.click("[data-element-id=Task_review]")
    expect(page.locator("#ow-department")).to_have_value("shichang")  # the lead department's lane
    select(page, "Flow_reject")
    expect(page.locator("#ow-cond-default")).to_be_checked()  # the template's default way out
    page.uncheck("#ow-cond-default")
    expect(page.locator("#ow-cond-field option[value=approved]")).to_contain_text("是否准予")
    page.select_option("#ow-cond-field", "approved")
    page.select_option("#ow-cond-op", "eq")
    page.select_option("#ow-cond-value", "false")
    expect(page.locator("#ow-cond-expression")).to_have_text("approved == False")
    expect(page.locator("#ow-cond-check")).to_have_attribute("data-state", "ok")
    page.click("[data-group-id=group-general] .bio-properties-panel-group-header")  # 常规, folded
    page.fill("#bio-properties-panel-name", "不予许可")
    expect(page.locator(".djs-label", has_text="不予许可")).to_have_count(1)
    screenshot(page, "journey-2-condition")

    page.click("#modeler-save")
    saved = page.locator("#modeler-result[data-status='201']")
    expect(saved).to_contain_text("已保存草稿")
    version = int(saved.get_attribute("data-version"))
    publish = page.locator("#modeler-publish")
    expect(publish).to_have_text(f"发布 v{version}")
    asked: list[str] = []

    def answer(yes: bool):
        def on_dialog(dialog) -> None:
            asked.append(dialog.message)
            dialog.accept() if yes else dialog.dismiss()

        return on_dialog

    page.once("dialog", answer(False))  # asked first; 取消 publishes nothing
    publish.click()
    expect(page.locator("#modeler-result")).not_to_contain_text("正在发布")
    assert asked == [asked[0]] and f"发布 {KEY} v{version}？" in asked[0] and "按原版本办完" in asked[0]
    page.wait_for_load_state("networkidle")
    assert page.locator("#modeler-result").get_attribute("data-publish") is None
    assert site.ow.definition(KEY, version)["status"] == "draft"
    page.once("dialog", answer(True))
    publish.click()
    expect(page.locator("#modeler-result[data-publish='200']")).to_contain_text(f"{KEY} v{version} 已发布")
    assert len(asked) == 2
    screenshot(page, "journey-2-published")
    return version


# -- 3. 受理 ---------------------------------------------------------------------------------------------------


def accept_a_walk_in(page, tmp_path, applicant: dict, shot: str | None) -> str:
    """At the window: the item found by its pinyin, the applicant, every material ticked, the first one a PDF
    upload, no proxy; then the front desk's 收件审查 accepts it. Returns the case number."""
    pdf = tmp_path / "设立登记申请书.pdf"
    pdf.write_bytes(tiny_pdf())
    page.goto("/accept/")
    page.fill("#ow-item-q", "gtgsh")
    rows = page.locator("tr[data-item]:visible")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(NAME)
    rows.first.locator("a.btn").click()
    expect(page.locator("#ow-accept-form")).to_be_visible()
    expect(page.locator("dl").first).to_contain_text("行政许可 · 承诺件")
    expect(page.locator("dl").first).to_contain_text("承诺 3 个工作日，法定 15 个工作日")
    expect(page.locator("#ow-accept-form")).to_contain_text(MATERIALS[1])
    page.fill("input[name='a.applicant.name']", applicant["name"])
    page.fill("input[name='a.applicant.id_number']", applicant["id_number"])
    page.fill("input[name='a.applicant.phone']", applicant["phone"])
    expect(page.locator("input[name='a.proxy.name']")).to_have_value("")  # 代办人 left empty
    for box in page.locator("input[name='m.received']").all():
        box.check()
    page.locator("input[type=file][name^='m.file.']").first.set_input_files(str(pdf))
    if shot:
        screenshot(page, shot)
    page.click("#ow-accept-submit")
    expect(page.locator("#ow-task")).to_be_visible()
    number = page.locator(".ow-case-number").inner_text()
    expect(page.locator("#ow-task h3")).to_contain_text("收件审查")
    expect(page.locator(".ow-files")).to_contain_text("设立登记申请书.pdf")

    def check(p) -> None:
        p.check("input[name='f.eligible'][value=true]")
        p.check("input[name='f.complete'][value=true]")
        p.fill("#ow-opinion", "材料齐全，予以受理")

    complete_step(page, check, "审查")
    return number


# -- 4. the back office and 出件 ----------------------------------------------------------------------------------


def review_and_approve(page, number: str, shot: bool) -> None:
    claim_and_open(page, number)
    expect(page.locator("#ow-task h3")).to_contain_text("审查")

    def review(p) -> None:
        p.check("input[name='f.recommend'][value=true]")
        p.fill("#ow-opinion", "经营场所核查无误，拟准予登记")

    complete_step(page, review, "审批决定")
    open_task(page, number)
    expect(page.locator("#ow-task h3")).to_contain_text("审批决定")

    def decide(p) -> None:
        p.check("input[name='f.approved'][value=true]")
        p.fill("input[name='f.result_name']", "个体工商户营业执照")
        p.fill("input[name='f.result_number']", "92330200MA0000001X")
        if shot:
            screenshot(p, "journey-4-decide")

    complete_step(page, decide, "出件")


def deliver(page, number: str, shot: str, not_asked: str | None = None) -> None:
    """The front desk (also the 出件 group) hands the result out at the window."""
    open_task(page, number)
    expect(page.locator("#ow-task h3")).to_contain_text("出件")
    if not_asked:
        expect(page.locator("#ow-task-form")).not_to_contain_text(not_asked)
    page.select_option("select[name='f.delivery']", "窗口领取")
    screenshot(page, shot)
    page.click("button[data-action=complete]")
    expect(page.locator("#ow-inbox")).to_be_visible()


def check_the_closed_case(page, number: str) -> None:
    page.goto(f"/cases/{number}")
    expect(page.locator("#case-status")).to_have_text("11 办结(通过)")
    expect(page.locator("#case-times")).to_contain_text("受理时间2026-09-29 10:00")
    expect(page.locator("#case-promised-due")).to_contain_text("2026-10-09")  # 3 working days, 国庆 skipped
    expect(page.locator("#case-promised-due")).to_contain_text("3 个工作日")
    expect(page.locator("#case-statutory-due")).to_contain_text("2026-10-26")
    expect(page.locator("#case-statutory-due")).to_contain_text("15 个工作日")
    expect(page.locator("#case-applicant")).to_contain_text(APPLICANT["name"])
    expect(page.locator("#case-proxy")).to_have_count(0)
    expect(page.locator("#case-attachments")).to_contain_text("设立登记申请书.pdf")


# -- 5. a second version ---------------------------------------------------------------------------------------


def add_a_required_field(page, version: int) -> int:
    page.goto(f"/definitions/{KEY}/{version}/forms?form=deliver.schema.json")
    expect(page.locator("#formbuilder[data-state=ready]")).to_be_visible()
    expect(page.locator("#form-task")).to_have_value("Task_deliver")
    page.click("#fb-canvas li.fb-field[data-name=recipient] .fb-field-select")
    page.click("#fb-add-text")
    page.fill("#fb-prop-title", NEW_FIELD)
    expect(page.locator("#fb-prop-name")).to_have_value(FIELD)  # named from the title's pinyin
    page.check("#fb-prop-required")
    screenshot(page, "journey-5-form-builder")
    page.click("#form-save")
    expect(page.locator(".alert-success").first).to_contain_text(f"{KEY} 已部署为 v{version + 1}（草稿）")
    return version + 1


def publish_from_the_list(page, version: int):
    page.goto("/definitions/")
    page.locator(f"#key-{KEY} tr[data-version='{version}'] [data-action=publish]").click()
    expect(page.locator("#confirm-page")).to_be_visible()
    return page.locator("#confirm-consequences")


def give_the_tests_the_field(page, version: int) -> int:
    """The tests that hand the licence out now name the new field: edited on the 流程测试 tab."""
    for test in ("main.json", "supplement.json"):
        page.goto(f"/definitions/{KEY}/{version}/tests/{test}/edit")
        step = page.locator("li[data-step]").filter(
            has=page.locator("select[data-step-task] option[value=Task_deliver]:checked")
        )
        step.locator("[data-kv-add]").click()
        step.locator("tr[data-kv-row]").last.locator("input[name$='.k']").fill(FIELD)
        step.locator("tr[data-kv-row]").last.locator("input[name$='.v']").fill("92330200MA0000001X")
        if test == "main.json":
            screenshot(page, "journey-5-test-edit")
        page.click("#test-save")
        version += 1
        expect(page.locator(".alert-success").first).to_contain_text(f"{KEY} 已部署为 v{version}（草稿）")
    return version


def test_an_analyst_publishes_a_new_item_and_the_hall_runs_it(browser_page, site, tmp_path):
    page = browser_page
    with at("2026-09-28 09:00"):
        create_the_item(page)
        first = add_the_condition_and_publish(page, site)
    published = site.ow.definition(KEY, first)
    assert published["status"] == "published" and published["catalog"]["lead_department"] == "shichang"
    assert published["catalog"]["limits"]["promised_days"] == 3
    assert "approved == False" in published["files"]["tpl_promised.bpmn"]

    with at("2026-09-29 10:00"):  # the Tuesday before 国庆
        as_user(page, "frontdesk")
        number = accept_a_walk_in(page, tmp_path, APPLICANT, "journey-3-accept")
        screenshot(page, "journey-3-accepted")
        running = accept_a_walk_in(page, tmp_path, SECOND, None)  # will still run on v1 when v2 comes
    case = site.ow.case(number)
    assert case["proxy"] is None and case["status_code"] == 3  # 已受理

    with at("2026-09-30 10:00"):
        as_user(page, "shichang")
        review_and_approve(page, number, shot=True)
        as_user(page, "frontdesk")
        deliver(page, number, shot="journey-4-deliver")
        check_the_closed_case(page, number)
        screenshot(page, "journey-4-closed")
    closed = site.ow.case(number)
    assert closed["status_code"] == 11 and closed["promised_due"] == "2026-10-09"

    with at("2026-10-08 09:00"):
        as_user(page, "analyst")
        draft = add_a_required_field(page, first)
        publish_from_the_list(page, draft)
        page.click("#confirm-submit")
        refused = page.locator(".alert-danger").first  # the process tests that hand the licence out
        expect(refused).to_contain_text(f"测试“主路径：受理到办结”未通过：引擎拒绝了这一步：{NEW_FIELD}")
        expect(refused).to_contain_text("为必填项")
        screenshot(page, "journey-5-publish-refused")
        second = give_the_tests_the_field(page, draft)
        consequences = publish_from_the_list(page, second)
        expect(consequences).to_contain_text(
            f"当前发布的 v{first} 将自动停用；其上仍在办理的 1 个办件按原版本办完"
        )
        screenshot(page, "journey-5-confirm")
        page.click("#confirm-submit")
        expect(page.locator(".alert").first).to_contain_text(f"{KEY} v{second} 现为已发布")
        old_row = page.locator(f"#key-{KEY} tr[data-version='{first}']")
        expect(old_row).to_contain_text("已停用")
        expect(old_row.locator("td").nth(6)).to_have_text("1")  # 在办件数: the case still running on it
        page.goto(f"/definitions/{KEY}/diff?old={first}&new={second}")
        added = page.locator("#diff-summary [data-part=forms] .ow-field-change[data-change=added]")
        expect(added).to_contain_text(f"新增 必填字段 {NEW_FIELD}")
        expect(added).to_contain_text(f"deliver.schema.json › {FIELD}")
        expect(page.locator("#diff-summary .ow-field-change")).to_have_count(1)  # nothing else changed
        screenshot(page, "journey-5-diff")

        as_user(page, "shichang")
        review_and_approve(page, running, shot=False)
        as_user(page, "frontdesk")
        deliver(page, running, "journey-5-old-version-deliver", not_asked=NEW_FIELD)  # v1's form
        expect(page.locator(".alert-success").first).to_contain_text("办理完成")
        page.goto(f"/cases/{running}")
        expect(page.locator("#case-status")).to_have_text("11 办结(通过)")
        screenshot(page, "journey-5-old-version-closed")
    finished = site.ow.case(running)
    assert finished["status_code"] == 11
    assert site.ow.instance(finished["instance"])["version"] == first
