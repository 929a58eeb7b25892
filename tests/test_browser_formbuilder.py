"""The form builder (表单设计器) in Chromium: an analyst builds the 受理 form of general_approval from the
palette (one field of every kind, a repeating table, a conditional field, a prefilled one, a shared form),
checks sample input in the preview, saves it to its task and publishes it; the front desk then accepts an
application and fills the form in: a wrong ID check digit is refused with a Chinese message naming the
field, the conditional field is required only while shown, and the right values complete the step."""

from __future__ import annotations

import json

from playwright.sync_api import expect
from webapp import login, screenshot

BAD_ID = "110105194912310021"  # GB 11643 check digit should be X
GOOD_ID = "11010519491231002X"
APPLICANT = {"name": "王小明", "id_number": "110101199003074514", "phone": "13800138000"}


def add(page, kind: str, title: str | None = None, name: str | None = None) -> None:
    """A field from the palette (a click: keyboard-accessible), titled; its name proposed by the server."""
    page.click(f"#fb-add-{kind}")
    if title is not None:
        page.fill("#fb-prop-title", title)
    if name is not None:
        expect(page.locator("#fb-prop-name")).to_have_value(name)


def field(page, name: str):
    return page.locator(f"#fb-canvas li.fb-field[data-name='{name}']")


def names(page) -> list[str]:
    return [li.get_attribute("data-name") for li in page.locator("#fb-canvas > li.fb-field").all()]


def build_the_form(page) -> None:
    """Every palette kind on top of the 受理 form's own fields."""
    expect(page.locator("#formbuilder[data-state=ready]")).to_be_visible()
    expect(page.locator("#form-task")).to_have_value("Task_accept")
    original = names(page)
    assert original == ["applicant", "id_number", "accepted", "complete", "opinion"]

    # dragged from the palette to the top of the form: a section heading
    page.drag_and_drop("#fb-add-heading", "#fb-canvas > li:first-child", target_position={"x": 40, "y": 2})
    page.fill("#fb-prop-title", "申请信息")
    expect(page.locator("#fb-prop-name")).to_have_value("sqxx")
    assert names(page)[0] == "sqxx"

    page.click("#fb-canvas li[data-name=opinion] .fb-field-select")  # new fields go after the selected one
    add(page, "text", "申请人姓名", "sqrxm")
    page.fill("#fb-prop-placeholder", "与身份证一致")
    page.select_option("#fb-prop-prefill", "applicant.name")
    add(page, "textarea", "情况说明", "qksm")
    page.fill("#fb-prop-maxLength", "500")
    page.fill("#fb-prop-help", "简要说明申请原因")
    add(page, "number", "家庭人口", "jtrk")
    page.check("#fb-prop-integer")
    page.fill("#fb-prop-minimum", "1")
    page.fill("#fb-prop-maximum", "20")
    add(page, "money", "申请金额", "sqje")
    add(page, "date", "申请日期", "sqrq")
    add(page, "daterange", "租赁期限", "zlqx")
    add(page, "select", "申请类型", "sqlx")
    page.fill("#fb-option-0", "个人")
    page.fill("#fb-option-1", "单位")
    page.click("#fb-option-add")
    page.fill("#fb-option-2", "其他")
    page.click("#fb-option-1-down")  # reorder: 个人, 其他, 单位
    page.select_option("#fb-prop-default", "个人")
    add(page, "radio", "办理方式", "blfs")
    page.fill("#fb-option-0", "现场领取")
    page.fill("#fb-option-1", "邮寄送达")
    add(page, "checkboxes", "补贴类别", "btlb")
    page.fill("#fb-option-0", "住房")
    page.fill("#fb-option-1", "医疗")
    add(page, "yesno", "是否代办", "sfdb")
    add(page, "text", "代办人姓名", "dbrxm")
    page.check("#fb-prop-required")
    page.select_option("#fb-prop-cond-field", "sfdb")  # shown only when 是否代办 is 是
    expect(page.locator("#fb-cond-value-0")).to_be_checked()
    expect(field(page, "dbrxm").locator(".fb-cond-badge")).to_contain_text("是否代办")
    add(page, "idnumber", "身份证号码", "sfzhm")
    add(page, "creditcode", "统一社会信用代码", "tyshxydm")
    add(page, "mobile", "联系电话", "lxdh")
    add(page, "postcode", "邮政编码", "yzbm")
    add(page, "address", "住址", "zz")
    add(page, "materials", "已收材料")  # keeps its name: the 受理 step's list of received materials
    expect(page.locator("#fb-prop-name")).to_have_value("materials_received")
    add(page, "table", "家庭成员", "jtcy")
    table = field(page, "jtcy")
    table.locator("[id^=fb-column-kind]").select_option("mobile")
    table.locator("[id^=fb-column-add]").click()  # a fifth column
    page.fill("#fb-prop-title", "手机")
    expect(page.locator("#fb-prop-name")).to_have_value("sj")
    table.locator("li[data-name=monthly_income] .fb-down").click()  # keyboard-accessible reorder
    columns = [li.get_attribute("data-name") for li in table.locator(".fb-children > li.fb-field").all()]
    assert columns == ["name", "relation", "id_number", "sj", "monthly_income"]
    add(page, "note")
    page.fill("#fb-prop-description", "请核对原件后退还申请人。")
    page.click("#fb-add-shared-applicant")  # a shared form, included with $ref
    expect(page.locator("#fb-prop-name")).to_have_value("applicant_2")
    page.fill("#fb-prop-title", "申请人信息（共享）")

    # dragging reorders too: 联系电话 right after 身份证号码
    page.drag_and_drop(
        "#fb-canvas li[data-name=lxdh] > .fb-field-head",
        "#fb-canvas li[data-name=tyshxydm] > .fb-field-head",
        target_position={"x": 40, "y": 2},
    )
    order = names(page)
    assert order.index("lxdh") == order.index("sfzhm") + 1


def check_the_json(page) -> tuple[dict, dict]:
    schema = json.loads(page.input_value("#schema-text"))
    ui = json.loads(page.input_value("#ui-text"))
    props = schema["properties"]
    assert props["sfzhm"]["format"] == "cn-id-number" and props["tyshxydm"]["format"] == "cn-credit-code"
    assert props["lxdh"]["format"] == "cn-mobile" and props["yzbm"]["format"] == "cn-postcode"
    assert props["sqje"]["format"] == "cn-amount" and props["jtrk"]["type"] == "integer"
    assert props["sqlx"]["enum"] == ["个人", "其他", "单位"] and props["sqlx"]["default"] == "个人"
    assert props["btlb"]["items"]["enum"] == ["住房", "医疗"]
    assert props["materials_received"]["items"]["x-catalog"] == "materials"
    assert set(props["zz"]["properties"]) == {"province", "city", "district", "detail"}
    assert set(props["zlqx"]["properties"]) == {"start", "end"}
    assert list(props["jtcy"]["items"]["properties"]) == [
        "name",
        "relation",
        "id_number",
        "sj",
        "monthly_income",
    ]
    assert props["applicant_2"]["$ref"] == "applicant.schema.json"
    assert "dbrxm" not in props  # only in its condition: hidden, it is neither required nor checked
    [part] = [p for p in schema["allOf"] if "dbrxm" in p["then"]["properties"]]
    assert part["if"] == {"properties": {"sfdb": {"const": True}}, "required": ["sfdb"]}
    assert part["then"]["required"] == ["dbrxm"]
    assert schema["required"] == [
        "applicant",
        "accepted",
    ]  # the new fields are optional: the tests still pass
    assert ui["sqrxm"] == {"ui:placeholder": "与身份证一致", "ui:prefill": "applicant.name"}
    assert ui["sqxx"] == {"ui:widget": "heading"} and ui["blfs"] == {"ui:widget": "radio"}
    assert ui["ui:order"].index("dbrxm") == ui["ui:order"].index("sfdb") + 1
    return schema, ui


def try_the_preview(page) -> None:
    """Sample input typed into the preview is checked on the server, as a clerk's submission is."""
    preview = page.locator("#form-preview")
    expect(preview).to_have_attribute("data-state", "ok")
    expect(preview.locator("input[name='f.sqrxm']")).to_have_value("张三")  # the sample case's applicant
    hidden = preview.locator("[data-path=dbrxm]")
    expect(hidden).to_be_hidden()
    preview.locator("input[name='f.sfdb'][value=true]").check()
    expect(hidden).to_be_visible()
    preview.locator("input[name='f.sfzhm']").fill(BAD_ID)
    page.click("#preview-check")
    result = page.locator("#preview-result[data-check=failed]")
    expect(result).to_contain_text("身份证号码（sfzhm）不是有效的居民身份证号码")
    expect(result).to_contain_text("代办人姓名（dbrxm）为必填项")
    expect(preview.locator("[data-path=sfzhm] .ow-error")).to_contain_text("校验位不正确")
    screenshot(page, "formbuilder-preview-check")
    preview.locator("input[name='f.sfdb'][value=false]").check()
    expect(hidden).to_be_hidden()
    preview.locator("input[name='f.sfzhm']").fill(GOOD_ID)
    preview.locator("input[name='f.applicant']").fill("张三")
    preview.locator("input[name='f.accepted'][value=true]").check()
    page.click("#preview-check")
    expect(page.locator("#preview-result[data-check=passed]")).to_contain_text("示例数据通过校验")


def publish(page, version: int) -> None:
    page.goto("/definitions/")
    page.locator(f"#key-general_approval tr[data-version='{version}'] [data-action=publish]").click()
    page.click("#confirm-submit")
    expect(page.locator(".alert").first).to_contain_text(f"general_approval v{version} 现为已发布")


def accept(page) -> None:
    page.goto("/accept/general_approval")
    page.fill("input[name='a.applicant.name']", APPLICANT["name"])
    page.fill("input[name='a.applicant.id_number']", APPLICANT["id_number"])
    page.fill("input[name='a.applicant.phone']", APPLICANT["phone"])
    for box in page.locator("input[name='m.received']").all():
        box.check()
    page.click("#ow-accept-submit")
    page.wait_for_selector("#ow-task")


def test_an_analyst_builds_a_form_and_the_front_desk_fills_it_in(browser_page, site):
    page = browser_page
    login(page, "analyst")
    page.goto("/definitions/general_approval/1/forms?form=accept.schema.json")
    build_the_form(page)
    schema, ui = check_the_json(page)
    try_the_preview(page)
    screenshot(page, "formbuilder")

    page.click("#form-save")
    expect(page.locator(".alert-success").first).to_contain_text("general_approval 已部署为 v2（草稿）")
    stored = site.ow.definition("general_approval", 2)
    assert stored["forms"]["accept.uischema.json"] == ui  # linked to its task, so part of the version
    assert stored["forms"]["accept.schema.json"]["properties"]["applicant_2"]["properties"][
        "name"
    ]  # included
    assert (
        'name="formUiSchemaFilename" value="accept.uischema.json"' in stored["files"]["general_approval.bpmn"]
    )
    assert stored["forms"]["accept.schema.json"]["properties"]["materials_received"]["items"]["enum"] == [
        "申请表",
        "居民身份证",
    ]  # the catalog's materials
    # reopened, the builder shows the saved form, the shared form as a reference again
    expect(page.locator("#formbuilder[data-state=ready]")).to_be_visible()
    assert names(page) == ui["ui:order"]
    expect(field(page, "applicant_2")).to_have_attribute("data-kind", "shared")
    publish(page, 2)

    page.context.clear_cookies()
    login(page, "frontdesk")
    accept(page)
    task_id = int(page.locator("#ow-task").get_attribute("data-task"))
    form = page.locator("#ow-task-form")
    assert page.locator("#ow-task h3").inner_text().startswith("受理")
    expect(form.locator("input[name='f.sqrxm']")).to_have_value(APPLICANT["name"])  # ui:prefill
    expect(form.locator("input[name='f.sqrxm']")).to_have_attribute("placeholder", "与身份证一致")
    mobile = form.locator("input[name='f.lxdh']")  # formats hinted in the browser
    expect(mobile).to_have_attribute("inputmode", "tel")
    expect(mobile).to_have_attribute("maxlength", "11")
    expect(mobile).to_have_attribute("pattern", "^1[3-9][0-9]{9}$")
    expect(form.locator("[data-path=sqxx] h4")).to_have_text("申请信息")
    expect(form.locator(".ow-form-note")).to_contain_text("请核对原件后退还申请人")
    expect(form.locator("[data-path=sqje] .input-group-addon")).to_have_text("元")
    hidden = form.locator("[data-path=dbrxm]")
    expect(hidden).to_be_hidden()

    # wrong values: a bad check digit (here and in the table), 代办 with no 代办人
    form.locator("input[name='f.accepted'][value=true]").check()
    form.locator("input[name='f.complete'][value=true]").check()
    form.locator("input[name='f.sfdb'][value=true]").check()
    expect(hidden).to_be_visible()
    form.locator("input[name='f.sfzhm']").fill(BAD_ID)
    form.locator("input[name='f.lxdh']").fill("13900139000")
    form.locator("[data-path=jtcy] [data-add-row]").click()
    form.locator("input[name='f.jtcy.0.name']").fill("王大明")
    form.locator("select[name='f.jtcy.0.relation']").select_option("父母")
    form.locator("input[name='f.jtcy.0.id_number']").fill(BAD_ID)
    form.locator("input[name='f.jtcy.0.monthly_income']").fill("2500.50")
    form.locator("select[name='f.sqlx']").select_option("单位")
    form.locator("input[name='f.btlb'][value='医疗']").check()
    form.locator("input[name='f.sqje']").fill("1234.56")
    page.click("button[data-action=complete]")
    page.wait_for_selector("#ow-task")
    bad_id = form.locator("[data-path=sfzhm] .ow-error")
    expect(bad_id).to_contain_text("身份证号码（sfzhm）不是有效的居民身份证号码（含校验位）")
    expect(bad_id).to_contain_text("校验位不正确")
    expect(form.locator("[data-path=dbrxm] .ow-error")).to_contain_text("代办人姓名（dbrxm）为必填项")
    expect(page.locator("#ow-task")).to_contain_text("家庭成员 › 第1项 › 身份证号（jtcy[0].id_number）")
    expect(form.locator("input[name='f.sfzhm']")).to_have_value(BAD_ID)  # what was typed stays
    screenshot(page, "formbuilder-task-refused")
    assert site.ow.task(task_id, "frontdesk")["state"] in ("open", "claimed")  # nothing was completed

    # right values: the conditional field hidden again, so not required
    form.locator("input[name='f.sfdb'][value=false]").check()
    expect(hidden).to_be_hidden()
    form.locator("input[name='f.sfzhm']").fill(GOOD_ID)
    form.locator("input[name='f.jtcy.0.id_number']").fill(GOOD_ID)
    page.click("button[data-action=complete]")
    page.wait_for_selector("#ow-inbox")
    expect(page.locator(".alert-success")).to_contain_text("办理完成")
    data = site.ow.instance(site.ow.task(task_id, "frontdesk")["instance"])["data"]
    assert data["sqrxm"] == APPLICANT["name"] and data["sfzhm"] == GOOD_ID and data["sfdb"] is False
    assert "dbrxm" not in data
    assert data["jtcy"] == [
        {"name": "王大明", "relation": "父母", "id_number": GOOD_ID, "monthly_income": 2500.5}
    ]
    assert data["sqje"] == 1234.56 and data["sqlx"] == "单位" and data["btlb"] == ["医疗"]
