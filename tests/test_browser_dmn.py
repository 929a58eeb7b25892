"""The 最低生活保障 decision table in real Chromium: the analyst raises the 单人户 低保标准 from 1,200 to 1,300
元/人·月 in dmn-js (a slip — FEEL's `true` — is refused in Chinese with what was typed kept), saves a new draft,
publishes it through 确认发布 (the process tests run and still pass), and cases of single-person households are
then decided by the new standard both ways, while households of three keep the old one. Also the page's
guards as a test client meets them: clerks 403, CSRF on the save."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from webapp import csrf_of, login, screenshot

KEY = "minimum_living_allowance"
DMN = f"{KEY}_eligibility.dmn"
PERSON = {"applicant": {"name": "王小明", "id_number": "330203199001011234", "phone": "13800000000"}}
CHECKED = {
    "eligible": True,
    "complete": True,
    "received": [
        "最低生活保障申请书",
        "家庭成员居民身份证",
        "居民户口簿",
        "家庭经济状况核对授权书",
        "家庭收入和财产状况声明",
    ],
    "opinion": "材料齐全，予以受理",
}


def published(site) -> int:
    return next(d["version"] for d in site.ow.definitions() if d["key"] == KEY and d["status"] == "published")


def versions(site) -> list[int]:
    return sorted(d["version"] for d in site.ow.definitions() if d["key"] == KEY)


def cell(page, entry: str):
    return page.locator(f"#decisions-editor td[data-element-id='{entry}']")


def type_into(page, entry: str, text: str) -> None:
    """Replace a cell's text as the analyst does: click it (dmn-js opens its FEEL editor), select what is there,
    type, and leave the cell."""
    cell(page, entry).click()
    editing = cell(page, entry).locator(".cm-content")
    expect(editing).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.click(".page-header h2")
    expect(cell(page, entry)).to_have_text(text)


def decide(site, size: int, income: float) -> dict:
    """A new case up to the 镇街初审 with this household: what the table decided and where the case went."""
    started = site.ow.start(KEY, PERSON, actor="frontdesk")
    [check] = started["tasks"]
    [survey] = site.ow.complete(check["id"], "frontdesk", CHECKED)["tasks"]
    survey_data = {
        "survey_date": "2026-09-17",
        "investigators": ["镇民政办 陈敏", "社区 周丽"],
        "family_size": size,
        "income_per_capita": income,
        "recommend": True,
        "pause_approver": "镇分管领导 张华",
        "opinion": "入户调查属实，同意上报",
    }
    site.ow.complete(survey["id"], "minzheng", survey_data)
    case = site.ow.case(started["case_number"])
    detail = site.ow.instance(case["instance"])
    return {
        "eligible": detail["data"]["allowance_eligible"],
        "reason": detail["data"]["eligibility_reason"],
        "status": case["status_code"],
        "open": [t["name"] for t in detail["open_tasks"]],
    }


def test_the_analyst_raises_the_single_person_standard_and_cases_follow_it(browser_page, site):
    base = published(site)
    assert decide(site, 1, 1250)["eligible"] is False  # 1,250 元 is over the standard of 1,200 today

    page = browser_page
    login(page, "analyst")
    page.goto(f"/definitions/{KEY}/{base}")
    page.click("#version-tabs a[data-tab=decisions]")
    editor = page.locator("#decisions-editor")
    expect(editor).to_have_attribute("data-state", "ready")
    expect(page.locator("#decisions-editor .hit-policy")).to_contain_text("首个命中")  # dmn-js speaks Chinese
    expect(page.locator("#decisions-editor th[data-col-id=Input_income]")).to_contain_text(
        "家庭月人均收入（元）"
    )
    expect(cell(page, "InputEntry_single_income")).to_have_text("< 1200")

    # The new standard, and a slip: FEEL's boolean where the engine reads Python.
    type_into(page, "InputEntry_single_income", "< 1300")
    type_into(page, "OutputEntry_single_eligible", "true")
    page.click("#decisions-save")
    problems = page.locator("#decisions-problems")
    expect(problems).to_contain_text(
        "第 1 条规则，“符合低保条件”列：true：表达式被拒绝：请写 True，不要写 true"
    )
    expect(page.locator("#decisions-result")).to_have_attribute("data-status", "422")
    expect(page.locator("#decisions-result")).to_contain_text("校验未通过，未保存任何内容")
    expect(cell(page, "InputEntry_single_income")).to_have_text("< 1300")  # what was typed stays
    expect(cell(page, "OutputEntry_single_eligible")).to_have_text("true")
    screenshot(page, "decisions-refused")
    assert versions(site)[-1] == base  # nothing stored

    type_into(page, "OutputEntry_single_eligible", "True")
    page.click("#decisions-save")
    page.wait_for_url(re.compile(rf"/definitions/{KEY}/{base + 1}/decisions"))
    expect(page.locator(".alert").first).to_contain_text(f"{KEY} 已部署为 v{base + 1}（草稿）")
    expect(page.locator("#decisions-editor")).to_have_attribute("data-state", "ready")
    expect(cell(page, "InputEntry_single_income")).to_have_text("< 1300")
    expect(page.locator("#version-status")).to_have_text("草稿")
    screenshot(page, "decisions-editor")
    stored = site.ow.definition(KEY, base + 1)["files"][DMN]
    assert "&lt; 1300" in stored and "&lt; 1200" in stored  # the 二人及以上户 row keeps 1,200

    # Publishing runs the unit's process tests (they hold with the new 单人户 standard), after 确认发布.
    page.goto("/definitions/")
    page.locator(f"#key-{KEY} tr[data-version='{base + 1}'] [data-action=publish]").click()
    expect(page.locator("#confirm-submit")).to_have_text("确认发布")
    page.click("#confirm-submit")
    expect(page.locator(".alert").first).to_contain_text(f"{KEY} v{base + 1} 现为已发布")
    expect(page.locator(f"#key-{KEY} tr[data-version='{base + 1}'] .ow-status")).to_have_text("已发布")
    assert published(site) == base + 1

    below = decide(site, 1, 1250)  # now under the 单人户 standard: on to the 公示
    assert (below["eligible"], below["status"], below["open"]) == (True, 9, [])
    assert "单人户" in below["reason"]
    at = decide(site, 1, 1300)  # the new boundary: not below it
    assert (at["eligible"], at["status"], at["open"]) == (False, 8, ["Task_deliver"])
    household = decide(site, 3, 1250)  # households of three keep the standard of 1,200
    assert (household["eligible"], household["open"]) == (False, ["Task_deliver"])
    assert household["reason"] == "家庭月人均收入不低于当地低保标准"


def test_only_analysts_and_admins_open_and_save_decision_tables(site):
    version = published(site)
    url = f"/definitions/{KEY}/{version}/decisions"
    for clerk in ("frontdesk", "minzheng"):
        assert site.client(clerk).get(url).status_code == 403
    for user in ("analyst", "admin"):
        assert site.client(user).get(url).status_code == 200
    assert site.client("analyst").get("/definitions/general_approval/1/decisions").status_code == 404

    analyst = site.client("analyst")
    token = csrf_of(analyst.get(url).get_data(as_text=True))
    xml = site.ow.definition(KEY, version)["files"][DMN]
    save = f"{url}/save"
    before = versions(site)
    assert analyst.post(save, json={"xml": xml, "file_name": DMN}).status_code == 400  # no CSRF token
    clerk = site.client("frontdesk")
    clerk_token = csrf_of(clerk.get("/inbox/").get_data(as_text=True))
    assert (
        clerk.post(
            save, json={"xml": xml, "file_name": DMN}, headers={"X-CSRFToken": clerk_token}
        ).status_code
        == 403
    )
    r = analyst.post(save, json={"xml": xml, "file_name": "other.dmn"}, headers={"X-CSRFToken": token})
    assert r.status_code == 422 and "决策表文件" in r.json["errors"][0]["message"]
    r = analyst.post(save, json={"xml": xml, "file_name": DMN}, headers={"X-CSRFToken": token})
    assert r.status_code == 200 and "未变化" in r.json["message"]  # the same table: no new version
    assert versions(site) == before
