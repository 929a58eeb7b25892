"""The analysts' definition pages: versions, upload with the full validation report, publish, diagram, diff,
the modeler's save endpoint and the form editor's preview, as an analyst (and a clerk) would meet them."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from sqlalchemy import text
from webapp import csrf_of

from orchestrator.core.config import REPO_ROOT

ENGLISH = {"Accept-Language": "en"}  # the core's messages are Chinese by default
GENERAL = REPO_ROOT / "processes" / "general_approval"
GENERAL_BPMN = (GENERAL / "general_approval.bpmn").read_text(encoding="utf-8")
CONDITION = (
    '\n      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">accepted == True'
    "</bpmn:conditionExpression>"
)
DEMO_KEYS = (
    "general_approval",
    "hr_service_permit",
    "medical_insurance_enrollment",
    "newborn_one_thing",
    "minimum_living_allowance",
    "owners_committee_filing",
    "grid_event",
    "evaluation_rectification",
)
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol2;</bpmn:definitions>
"""


def simple_bpmn(key: str, task: str = "办理") -> str:
    """A one-task process with its diagram layout."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
    xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="Definitions_{key}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{key}" name="{task}流程" isExecutable="true">
    <bpmn:startEvent id="Start_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="Task_1" name="{task}"><bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="End_1"><bpmn:incoming>Flow_2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="Start_1" targetRef="Task_1" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_1" targetRef="End_1" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Diagram_1"><bpmndi:BPMNPlane id="Plane_1" bpmnElement="{key}">
    <bpmndi:BPMNShape id="Start_1_di" bpmnElement="Start_1"><dc:Bounds x="152" y="102" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="Task_1_di" bpmnElement="Task_1"><dc:Bounds x="240" y="80" width="100" height="80" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="End_1_di" bpmnElement="End_1"><dc:Bounds x="392" y="102" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNEdge id="Flow_1_di" bpmnElement="Flow_1"><di:waypoint x="188" y="120" /><di:waypoint x="240" y="120" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="Flow_2_di" bpmnElement="Flow_2"><di:waypoint x="340" y="120" /><di:waypoint x="392" y="120" /></bpmndi:BPMNEdge>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def general_zip(bpmn: str = GENERAL_BPMN, extra: dict[str, str] | None = None) -> bytes:
    """general_approval as a folder .zip (diagram, item.yaml, forms/), with the diagram given."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("general_approval/general_approval.bpmn", bpmn)
        z.writestr("general_approval/item.yaml", (GENERAL / "item.yaml").read_bytes())
        for form in sorted((GENERAL / "forms").glob("*.json")):
            z.writestr(f"general_approval/forms/{form.name}", form.read_bytes())
        for name, content in (extra or {}).items():
            z.writestr(f"general_approval/{name}", content)
    return buffer.getvalue()


def renamed_review(name: str) -> str:
    return GENERAL_BPMN.replace(
        '<bpmn:userTask id="Task_review" name="审核">', f'<bpmn:userTask id="Task_review" name="{name}">'
    )


def definition_rows(site) -> int:
    with site.ow.store.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM process_definition")).scalar_one()


def latest(site, key: str) -> dict:
    return max((d for d in site.ow.definitions() if d["key"] == key), key=lambda d: d["version"])


def token_of(client, url: str = "/definitions/") -> str:
    return csrf_of(client.get(url).get_data(as_text=True))


def upload(client, data: bytes, file_name: str, headers: dict | None = None, **fields):
    form = {
        "file": (io.BytesIO(data), file_name),
        "csrf_token": token_of(client, "/definitions/upload"),
        **fields,
    }
    return client.post(
        "/definitions/upload",
        data=form,
        content_type="multipart/form-data",
        follow_redirects=True,
        headers=headers or {},
    )


def version_row(html: str, key: str, version: int) -> str:
    """The list's row of one version."""
    panel = html.split(f'id="key-{key}"', 1)[1].split('class="panel panel-default"', 1)[0]
    return panel.split(f'data-version="{version}"', 1)[1].split("</tr>", 1)[0]


def problem_rows(html: str) -> list[str]:
    report = html.split('id="validation-report"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr>\s*<td>.*?</tr>", report, re.S)


@pytest.fixture(scope="module")
def analyst(site):
    return site.client("analyst")


def test_list_shows_every_demo_process_with_its_published_version(analyst):
    r = analyst.get("/definitions/")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    for key in DEMO_KEYS:
        assert f'id="key-{key}"' in html
        assert "已发布" in version_row(html, key, 1)
    assert "一窗受理通用审批" in html
    assert "流程定义" in html  # the menu category


def test_a_clerk_may_open_no_definition_page(site):
    clerk = site.client("frontdesk")
    pages = [
        "/definitions/",
        "/definitions/upload",
        "/definitions/general_approval/1",
        "/definitions/general_approval/1/xml",
        "/definitions/general_approval/diff",
        "/definitions/general_approval/1/modeler",
        "/definitions/modeler/new",
        "/definitions/forms/",
        "/definitions/general_approval/1/forms",
    ]
    for url in pages:
        assert clerk.get(url).status_code == 403, url
    token = csrf_of(clerk.get("/definitions/").get_data(as_text=True))  # the 403 page carries the meta token
    before = definition_rows(site)
    posts = [
        ("/definitions/general_approval/1/status", {"data": {"status": "retired", "csrf_token": token}}),
        ("/definitions/upload", {"data": {"csrf_token": token}}),
        ("/definitions/general_approval/1/forms/save", {"data": {"csrf_token": token}}),
        (
            "/definitions/general_approval/1/modeler/save",
            {
                "json": {"xml": GENERAL_BPMN, "file_name": "general_approval.bpmn"},
                "headers": {"X-CSRFToken": token},
            },
        ),
        (
            "/definitions/forms/preview",
            {"json": {"schema": "{}", "ui": ""}, "headers": {"X-CSRFToken": token}},
        ),
    ]
    for url, kw in posts:
        assert clerk.post(url, **kw).status_code == 403, url
    assert definition_rows(site) == before
    assert site.ow.definition("general_approval", 1)["status"] == "published"


def test_a_broken_upload_lists_every_problem_and_stores_nothing(site, analyst):
    before = definition_rows(site)
    broken = GENERAL_BPMN.replace(CONDITION, "").replace("review.schema.json", "missing.schema.json")
    r = upload(analyst, general_zip(broken), "general_approval.zip", headers=ENGLISH)
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "Validation failed; nothing was stored" in html
    rows = problem_rows(html)
    assert len(rows) == 2
    condition = next(row for row in rows if "Flow_accept" in row)
    assert "general_approval.bpmn" in condition and "without a condition" in condition
    assert re.search(r"<td>\d+</td>", condition)  # the line
    assert any("missing.schema.json" in row and "Task_review" in row for row in rows)
    assert definition_rows(site) == before


def test_malformed_xml_is_reported_with_its_line(site, analyst):
    before = definition_rows(site)
    r = upload(
        analyst,
        b'<?xml version="1.0"?>\n<bpmn:definitions>\n  <oops>\n</bpmn:definitions>',
        "bad.bpmn",
        headers=ENGLISH,
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    [row] = problem_rows(html)
    assert "bad.bpmn" in row and "not well-formed XML" in row
    assert definition_rows(site) == before


def test_a_doctype_upload_is_refused(site, analyst):
    before = definition_rows(site)
    r = upload(analyst, BILLION_LAUGHS, "lolz.bpmn", headers=ENGLISH)
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "DOCTYPE is not allowed" in html
    assert "lollol" not in html
    assert definition_rows(site) == before


def test_only_bpmn_and_zip_files_are_taken(site, analyst):
    r = upload(analyst, b"hello", "notes.txt")
    assert r.status_code == 422
    assert "只接受 .bpmn 或 .zip 文件" in r.get_data(as_text=True)


def test_a_good_upload_is_a_draft_until_published_and_diffs_against_the_last_version(site, analyst):
    before = latest(site, "general_approval")["version"]
    r = upload(analyst, general_zip(renamed_review("复核")), "general_approval.zip", tag="复核改名")
    html = r.get_data(as_text=True)
    new = before + 1
    assert r.status_code == 200
    assert f"general_approval 已部署为 v{new}（草稿）" in html
    row = version_row(html, "general_approval", new)
    assert "草稿" in row and "复核改名" in row and "analyst" in row

    r = analyst.post(
        f"/definitions/general_approval/{new}/status",
        data={"status": "published", "csrf_token": token_of(analyst)},
        follow_redirects=True,
    )
    html = r.get_data(as_text=True)
    assert f"general_approval v{new} 现为已发布" in html
    assert "已发布" in version_row(html, "general_approval", new)

    html = analyst.get(f"/definitions/general_approval/diff?old={before}&new={new}").get_data(as_text=True)
    changed = html.split('id="diff-changed"', 1)[1].split("</table>", 1)[0]
    assert 'data-id="Task_review"' in changed and "审核" in changed and "复核" in changed
    assert ">name<" in changed
    added = html.split('id="diff-added"', 1)[1].split("</table>", 1)[0]
    assert "无" in added  # nothing added, nothing removed
    assert "布局变化 0 处" in html

    again = upload(analyst, general_zip(renamed_review("复核")), "general_approval.zip")
    assert f"general_approval 未变化：与 v{new}（已发布）内容相同" in again.get_data(as_text=True)


def test_publish_now_with_a_tag_and_retire(site, analyst):
    r = upload(analyst, simple_bpmn("quick_check").encode(), "quick_check.bpmn", tag="首版", publish="1")
    html = r.get_data(as_text=True)
    assert "quick_check 已部署为 v1（已发布）" in html
    assert "首版" in version_row(html, "quick_check", 1)
    r = analyst.post(
        "/definitions/quick_check/1/status",
        data={"status": "retired", "csrf_token": token_of(analyst), "back": "version"},
        follow_redirects=True,
    )
    html = r.get_data(as_text=True)
    assert "quick_check v1 现为已停用" in html
    assert 'id="version-status">已停用' in html


def test_version_page_shows_catalog_forms_and_the_diagram(analyst):
    html = analyst.get("/definitions/general_approval/1").get_data(as_text=True)
    catalog = html.split('id="catalog-entry"', 1)[1]
    assert "一窗受理通用审批" in catalog and "DEMO-0001" in catalog
    assert "20 个工作日" in catalog and "5 个工作日" in catalog
    forms = html.split('id="version-forms"', 1)[1].split("</ul>", 1)[0]
    assert all(f in forms for f in ("accept.schema.json", "review.schema.json", "deliver.schema.json"))
    assert (
        'data-bpmn-viewer data-xml-url="/definitions/general_approval/1/xml?file=general_approval.bpmn"'
        in html
    )
    assert "vendor/bpmn-js/bpmn-navigated-viewer.production.min.js" in html and "js/diagram.js" in html

    r = analyst.get("/definitions/general_approval/1/xml?file=general_approval.bpmn")
    assert r.status_code == 200 and r.mimetype == "application/xml"
    assert r.get_data(as_text=True) == GENERAL_BPMN
    assert "sandbox" in r.headers["Content-Security-Policy"]
    assert analyst.get("/definitions/general_approval/1/xml?file=../secret").status_code == 404
    assert analyst.get("/definitions/general_approval/99").status_code == 404


def test_a_version_with_several_diagrams_has_a_selector(analyst):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("pair/first_part.bpmn", simple_bpmn("first_part", "甲"))
        z.writestr("pair/second_part.bpmn", simple_bpmn("second_part", "乙"))
    upload(analyst, buffer.getvalue(), "pair.zip")
    html = analyst.get("/definitions/first_part/1?file=second_part.bpmn").get_data(as_text=True)
    pills = html.split('id="diagram-files"', 1)[1].split("</ul>", 1)[0]
    assert "first_part.bpmn" in pills and "second_part.bpmn" in pills
    assert 'data-xml-url="/definitions/first_part/1/xml?file=second_part.bpmn"' in html
    xml = analyst.get("/definitions/first_part/1/xml?file=second_part.bpmn").get_data(as_text=True)
    assert 'name="乙"' in xml


def save_diagram(
    client,
    url: str,
    xml: str,
    file_name: str = "general_approval.bpmn",
    token: str | None = None,
    headers: dict | None = None,
):
    headers = {"X-CSRFToken": token or token_of(client), **(headers or {})}
    return client.post(url, json={"xml": xml, "file_name": file_name}, headers=headers)


def test_modeler_save_makes_a_new_draft_keeping_forms_and_catalog(site, analyst):
    html = analyst.get("/definitions/general_approval/1/modeler").get_data(as_text=True)
    assert 'data-save-url="/definitions/general_approval/1/modeler/save"' in html
    assert "vendor/bpmn-js/bpmn-modeler.production.min.js" in html and "navigated-viewer" not in html
    before = definition_rows(site)
    r = save_diagram(
        analyst, "/definitions/general_approval/1/modeler/save", "<bpmn:definitions><oops>", headers=ENGLISH
    )
    assert r.status_code == 422
    [error] = r.json["errors"]
    assert error["file"] == "general_approval.bpmn" and "not well-formed" in error["message"]
    broken = GENERAL_BPMN.replace(CONDITION, "")
    r = save_diagram(analyst, "/definitions/general_approval/1/modeler/save", broken)
    assert r.status_code == 422 and r.json["errors"][0]["element"] == "Flow_accept"
    assert definition_rows(site) == before

    edited = renamed_review("部门审核")
    r = save_diagram(analyst, "/definitions/general_approval/1/modeler/save", edited)
    assert r.status_code == 201, r.json
    [saved] = r.json
    assert saved["key"] == "general_approval" and saved["status"] == "draft"
    stored = site.ow.definition("general_approval", saved["version"])
    assert 'name="部门审核"' in stored["files"]["general_approval.bpmn"]
    assert stored["catalog"]["code"] == "DEMO-0001"
    assert set(stored["forms"]) == {"accept.schema.json", "review.schema.json", "deliver.schema.json"}

    again = save_diagram(analyst, f"/definitions/general_approval/{saved['version']}/modeler/save", edited)
    assert again.status_code == 200 and again.json[0]["unchanged"] is True
    assert definition_rows(site) == before + 1


def test_modeler_save_needs_the_csrf_token(site, analyst):
    before = definition_rows(site)
    r = analyst.post(
        "/definitions/general_approval/1/modeler/save",
        json={"xml": renamed_review("无令牌"), "file_name": "general_approval.bpmn"},
    )
    assert r.status_code in (400, 403)
    r = save_diagram(
        analyst, "/definitions/general_approval/1/modeler/save", renamed_review("假令牌"), token="forged"
    )
    assert r.status_code in (400, 403)
    assert definition_rows(site) == before


def test_modeler_save_refuses_a_path_as_file_name(site, analyst):
    r = save_diagram(
        analyst, "/definitions/general_approval/1/modeler/save", GENERAL_BPMN, file_name="../general.bpmn"
    )
    assert r.status_code == 422 and "文件名" in r.json["errors"][0]["message"]


def test_a_new_diagram_saves_as_version_one_of_a_new_key(site, analyst):
    html = analyst.get("/definitions/modeler/new?key=fresh_item").get_data(as_text=True)
    assert 'data-process-key="fresh_item"' in html and 'data-xml-url=""' in html
    r = save_diagram(
        analyst, "/definitions/modeler/save", simple_bpmn("fresh_item"), file_name="fresh_item.bpmn"
    )
    assert r.status_code == 201 and r.json == [
        {"key": "fresh_item", "version": 1, "status": "draft", "unchanged": False}
    ]
    r = analyst.get("/definitions/modeler/new?key=fresh_item")
    assert r.status_code == 302 and r.location.endswith("/definitions/fresh_item/1/modeler")


def preview(client, schema: str, ui: str = "", headers: dict | None = None):
    return client.post(
        "/definitions/forms/preview",
        json={"schema": schema, "ui": ui},
        headers={"X-CSRFToken": token_of(client), **(headers or {})},
    )


def test_form_preview_renders_fields_and_escapes_titles(analyst):
    schema = (
        '{"type": "object", "title": "<script>alert(1)</script>申请", "required": ["name"],'
        ' "properties": {"name": {"type": "string", "title": "申请人姓名"},'
        ' "note": {"type": "string", "title": "<script>alert(2)</script>备注"},'
        ' "kind": {"type": "string", "enum": ["个人", "单位"], "title": "申请类型"}}}'
    )
    r = preview(analyst, schema, '{"name": {"ui:help": "与身份证一致"}}')
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "申请人姓名" in html and 'name="f.name"' in html and "单位" in html and "与身份证一致" in html
    assert "<script>alert" not in html
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt;申请" in html
        and "&lt;script&gt;alert(2)&lt;/script&gt;备注" in html
    )


def test_form_preview_shows_what_is_wrong_instead(analyst):
    r = preview(analyst, '{"type": "object", "properties": {', headers=ENGLISH)
    assert r.status_code == 422 and "not valid JSON" in r.get_data(as_text=True)
    r = preview(analyst, '{"type": "object", "properties": {"a": {"type": 5}}}', headers=ENGLISH)
    assert r.status_code == 422 and "not a valid JSON Schema" in r.get_data(as_text=True)
    r = preview(analyst, '{"type": "object"}', "[1, 2]")
    assert r.status_code == 422 and "uiSchema" in r.get_data(as_text=True)
    r = analyst.post("/definitions/forms/preview", json={"schema": "{}", "ui": ""})
    assert r.status_code in (400, 403)


def test_form_editor_opens_a_form_and_saves_it_as_a_new_draft(site, analyst):
    html = analyst.get("/definitions/general_approval/1/forms?form=review.schema.json").get_data(as_text=True)
    assert 'id="form-pick"' in html and "review.schema.json" in html
    assert "js/form_editor.js" in html and 'data-state="ok"' in html
    current = site.ow.definition("general_approval", 1)["forms"]["review.schema.json"]
    assert current["properties"]["approved"]["title"] in html  # the preview, rendered on the server

    before = definition_rows(site)
    token = token_of(analyst, "/definitions/general_approval/1/forms")
    bad = {"csrf_token": token, "form_name": "review.schema.json", "schema": '{"type": "array"}', "ui": ""}
    r = analyst.post("/definitions/general_approval/1/forms/save", data=bad)
    assert r.status_code == 422 and 'id="validation-report"' in r.get_data(as_text=True)
    assert definition_rows(site) == before

    edited = {**current, "title": "复核意见（新）"}
    good = {**bad, "schema": json.dumps(edited, ensure_ascii=False)}
    r = analyst.post("/definitions/general_approval/1/forms/save", data=good, follow_redirects=True)
    html = r.get_data(as_text=True)
    new = latest(site, "general_approval")
    assert f"general_approval 已部署为 v{new['version']}（草稿）" in html
    stored = site.ow.definition("general_approval", new["version"])
    assert stored["forms"]["review.schema.json"]["title"] == "复核意见（新）"
    assert stored["files"] == site.ow.definition("general_approval", 1)["files"]


def test_a_lone_diagram_uploaded_for_a_process_keeps_its_forms_and_catalog(site, analyst):
    html = analyst.get("/definitions/upload?base=owners_committee_filing").get_data(as_text=True)
    assert '<option value="owners_committee_filing" selected>' in html
    before = definition_rows(site)
    alone = upload(analyst, GENERAL_BPMN.encode(), "general_approval.bpmn", headers=ENGLISH)
    assert alone.status_code == 422  # on its own, its forms are nowhere
    assert "form &#39;accept.schema.json&#39; not found" in alone.get_data(as_text=True)
    assert definition_rows(site) == before

    edited = renamed_review("再审核").encode()
    r = upload(analyst, edited, "edited.bpmn", base="general_approval", tag="换图", publish="1")
    new = latest(site, "general_approval")
    assert f"general_approval 已部署为 v{new['version']}（已发布）" in r.get_data(as_text=True)
    stored = site.ow.definition("general_approval", new["version"])
    assert (
        list(stored["files"]) == ["general_approval.bpmn"]
        and 'name="再审核"' in stored["files"]["general_approval.bpmn"]
    )
    assert stored["catalog"]["code"] == "DEMO-0001" and stored["tag"] == "换图"
    assert "accept.schema.json" in stored["forms"]


def test_a_modeler_draft_and_its_publication_on_sqlite_and_postgresql(any_site):
    client = any_site.client("analyst")
    r = save_diagram(client, "/definitions/general_approval/1/modeler/save", renamed_review("终审"))
    assert r.status_code == 201
    [saved] = r.json
    html = client.get(f"/definitions/general_approval/{saved['version']}").get_data(as_text=True)
    assert "DEMO-0001" in html and 'id="version-status">草稿' in html
    client.post(
        f"/definitions/general_approval/{saved['version']}/status",
        data={"status": "published", "csrf_token": token_of(client)},
    )
    assert any_site.ow.definition("general_approval", saved["version"])["status"] == "published"
    started = any_site.ow.start("general_approval", {"applicant": "张三"}, actor="frontdesk", org="gaoqiao")
    assert any_site.ow.instance(started["instance"])["version"] == saved["version"]
    row = version_row(
        client.get("/definitions/").get_data(as_text=True), "general_approval", saved["version"]
    )
    assert re.findall(r"<td>(\d+)</td>", row) == ["1"]  # one running instance
