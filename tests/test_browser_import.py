"""The analyst imports a Camunda 8 diagram in a real browser: 导入, the report, the version drawn by bpmn-js
with every shape and edge of its layout, the modeler opening it, and nothing refused by the page's policy."""

from __future__ import annotations

from conftest import BPMN_DIR
from lxml import etree
from playwright.sync_api import expect
from webapp import login, screenshot

SAMPLE = BPMN_DIR / "interop" / "camunda8_permit.bpmn"
DI = "http://www.omg.org/spec/BPMN/20100524/DI"


def test_analyst_imports_a_camunda_8_diagram_and_opens_it(browser_page, site):
    page = browser_page
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda exc: refused.append(f"page error: {exc}"))
    login(page, "analyst")
    page.goto("/definitions/")
    page.click("#import-button")
    page.set_input_files(
        "#import-file",
        {"name": "camunda8_permit.bpmn", "mimeType": "application/xml", "buffer": SAMPLE.read_bytes()},
    )
    page.fill("#import-map-lane", "window=frontdesk\napprovers=民政")
    page.click("#import-submit")
    expect(page.locator("#import-result")).to_contain_text("market_permit v1")
    expect(page.locator("#import-result")).to_contain_text("没有待修正的问题")
    expect(page.locator("#import-report .import-translated").first).to_be_visible()
    screenshot(page, "import-report")

    page.click("#import-result a:has-text('查看版本')")
    expect(page.locator("#version-diagram[data-rendered=true]")).to_be_attached()
    tree = etree.parse(str(SAMPLE))
    drawn = len(tree.findall(f".//{{{DI}}}BPMNShape")) + len(tree.findall(f".//{{{DI}}}BPMNEdge"))
    ids = page.eval_on_selector_all(
        "#version-diagram .djs-element[data-element-id]",
        "els => els.map(e => e.getAttribute('data-element-id'))",
    )
    assert len({i for i in ids if not i.endswith("_label") and i != "market_permit"}) >= drawn
    expect(page.locator("#version-import-report")).to_contain_text("导入报告：0 项待修正")

    page.goto("/definitions/market_permit/1/modeler")
    expect(page.locator(".djs-container")).to_be_attached()
    expect(page.locator(".djs-element[data-element-id=apply]")).to_be_attached()
    page.wait_for_load_state("networkidle")
    assert refused == []
