"""The modeler's properties panel: an analyst configures general_approval with pickers in real Chromium
(department, form, case status, a condition built from the upstream form, a timer), sees a hostile condition
refused live and marked on the canvas, gets a refused save back after a reload, and saves a valid draft; and
the panel's JSON endpoints as a test client meets them (session, CSRF, roles, bad input)."""

from __future__ import annotations

import json

import pytest
from lxml import etree
from playwright.sync_api import expect
from test_web_definitions import GENERAL_BPMN, token_of
from webapp import csrf_of, login, screenshot

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "spiffworkflow": SPIFF}
HOSTILE = "__import__('os')"
BROKEN = GENERAL_BPMN.replace("accepted == True", HOSTILE)


def select(page, element_id: str) -> None:
    """Select an element the way a click does (flows can be too short to click reliably)."""
    page.evaluate(
        """async (id) => {
            const modeler = await window.OneWindowModeler.ready;
            const element = modeler.get('elementRegistry').get(id);
            modeler.get('selection').select(element);
        }""",
        element_id,
    )


def build_condition(page) -> None:
    """是否受理 (accepted) 等于 否, with the builder; the server accepts it live."""
    page.select_option("#ow-cond-field", "accepted")
    page.select_option("#ow-cond-op", "eq")
    page.select_option("#ow-cond-value", "false")
    expect(page.locator("#ow-cond-expression")).to_have_text("accepted == False")
    expect(page.locator("#ow-cond-check")).to_have_attribute("data-state", "ok")


def prop(node, name: str) -> str | None:
    found = node.find(f".//spiffworkflow:property[@name='{name}']", NS)
    return None if found is None else found.get("value")


def test_the_analyst_configures_general_approval_with_the_panel(browser_page, site):
    page = browser_page
    page.on("dialog", lambda dialog: dialog.accept())
    login(page, "analyst")
    page.goto("/definitions/general_approval/1/modeler")
    expect(page.locator("[data-bpmn-modeler][data-ready=true]")).to_be_visible()

    # A user task: its department (a new lane) and its case-status milestone, from pickers.
    page.click("[data-element-id=Task_review]")
    expect(page.locator("#ow-department")).to_have_value("minzheng")
    page.select_option("#ow-department", "renshe")
    expect(page.locator("#ow-department")).to_have_value("renshe")
    expect(page.locator(".djs-shape[data-element-id^=Lane] .djs-label", has_text="renshe")).to_have_count(1)
    page.select_option("#ow-case-status", "8")
    expect(page.locator("#ow-case-status")).to_have_value("8")
    expect(page.locator("#ow-action-send-back")).to_contain_text("退回上一步")
    screenshot(page, "modeler-panel-user-task")

    page.click("[data-element-id=Task_deliver]")
    expect(page.locator("#ow-form")).to_have_value("deliver.schema.json")
    page.select_option("#ow-form", "review.schema.json")
    expect(page.locator("#ow-form")).to_have_value("review.schema.json")

    # A flow out of a gateway: no longer the default, a condition from the builder, then a hostile one.
    select(page, "Flow_refuse")
    expect(page.locator("#ow-cond-default")).to_be_checked()
    page.uncheck("#ow-cond-default")
    build_condition(page)
    screenshot(page, "modeler-condition-builder")
    page.click("#ow-cond-mode-raw")
    page.fill("#ow-cond-raw", HOSTILE)
    expect(page.locator("#ow-cond-expression")).to_have_text(HOSTILE)
    refused = page.locator("#ow-cond-check[data-state=error]")
    expect(refused).to_contain_text("__import__")

    # A boundary timer: five working days.
    page.click("[data-element-id=Timer_urge]")
    expect(page.locator("#ow-timer-kind")).to_have_value("duration")
    page.fill("#ow-timer-amount", "5")
    page.select_option("#ow-timer-unit", "workday")
    expect(page.locator("#ow-timer-value")).to_contain_text("P5D")
    expect(page.locator("#ow-timer-check")).to_have_attribute("data-state", "ok")

    # 检查 marks the broken flow on the canvas, with its message on hover and in the panel.
    page.click("#modeler-check")
    expect(page.locator("#modeler-result[data-check=problems]")).to_contain_text("Flow_refuse")
    expect(page.locator(".djs-connection.ow-problem[data-element-id=Flow_refuse]")).to_have_count(1)
    badge = page.locator(".ow-problem-badge[data-problem-element=Flow_refuse]")
    badge.hover()
    expect(badge.locator(".ow-problem-tip")).to_be_visible()
    expect(badge.locator(".ow-problem-tip")).to_contain_text("__import__")
    select(page, "Flow_refuse")
    expect(page.locator("#ow-panel-problems")).to_contain_text("__import__")
    screenshot(page, "modeler-problems")

    # A refused save keeps the diagram on screen and the typed work on the server.
    versions = len([d for d in site.ow.definitions() if d["key"] == "general_approval"])
    page.click("#modeler-save")
    expect(page.locator("#modeler-result[data-status='422']")).to_contain_text("Flow_refuse")
    expect(page.locator(".djs-connection.ow-problem[data-element-id=Flow_refuse]")).to_have_count(1)
    assert len([d for d in site.ow.definitions() if d["key"] == "general_approval"]) == versions
    page.reload()
    expect(page.locator("[data-bpmn-modeler][data-ready=true]")).to_be_visible()
    kept = page.locator("#modeler-kept")
    expect(kept).to_contain_text("有未保存成功的修改，是否恢复？")
    screenshot(page, "modeler-kept-edit")
    page.click("#modeler-kept-restore")
    expect(kept).to_be_hidden()
    expect(page.locator(".djs-connection.ow-problem[data-element-id=Flow_refuse]")).to_have_count(1)
    page.click("[data-element-id=Timer_urge]")
    expect(page.locator("#ow-timer-value")).to_contain_text("P5D")
    expect(page.locator("#ow-timer-unit")).to_have_value("workday")

    # Fixed with the builder, the diagram saves as a new draft that holds what the pickers wrote.
    select(page, "Flow_refuse")
    expect(page.locator("#ow-cond-raw")).to_have_value(HOSTILE)
    page.click("#ow-cond-mode-builder")
    build_condition(page)
    page.click("#modeler-save")
    result = page.locator("#modeler-result[data-status='201']")
    expect(result).to_contain_text("已保存草稿")
    expect(page.locator(".ow-problem-badge")).to_have_count(0)
    screenshot(page, "modeler-saved")
    version = int(result.get_attribute("data-version"))

    saved = site.ow.definition("general_approval", version)
    assert saved["status"] == "draft" and site.ow.kept_edit("analyst", "general_approval") is None
    tree = etree.fromstring(saved["files"]["general_approval.bpmn"].encode())
    review = tree.find(".//bpmn:userTask[@id='Task_review']", NS)
    assert prop(review, "caseStatus") == "8"
    lane = tree.find(".//bpmn:lane[@name='renshe']", NS)
    assert "Task_review" in [r.text for r in lane.findall("bpmn:flowNodeRef", NS)]
    deliver = tree.find(".//bpmn:userTask[@id='Task_deliver']", NS)
    assert prop(deliver, "formJsonSchemaFilename") == "review.schema.json"
    flow = tree.find(".//bpmn:sequenceFlow[@id='Flow_refuse']", NS)
    assert flow.find("bpmn:conditionExpression", NS).text == "accepted == False"
    assert tree.find(".//bpmn:exclusiveGateway[@id='Gateway_accepted']", NS).get("default") is None
    timer = tree.find(".//bpmn:boundaryEvent[@id='Timer_urge']", NS)
    assert timer.find(".//bpmn:timeDuration", NS).text == "P5D"
    assert prop(timer, "workingDays") == "5"
    original = etree.fromstring(
        site.ow.definition("general_approval", 1)["files"]["general_approval.bpmn"].encode()
    )
    scripts = [f"{{{SPIFF}}}preScript", f"{{{SPIFF}}}postScript"]
    assert [e.text for e in tree.iter(*scripts)] == [e.text for e in original.iter(*scripts)]  # kept as drawn


# -- the panel's JSON, as a test client meets it ------------------------------------------------------------

CONTEXT = "/definitions/modeler/context?key=general_approval&version=1"
CHECK_EXPRESSION = "/definitions/modeler/check-expression"
CHECK = "/definitions/general_approval/1/modeler/check"
PUBLISH = "/definitions/modeler/publish"
DISCARD = "/definitions/general_approval/modeler/discard"


@pytest.fixture(scope="module")
def analyst(site):
    return site.client("analyst")


def post(client, url: str, body, token: str | None = None):
    headers = {"X-CSRFToken": token} if token else {}
    return client.post(url, data=json.dumps(body), content_type="application/json", headers=headers)


def test_the_panels_json_needs_a_session_the_csrf_token_and_the_analysts_role(site):
    anonymous = site.client()
    assert anonymous.get(CONTEXT).status_code == 401
    token = csrf_of(anonymous.get("/login/").get_data(as_text=True))
    assert post(anonymous, CHECK_EXPRESSION, {"source": "x == 1"}, token).status_code == 401

    clerk = site.client("frontdesk")
    token = token_of(clerk)
    assert clerk.get(CONTEXT).status_code == 403
    for url, body in (
        (CHECK_EXPRESSION, {"source": "x == 1", "kind": "condition"}),
        (CHECK, {"xml": GENERAL_BPMN, "file_name": "general_approval.bpmn"}),
        (PUBLISH, {"key": "general_approval", "version": 1}),
        (DISCARD, {}),
    ):
        assert post(clerk, url, body, token).status_code == 403, url

    analyst = site.client("analyst")
    for url, body in ((CHECK_EXPRESSION, {"source": "x == 1"}), (CHECK, {"xml": GENERAL_BPMN})):
        assert post(analyst, url, body).status_code in (400, 403), url
        assert post(analyst, url, body, "forged").status_code in (400, 403), url


def test_the_context_offers_groups_forms_and_case_statuses(analyst):
    r = analyst.get(CONTEXT)
    assert r.status_code == 200
    assert {"code": "renshe", "name": "人社"} in r.json["groups"]
    assert {"accept.schema.json", "review.schema.json"} <= set(r.json["version_forms"])
    assert r.json["forms"]["accept.schema.json"]["properties"]["accepted"]["title"] == "是否受理"
    assert {"code": 3, "name": "已受理"} in r.json["case_statuses"]
    assert analyst.get("/definitions/modeler/context").status_code == 200  # a new diagram: no version
    assert analyst.get("/definitions/modeler/context?key=general_approval&version=x").status_code == 422
    assert analyst.get("/definitions/modeler/context?version=1").status_code == 422
    assert analyst.get("/definitions/modeler/context?key=general_approval&version=99").status_code == 404


def test_expressions_are_checked_by_the_sandbox(analyst):
    token = token_of(analyst)
    ok = post(analyst, CHECK_EXPRESSION, {"source": "amount > 100", "kind": "condition"}, token)
    assert ok.status_code == 200 and ok.json == {"problems": []}
    hostile = post(analyst, CHECK_EXPRESSION, {"source": HOSTILE, "kind": "condition"}, token)
    assert hostile.status_code == 200 and "__import__" in hostile.json["problems"][0]["message"]
    for source, kind in (("P5D", "duration"), ("R3/PT1H", "cycle"), ("2026-12-01T09:00:00+08:00", "date")):
        assert post(analyst, CHECK_EXPRESSION, {"source": source, "kind": kind}, token).json == {
            "problems": []
        }
    assert post(analyst, CHECK_EXPRESSION, {"source": "P5X", "kind": "duration"}, token).json["problems"]
    script = post(analyst, CHECK_EXPRESSION, {"source": "x = 1\nimport os", "kind": "script"}, token)
    assert script.json["problems"][0]["line"] == 2
    for body in ({"source": "x", "kind": "sql"}, {"source": 7}, ["x"], {"source": "x" * 20_001}):
        assert post(analyst, CHECK_EXPRESSION, body, token).status_code == 422, body


def test_a_diagram_check_names_the_elements_and_stores_nothing(site, analyst):
    token = token_of(analyst)
    before = len(site.ow.definitions())
    r = post(analyst, CHECK, {"xml": BROKEN, "file_name": "general_approval.bpmn"}, token)
    assert r.status_code == 200
    assert [p["element"] for p in r.json["problems"]] == ["Flow_accept"]
    clean = post(analyst, CHECK, {"xml": GENERAL_BPMN, "file_name": "general_approval.bpmn"}, token)
    assert clean.json == {"problems": []}
    new = post(analyst, "/definitions/modeler/check", {"xml": BROKEN, "file_name": "x.bpmn"}, token)
    assert new.status_code == 200 and new.json["problems"]
    assert post(analyst, CHECK, {"xml": "", "file_name": "general_approval.bpmn"}, token).status_code == 422
    assert post(analyst, CHECK, {"xml": GENERAL_BPMN, "file_name": "../x.bpmn"}, token).status_code == 422
    missing = post(
        analyst, "/definitions/nope/1/modeler/check", {"xml": GENERAL_BPMN, "file_name": "a.bpmn"}, token
    )
    assert missing.status_code == 404
    assert len(site.ow.definitions()) == before


def test_a_refused_save_is_kept_offered_back_and_discarded(site, analyst):
    token = token_of(analyst)
    save = "/definitions/general_approval/1/modeler/save"
    r = post(analyst, save, {"xml": BROKEN, "file_name": "general_approval.bpmn"}, token)
    assert r.status_code == 422 and r.json["errors"][0]["element"] == "Flow_accept"
    html = analyst.get("/definitions/general_approval/1/modeler").get_data(as_text=True)
    assert 'id="modeler-kept"' in html and "有未保存成功的修改，是否恢复？" in html
    assert HOSTILE.replace("'", "\\u0027") in html  # the kept diagram, as JSON in the page
    assert post(analyst, DISCARD, {}, token).status_code == 200
    assert site.ow.kept_edit("analyst", "general_approval") is None
    assert 'id="modeler-kept"' not in analyst.get("/definitions/general_approval/1/modeler").get_data(
        as_text=True
    )


def test_a_new_form_is_saved_with_the_diagram_that_links_it(site, analyst):
    token = token_of(analyst)
    linked = GENERAL_BPMN.replace('value="deliver.schema.json"', 'value="handover.schema.json"')
    body = {"xml": linked, "file_name": "general_approval.bpmn", "new_form": "handover.schema.json"}
    r = post(analyst, "/definitions/general_approval/1/modeler/save", {**body, "form_title": "交接"}, token)
    assert r.status_code == 201, r.json
    [saved] = r.json
    assert saved["form_editor_url"].endswith(
        f"/general_approval/{saved['version']}/forms?form=handover.schema.json"
    )
    stored = site.ow.definition("general_approval", saved["version"])
    assert stored["forms"]["handover.schema.json"]["title"] == "交接"
    editor = analyst.get(saved["form_editor_url"])
    assert editor.status_code == 200 and "handover.schema.json" in editor.get_data(as_text=True)
    again = post(analyst, f"/definitions/general_approval/{saved['version']}/modeler/save", body, token)
    assert again.status_code == 422  # that form exists now: pick it
    for name in ("../x.json", "x.uischema.json", "x.txt", 5):
        assert (
            post(
                analyst, "/definitions/general_approval/1/modeler/save", {**body, "new_form": name}, token
            ).status_code
            == 422
        )


def test_publishing_from_the_modeler(site, analyst):
    token = token_of(analyst)
    for body in (
        {"key": "general_approval"},
        {"key": "general_approval", "version": "2"},
        {"key": "../x", "version": 1},
    ):
        assert post(analyst, PUBLISH, body, token).status_code == 422, body
    failing = json.dumps(
        {
            "title": "走错路",
            "start": {"data": {"applicant": "张三"}},
            "steps": [],
            "expect": {"end": "EndEvent_nope"},
        }
    )
    [draft] = site.ow.deploy_edit(
        {"tests/wrong.json": failing.encode()}, base=("hr_service_permit", 1), actor="analyst"
    )
    refused = post(analyst, PUBLISH, {"key": "hr_service_permit", "version": draft["version"]}, token)
    assert refused.status_code == 422 and refused.json["errors"][0]["file"] == "tests/wrong.json"
    assert site.ow.definition("hr_service_permit", draft["version"])["status"] == "draft"
    [draft] = site.ow.deploy_edit(
        {"general_approval.bpmn": GENERAL_BPMN.replace('name="审核"', 'name="复审"').encode()},
        base=("general_approval", 1),
        actor="analyst",
    )
    published = post(analyst, PUBLISH, {"key": "general_approval", "version": draft["version"]}, token)
    assert published.status_code == 200
    assert published.json == {"key": "general_approval", "version": draft["version"], "status": "published"}
