"""The case page in Chromium: the diagram is drawn by bpmn-js with the case's progress marked on it."""

from __future__ import annotations

from webapp import SCREENSHOTS, login, screenshot


def test_case_page_draws_the_diagram_with_done_and_current_steps(site, browser_page):
    ow = site.ow
    started = ow.start(
        "general_approval", {"applicant": {"name": "王小明", "phone": "13800000000"}}, actor="frontdesk"
    )
    accept = started["tasks"][0]["id"]
    ow.claim(accept, "frontdesk")
    review = ow.complete(
        accept, "frontdesk", {"applicant": "王小明", "accepted": True, "opinion": "材料齐全"}
    )
    review_id = review["tasks"][0]["id"]
    ow.claim(review_id, "minzheng")
    ow.complete(review_id, "minzheng", {"approved": True, "opinion": "同意办理"})
    number = started["case_number"]

    page = browser_page
    login(page, "frontdesk")
    page.goto(f"/cases/{number}")
    page.wait_for_selector("[data-bpmn-viewer][data-rendered=true]")
    assert page.locator("[data-bpmn-viewer]").get_attribute("data-error") is None
    marked = "#case-diagram-canvas .djs-element.{}[data-element-id={}]"
    for element in ("StartEvent_apply", "Task_accept", "Gateway_accepted", "Task_review", "Flow_approve"):
        assert page.locator(marked.format("ow-completed", element)).count() == 1, element
    assert page.locator(marked.format("ow-current", "Task_deliver")).count() == 1
    assert page.locator(marked.format("ow-pending", "EndEvent_done")).count() == 1
    assert page.locator(marked.format("ow-completed", "Task_deliver")).count() == 0
    assert page.locator(marked.format("ow-completed", "EndEvent_refused")).count() == 0
    # the page around it: number, status, the applicant and both steps' opinions on the timeline
    assert page.locator("#case-number").inner_text() == number
    assert page.locator("#case-status").inner_text() == "3 已受理"
    timeline = page.locator("#case-timeline").inner_text()
    assert "材料齐全" in timeline and "同意办理" in timeline and "minzheng" in timeline
    assert page.locator("#case-applicant").inner_text().startswith("王小明")
    screenshot(page, "case-page")
    page.locator("#case-diagram").screenshot(path=str(SCREENSHOTS / "case-diagram.png"))
