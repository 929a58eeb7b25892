"""The analyst in a real browser: a rejected upload is fixed and published, the diagram is drawn, the modeler
saves a new draft and the form editor previews as one types."""

from __future__ import annotations

import json

from playwright.sync_api import expect
from test_web_definitions import CONDITION, GENERAL, general_zip, renamed_review
from webapp import login, screenshot


def zip_file(data: bytes) -> dict:
    return {"name": "general_approval.zip", "mimeType": "application/zip", "buffer": data}


def test_analyst_fixes_a_rejected_upload_and_publishes_it(browser_page, site):
    page = browser_page
    login(page, "analyst")
    page.goto("/definitions/")
    expect(page.locator("#key-general_approval tr[data-version='1'] .ow-status")).to_have_text("已发布")
    screenshot(page, "definitions-list")

    page.click(".page-header a:has-text('上传流程')")
    broken = renamed_review("复核").replace(CONDITION, "")
    page.set_input_files("#upload-file", zip_file(general_zip(broken)))
    page.click("#upload-submit")
    report = page.locator("#validation-report")
    expect(report).to_contain_text("校验未通过，未保存任何内容")
    expect(report.locator("tbody tr")).to_have_count(1)
    expect(report).to_contain_text("Flow_accept")
    expect(report).to_contain_text("流出但没有条件")  # the core speaks Chinese by default
    screenshot(page, "definitions-validation-report")
    assert [d["version"] for d in site.ow.definitions() if d["key"] == "general_approval"] == [1]

    page.set_input_files("#upload-file", zip_file(general_zip(renamed_review("复核"))))
    page.fill("#upload-tag", "复核改名")
    page.click("#upload-submit")
    expect(page.locator(".alert")).to_contain_text("general_approval 已部署为 v2（草稿）")
    row = page.locator("#key-general_approval tr[data-version='2']")
    expect(row.locator(".ow-status")).to_have_text("草稿")
    row.locator("[data-action=publish]").click()
    expect(page.locator("#confirm-submit")).to_have_text(
        "确认发布"
    )  # publishing says what it supersedes first
    page.click("#confirm-submit")
    expect(page.locator(".alert").first).to_contain_text("general_approval v2 现为已发布")
    expect(page.locator("#key-general_approval tr[data-version='2'] .ow-status")).to_have_text("已发布")

    page.click("#key-general_approval a:has-text('版本对比')")
    changed = page.locator("#diff-changed tr[data-id=Task_review]")
    expect(changed).to_contain_text("复核")
    expect(changed).to_contain_text("审核")
    screenshot(page, "definitions-diff")


def test_the_version_page_draws_the_diagram(browser_page):
    page = browser_page
    login(page, "analyst")
    page.goto("/definitions/general_approval/1")
    diagram = page.locator("#version-diagram[data-rendered=true]")
    expect(diagram).to_be_visible()
    expect(diagram.locator("[data-element-id=Task_review]")).to_have_count(1)
    expect(page.locator("#catalog-entry")).to_contain_text("DEMO-0001")
    screenshot(page, "definitions-version-diagram")


def test_the_modeler_saves_a_new_draft(browser_page, site):
    page = browser_page
    login(page, "analyst")
    page.goto("/definitions/hr_service_permit/1/modeler")
    expect(page.locator("[data-bpmn-modeler][data-ready=true]")).to_be_visible()
    page.click("#modeler-save")
    result = page.locator("#modeler-result[data-status='201']")
    expect(result).to_contain_text("已保存草稿 / Saved draft: hr_service_permit v2 (draft)")
    screenshot(page, "definitions-modeler")
    saved = site.ow.definition("hr_service_permit", 2)
    assert (
        saved["status"] == "draft"
        and saved["catalog"] == site.ow.definition("hr_service_permit", 1)["catalog"]
    )


def test_the_form_editor_previews_while_typing(browser_page):
    page = browser_page
    login(page, "analyst")
    page.goto("/definitions/general_approval/1/forms?form=accept.schema.json")
    preview = page.locator("#form-preview")
    expect(preview).to_have_attribute("data-state", "ok")
    schema = json.loads((GENERAL / "forms" / "accept.schema.json").read_text(encoding="utf-8"))
    field = next(iter(schema["properties"]))
    schema["properties"][field]["title"] = "<i>经办人</i>意见"
    page.fill("#schema-text", json.dumps(schema, ensure_ascii=False, indent=2))
    expect(preview).to_contain_text("<i>经办人</i>意见")  # shown as text, not markup
    expect(preview.locator("i")).to_have_count(0)
    expect(preview).to_have_attribute("data-state", "ok")
    screenshot(page, "definitions-form-editor")

    page.fill("#schema-text", '{"type": "object", "properties": {')
    expect(preview).to_have_attribute("data-state", "error")
    expect(preview.locator("#preview-errors")).to_contain_text("不是有效的 JSON")
