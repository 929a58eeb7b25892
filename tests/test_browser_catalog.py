"""The analyst edits a service item's catalog entry in real Chromium: a material is renamed, the refused save
keeps what was typed with the problem on its field, and the fixed entry is saved as a new draft; then the
front desk finds the item in the 受理 list by its pinyin initials as it types."""

from __future__ import annotations

from playwright.sync_api import expect
from webapp import login, screenshot


def test_the_analyst_edits_a_material_sees_a_refusal_keep_it_and_saves(browser_page, site):
    page = browser_page
    login(page, "analyst")
    page.goto("/definitions/general_approval/1")
    page.click("#version-tabs a[data-tab=catalog]")
    expect(page.locator("#catalog-form")).to_be_visible()
    name = page.locator("input[name='f.materials.1.name']")
    expect(name).to_have_value("居民身份证")
    screenshot(page, "catalog-form")

    name.fill("申请表")  # the same name as the first material: refused by the catalog's rules
    page.fill("input[name='f.materials.1.copies.copy']", "2")
    page.click("#catalog-save")
    expect(page.locator("#catalog-refused")).to_contain_text("校验未通过")
    expect(page.locator("input[name='f.materials.1.name']")).to_have_value("申请表")  # kept on screen
    expect(page.locator("input[name='f.materials.1.copies.copy']")).to_have_value("2")
    cell = page.locator("td.has-error", has=page.locator("input[name='f.materials.1.name']"))
    expect(cell.locator(".ow-error")).to_contain_text("重复列出")  # on its field, in Chinese
    screenshot(page, "catalog-refused")
    assert [d["version"] for d in site.ow.definitions() if d["key"] == "general_approval"] == [1]

    page.fill("input[name='f.materials.1.name']", "居民身份证（正反面）")
    box = page.locator("[data-path=materials] [data-array-box]").first
    box.locator("[data-add-row]").last.click()  # a third material, in a new row
    page.fill("input[name='f.materials.2.name']", "户口簿")
    page.select_option("select[name='f.materials.2.necessity']", "容缺后补")
    page.select_option("select[name='f.materials.2.form']", "纸质")
    page.click("#catalog-save")
    expect(page.locator(".alert").first).to_contain_text("general_approval 已部署为 v2（草稿）")
    expect(page.locator("input[name='f.materials.1.name']")).to_have_value("居民身份证（正反面）")
    screenshot(page, "catalog-saved")
    materials = site.ow.definition("general_approval", 2)["catalog"]["materials"]
    assert [(m["name"], m["necessity"]) for m in materials] == [
        ("申请表", "必要"),
        ("居民身份证（正反面）", "必要"),
        ("户口簿", "容缺后补"),
    ]
    assert materials[1]["copies"] == {"original": 1, "copy": 2}
    assert site.ow.kept_edit("analyst", "general_approval") is None  # the good save cleared the kept one


def test_the_front_desk_finds_an_item_by_its_pinyin_initials(browser_page):
    page = browser_page
    login(page, "frontdesk")
    page.goto("/accept/")
    rows = page.locator("tr[data-item]:visible")
    expect(rows).to_have_count(6)
    page.fill("#ow-item-q", "yljb")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-item", "medical_insurance_enrollment")
    screenshot(page, "accept-search")
    page.fill("#ow-item-q", "zzzz")
    expect(page.locator("#ow-no-match")).to_be_visible()
