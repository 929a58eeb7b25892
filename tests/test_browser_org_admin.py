"""An admin runs the hall's organisation in real Chromium: creates 税务 as a new department, moves a village
to another town, disables an account (after a confirmation), and that account can no longer sign in."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from webapp import login, screenshot


def test_an_admin_adds_a_department_moves_a_village_and_disables_an_account(browser_page, site):
    page = browser_page
    login(page, "renshe")  # the account signs in before it is disabled
    expect(page).not_to_have_url(re.compile(r"/login/"))
    page.goto("/logout/")

    login(page, "admin")
    page.goto("/organisation/")
    page.fill("#group-code", "shuiwu")
    page.fill("#group-name", "税务")
    page.click("#group-form button[type=submit]")
    expect(page.locator("#group-shuiwu")).to_contain_text("税务")
    assert "shuiwu" in {g["code"] for g in site.ow.groups()}
    screenshot(page, "org-admin-department")

    path = page.locator("#unit-gaoqiao-qiaoxi td.text-muted")
    expect(path).to_have_text("/shifanqu/gaoqiao/gaoqiao-qiaoxi/")  # under 高桥镇
    page.select_option("#unit-move-gaoqiao-qiaoxi-parent", "jishigang")
    page.click("#unit-move-gaoqiao-qiaoxi button[type=submit]")
    expect(path).to_have_text("/shifanqu/jishigang/gaoqiao-qiaoxi/")  # now under 集士港镇
    expect(page.locator("#unit-move-gaoqiao-qiaoxi-parent")).to_have_value("jishigang")
    screenshot(page, "org-admin-moved")

    page.goto("/accounts/user/renshe")
    expect(page.locator("#account-status")).to_have_text("启用")
    page.once("dialog", lambda dialog: dialog.dismiss())  # a slip of the mouse: nothing happens
    page.click("#disable-account")
    expect(page.locator("#account-status")).to_have_text("启用")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#disable-account")
    expect(page.locator("#account-status")).to_have_text("停用")
    screenshot(page, "org-admin-disabled")
    page.goto("/logout/")

    login(page, "renshe")
    expect(page).to_have_url(re.compile(r"/login/"))
    expect(page.locator(".alert").first).to_contain_text("无效的用户名或密码")  # still the sign-in form
    screenshot(page, "org-admin-refused")
