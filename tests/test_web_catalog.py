"""The item studio through the Flask test client on a demo site: the catalog entry as a form (every field,
saving, refused saves kept on screen and server-side, material templates), a plain process made a service
item, versions that behave (publish supersedes, delete a draft, withdraw an item), the diff of forms and
catalogs, and the window's fixes (an empty proxy block, pinyin search, the 补正 loop and its reason)."""

from __future__ import annotations

import io
import json
import re

import lxml.html
import pytest
import yaml
from sqlalchemy import text
from test_web_definitions import simple_bpmn
from webapp import csrf_of
from werkzeug.datastructures import MultiDict

from orchestrator.core.config import REPO_ROOT

GENERAL = REPO_ROOT / "processes" / "general_approval"
ITEM = yaml.safe_load((GENERAL / "item.yaml").read_text(encoding="utf-8"))
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PERSON = {"name": "王小明", "id_number": "330203199001011234", "phone": "13800000000"}
APPLY = {
    "a.applicant.name": "卫十一",
    "a.applicant.id_number": "33020319900101123X",
    "a.applicant.phone": "13900000000",
    "a.channel": "窗口",
    "m.received": ["申请表", "居民身份证"],
}


@pytest.fixture(scope="module")
def analyst(site):
    return site.client("analyst")


@pytest.fixture(scope="module")
def frontdesk(site):
    return site.client("frontdesk")


def page(client, url: str, status: int = 200) -> str:
    r = client.get(url)
    assert r.status_code == status, (url, r.status_code)
    return r.get_data(as_text=True)


def latest(site, key: str) -> dict:
    return max((d for d in site.ow.definitions() if d["key"] == key), key=lambda d: d["version"])


def rows_of(site) -> int:
    with site.ow.store.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM process_definition")).scalar_one()


def form_values(html: str, form_id: str = "catalog-form") -> MultiDict:
    """What a browser would post from the form: checked boxes, selected options, no template rows."""
    form = lxml.html.fromstring(html).get_element_by_id(form_id)
    return MultiDict([(k, v) for k, v in form.form_values() if "__INDEX__" not in k])


def save(client, key: str, version: int, values: MultiDict, files: dict | None = None, **kw):
    values = MultiDict(values)
    for name, upload in (files or {}).items():
        values.add(name, upload)
    return client.post(
        f"/definitions/{key}/{version}/catalog", data=values, content_type="multipart/form-data", **kw
    )


def expected_names(value, name: str = "f") -> dict[str, str]:
    """The form's input names and values for an item.yaml value (lists of text: one line each)."""
    if isinstance(value, dict):
        found = {}
        for k, v in value.items():
            found |= expected_names(v, f"{name}.{k}")
        return found
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            found = {}
            for i, v in enumerate(value):
                found |= expected_names(v, f"{name}.{i}")
            return found
        return {name: "\n".join(str(v) for v in value)} if value else {}
    return {name: "true" if value is True else "false" if value is False else str(value)}


ERROR = ".//*[contains(concat(' ', @class, ' '), ' ow-error ')]"


def error_of(html: str, path: str, prefix: str = "f") -> str:
    """The messages under the field at `path` ("/"-joined), or in the table cell of its input."""
    doc = lxml.html.fromstring(html)
    found = [e for group in doc.xpath(f'//*[@data-path="{path}"]') for e in group.xpath(ERROR)]
    if not found:
        name = f"{prefix}." + path.replace("/", ".")
        cells = doc.xpath(f'//td[.//*[@name="{name}"]]')
        found = [e for td in cells for e in td.xpath(ERROR)]
    return " ".join(e.text_content() for e in found)


# -- the catalog form -------------------------------------------------------------------------------------------


def test_the_catalog_form_shows_every_field_of_item_yaml(site, analyst):
    html = page(analyst, "/definitions/general_approval/1/catalog")
    assert 'id="version-tabs"' in html and 'data-tab="catalog"' in html
    values = form_values(html)
    for name, value in expected_names(ITEM).items():
        got = values.getlist(name)
        assert got and got[-1].strip() == value, (name, got, value)
    for field in site.ow.item_schema()["properties"]:  # every field of the schema can be filled in
        assert f'name="f.{field}' in html, field
    material = site.ow.item_schema()["properties"]["materials"]["items"]["properties"]
    for field in ("name", "necessity", "form", "copies.original", "copies.copy", "source", "note"):
        assert f'name="f.materials.0.{field}"' in html, field
    assert field in material
    for kind in ("template", "sample"):  # a file to upload per material
        assert f'<input type="file" name="f.materials.1.{kind}">' in html
    assert '<option value="minzheng" selected>' in html  # departments offered by name
    assert "民政（minzheng）" in html
    assert 'name="f.fees.__INDEX__.amount"' in html  # an empty table still offers its rows
    overview = page(analyst, "/definitions/general_approval/1")
    assert 'id="catalog-edit"' in overview and "/definitions/general_approval/1/catalog" in overview


@pytest.mark.parametrize(
    "key",
    [
        "general_approval",
        "hr_service_permit",
        "medical_insurance_enrollment",
        "newborn_one_thing",
        "minimum_living_allowance",
        "owners_committee_filing",
    ],
)
def test_every_library_entry_comes_back_unchanged_from_the_form(site, analyst, key):
    version = latest(site, key)["version"]
    before = rows_of(site)
    r = save(analyst, key, version, form_values(page(analyst, f"/definitions/{key}/{version}/catalog")))
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    assert "事项目录没有变化" in page(analyst, r.headers["Location"]) and rows_of(site) == before


def test_saving_a_change_makes_a_new_draft_with_it(site, analyst):
    base = latest(site, "general_approval")
    values = form_values(page(analyst, f"/definitions/general_approval/{base['version']}/catalog"))
    values["f.materials.1.note"] = "原件核验后当场退还"
    values["f.conditions"] = "申请人为本市户籍居民或持有本市居住证\n申请人年满十八周岁"
    values["f.fees.0.name"] = "工本费"
    values["f.fees.0.amount"] = "10"
    values["f.fees.0.basis"] = "浙价费〔2020〕1号"
    r = save(analyst, "general_approval", base["version"], values)
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    new = latest(site, "general_approval")
    assert new["version"] == base["version"] + 1 and new["status"] == "draft"
    assert r.headers["Location"].endswith(f"/definitions/general_approval/{new['version']}/catalog")
    catalog = site.ow.definition("general_approval", new["version"])["catalog"]
    assert catalog["materials"][1]["note"] == "原件核验后当场退还"
    assert catalog["conditions"] == ["申请人为本市户籍居民或持有本市居住证", "申请人年满十八周岁"]
    assert catalog["fees"] == [{"name": "工本费", "amount": 10, "basis": "浙价费〔2020〕1号"}]
    before = site.ow.definition("general_approval", base["version"])["catalog"]
    assert {k: v for k, v in catalog.items() if k not in ("materials", "conditions", "fees")} == {
        k: v for k, v in before.items() if k not in ("materials", "conditions", "fees")
    }
    assert "general_approval 已部署为" in page(analyst, r.headers["Location"])

    again = form_values(page(analyst, f"/definitions/general_approval/{new['version']}/catalog"))
    r = save(analyst, "general_approval", new["version"], again)  # nothing changed: no new version
    assert r.status_code == 302 and latest(site, "general_approval")["version"] == new["version"]


def test_a_refused_save_shows_each_problem_on_its_field_and_keeps_the_edit(site, analyst):
    key, version = "general_approval", latest(site, "general_approval")["version"]
    site.ow.discard_edit("analyst", key)
    before = rows_of(site)
    values = form_values(page(analyst, f"/definitions/{key}/{version}/catalog"))
    values["f.limits.promised_days"] = "30"
    values["f.lead_department"] = "nosuch"
    values["f.materials.1.name"] = "申请表"  # twice
    r = save(analyst, key, version, values)
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and rows_of(site) == before
    assert "承诺时限（30）不得超过法定时限（20）" in error_of(html, "limits/promised_days")
    assert "'nosuch' 不是已知的用户组代码" in error_of(html, "lead_department")
    assert "重复列出" in error_of(html, "materials/1/name")
    assert 'id="catalog-refused"' in html and "校验未通过" in html
    typed = form_values(html)  # what was typed is still on screen
    assert typed["f.limits.promised_days"] == "30" and typed["f.lead_department"] == "nosuch"
    assert typed["f.materials.1.name"] == "申请表"

    english = save(analyst, key, version, values, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "may not exceed the statutory limit (20)" in error_of(english, "limits/promised_days")

    kept = site.ow.kept_edit("analyst", key)
    assert kept and yaml.safe_load(kept["files"]["item.yaml"])["limits"]["promised_days"] == 30
    html = page(analyst, f"/definitions/{key}/{version}/catalog")  # the next visit offers it back
    assert 'id="catalog-kept"' in html and 'id="catalog-restore"' in html
    restored = page(analyst, f"/definitions/{key}/{version}/catalog?restore=1")
    assert form_values(restored)["f.limits.promised_days"] == "30"
    assert "不得超过法定时限" in error_of(restored, "limits/promised_days")
    assert site.ow.kept_edit("frontdesk", key) is None  # per user
    r = analyst.post(
        f"/definitions/{key}/catalog/discard", data={"csrf_token": csrf_of(html), "version": str(version)}
    )
    assert r.status_code == 302 and site.ow.kept_edit("analyst", key) is None
    assert 'id="catalog-kept"' not in page(analyst, f"/definitions/{key}/{version}/catalog")


def test_a_material_gets_a_blank_template_to_upload_and_download(site, analyst):
    key, version = "general_approval", latest(site, "general_approval")["version"]
    values = form_values(page(analyst, f"/definitions/{key}/{version}/catalog"))
    upload = {"f.materials.0.template": (io.BytesIO(PDF), "申请表（空白）.pdf")}
    r = save(analyst, key, version, values, upload)
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    new = latest(site, key)["version"]
    template = site.ow.definition(key, new)["catalog"]["materials"][0]["template"]
    assert template["file_name"] == "申请表（空白）.pdf" and template["content_type"] == "application/pdf"
    assert template["size"] == len(PDF) and len(template["sha256"]) == 64

    html = page(analyst, f"/definitions/{key}/{new}/catalog")
    url = f"/definitions/{key}/{new}/catalog/files/{template['sha256']}"
    assert f'href="{url}"' in html
    r = analyst.get(url)
    assert r.status_code == 200 and r.data == PDF and r.mimetype == "application/pdf"
    assert r.headers["Content-Disposition"].startswith("attachment")
    assert analyst.get(f"/definitions/{key}/{new}/catalog/files/{'0' * 64}").status_code == 404

    values = form_values(html)  # saved again: the template stays; a forged reference is dropped
    values["f.materials.0.note"] = "请用黑色签字笔填写"
    forged = {k: template[k] for k in ("file_name", "sha256", "content_type", "size")}
    values["f.materials.1.sample.kept"] = json.dumps(forged, ensure_ascii=False)
    assert save(analyst, key, new, values).status_code == 302
    material, other = site.ow.definition(key, latest(site, key)["version"])["catalog"]["materials"][:2]
    assert material["template"] == template and material["note"] == "请用黑色签字笔填写"
    assert "sample" not in other

    values = form_values(page(analyst, f"/definitions/{key}/{latest(site, key)['version']}/catalog"))
    before = rows_of(site)
    refused = {"f.materials.1.sample": (io.BytesIO(b"MZ\x90\x00" + b"\x00" * 64), "setup.exe")}
    r = save(analyst, key, latest(site, key)["version"], values, refused)
    assert r.status_code == 422 and rows_of(site) == before
    assert "不允许的文件类型" in error_of(r.get_data(as_text=True), "materials/1/sample")


def test_a_plain_process_becomes_a_service_item(site, analyst, frontdesk):
    site.ow.deploy_edit({"plain_permit.bpmn": simple_bpmn("plain_permit", "核准").encode()}, actor="analyst")
    overview = page(analyst, "/definitions/plain_permit/1")
    assert "普通流程，不是服务事项" in overview and 'id="catalog-make-item"' in overview
    html = page(analyst, "/definitions/plain_permit/1/catalog")
    assert 'id="catalog-plain"' in html and 'id="catalog-form"' not in html
    html = page(analyst, "/definitions/plain_permit/1/catalog?new=1")
    values = form_values(html)
    assert values["f.process"] == "plain_permit" and values["f.code"] == "PLAIN-PERMIT"
    assert values["f.name"] == "核准流程" and values["f.limits.statutory_days"] == "20"
    values["f.implementing_body"] = "示范区便民服务中心"
    values["f.lead_department"] = "minzheng"
    values["f.materials.0.name"] = "申请书"
    values["f.materials.0.necessity"] = "必要"
    values["f.materials.0.form"] = "纸质"
    r = save(analyst, "plain_permit", 1, values)
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    catalog = site.ow.definition("plain_permit", 2)["catalog"]
    assert catalog["code"] == "PLAIN-PERMIT" and catalog["process"] == "plain_permit"
    assert (
        catalog["materials"][0]["name"] == "申请书"
        and site.ow.definition("plain_permit", 1)["catalog"] is None
    )
    site.ow.set_status("plain_permit", 2, "published", actor="analyst")
    assert 'href="/accept/plain_permit"' in page(frontdesk, "/accept/")


# -- versions ---------------------------------------------------------------------------------------------------


def test_an_unused_draft_can_be_deleted_a_published_or_used_version_cannot(site, analyst):
    xml = simple_bpmn("draft_box", "登记")
    site.ow.deploy_edit({"draft_box.bpmn": xml.encode()}, publish=True, actor="analyst")
    site.ow.start("draft_box", {}, actor="frontdesk")
    site.ow.deploy_edit({"draft_box.bpmn": xml.replace("登记", "复核").encode()}, actor="analyst")
    listing = page(analyst, "/definitions/")
    row = listing.split('id="key-draft_box"', 1)[1].split('data-version="2"', 1)[1].split("</tr>", 1)[0]
    assert 'data-action="delete"' in row
    confirm = page(analyst, "/definitions/draft_box/2/confirm/delete")
    assert "将被永久删除" in confirm and 'id="confirm-form"' in confirm
    token = csrf_of(confirm)
    r = analyst.post("/definitions/draft_box/2/delete", data={"csrf_token": token}, follow_redirects=True)
    assert "已删除草稿 draft_box v2" in r.get_data(as_text=True)
    assert [d["version"] for d in site.ow.definitions() if d["key"] == "draft_box"] == [1]

    r = analyst.post("/definitions/draft_box/1/delete", data={"csrf_token": token}, follow_redirects=True)
    assert "只能删除草稿" in r.get_data(as_text=True)  # published, and used by a case
    site.ow.deploy_edit({"draft_box.bpmn": xml.replace("登记", "审查").encode()}, publish=True)
    assert site.ow.definition("draft_box", 1)["status"] == "retired"
    r = analyst.post("/definitions/draft_box/1/delete", data={"csrf_token": token}, follow_redirects=True)
    assert "只能删除草稿" in r.get_data(as_text=True)
    assert [d["version"] for d in site.ow.definitions() if d["key"] == "draft_box"] == [1, 2]
    assert analyst.post("/definitions/draft_box/2/delete", data={}).status_code == 400  # no CSRF token


def test_publishing_v3_supersedes_v2_after_a_confirmation(site, analyst):
    xml = simple_bpmn("three_step", "办理")
    site.ow.deploy_edit({"three_step.bpmn": xml.encode()}, publish=True, actor="analyst")
    site.ow.start("three_step", {}, actor="frontdesk")
    for name in ("复核", "终审"):
        site.ow.deploy_edit({"three_step.bpmn": xml.replace("办理", name).encode()}, actor="analyst")
    confirm = page(analyst, "/definitions/three_step/2/confirm/publish")
    assert "新办件从 v2 开始办理" in confirm and "当前发布的 v1 将自动停用" in confirm
    assert "仍在办理的 1 个办件按原版本办完" in confirm
    assert 'name="status" value="published"' in confirm  # the confirmation is the POST form itself
    assert site.ow.definition("three_step", 2)["status"] == "draft"  # asking changed nothing
    analyst.post(
        "/definitions/three_step/2/status", data={"status": "published", "csrf_token": csrf_of(confirm)}
    )
    confirm = page(analyst, "/definitions/three_step/3/confirm/publish")
    assert "当前发布的 v2 将自动停用" in confirm
    r = analyst.post(
        "/definitions/three_step/3/status",
        data={"status": "published", "csrf_token": csrf_of(confirm)},
        follow_redirects=True,
    )
    html = r.get_data(as_text=True)
    assert "three_step v3 现为已发布" in html
    statuses = {d["version"]: d["status"] for d in site.ow.definitions() if d["key"] == "three_step"}
    assert statuses == {1: "retired", 2: "retired", 3: "published"}
    panel = html.split('id="key-three_step"', 1)[1].split('class="panel panel-default"', 1)[0]
    assert 'data-live="3"' in panel and "新办件使用 v3" in panel
    running = {
        v: re.findall(r"<td>(\d+)</td>", row)
        for v, row in re.findall(r'data-version="(\d)"(.*?)</tr>', panel, re.S)
    }
    assert running == {"3": ["0"], "2": ["0"], "1": ["1"]}  # cases still running on each version
    retire = page(analyst, "/definitions/three_step/3/confirm/retire?back=version")
    assert 'name="back" value="version"' in retire and "确认停用" in retire
    assert page(analyst, "/definitions/three_step/3/confirm/explode", 404)


def test_an_item_is_withdrawn_from_the_accept_list_and_published_again(site, analyst, frontdesk):
    assert 'data-item="newborn_one_thing"' in page(frontdesk, "/accept/")
    confirm = page(analyst, "/definitions/newborn_one_thing/withdraw")
    assert "事项不再出现在受理列表中" in confirm
    r = analyst.post(
        "/definitions/newborn_one_thing/withdraw",
        data={"csrf_token": csrf_of(confirm)},
        follow_redirects=True,
    )
    assert "newborn_one_thing 已从受理列表撤下（v1 已停用）" in r.get_data(as_text=True)
    assert 'data-item="newborn_one_thing"' not in page(frontdesk, "/accept/")
    assert frontdesk.get("/accept/newborn_one_thing").status_code == 404
    again = page(analyst, "/definitions/newborn_one_thing/1/confirm/publish")
    analyst.post(
        "/definitions/newborn_one_thing/1/status", data={"status": "published", "csrf_token": csrf_of(again)}
    )
    assert 'data-item="newborn_one_thing"' in page(frontdesk, "/accept/")


def test_a_clerk_may_open_no_studio_page(site, frontdesk):
    token = csrf_of(page(frontdesk, "/accept/"))
    for url in (
        "/definitions/general_approval/1/catalog",
        "/definitions/general_approval/1/catalog?new=1",
        "/definitions/general_approval/1/confirm/publish",
        "/definitions/general_approval/withdraw",
        f"/definitions/general_approval/1/catalog/files/{'0' * 64}",
    ):
        assert frontdesk.get(url).status_code == 403, url
    before = rows_of(site)
    for url in (
        "/definitions/general_approval/1/catalog",
        "/definitions/general_approval/catalog/discard",
        "/definitions/general_approval/1/delete",
        "/definitions/general_approval/withdraw",
    ):
        assert frontdesk.post(url, data={"csrf_token": token}).status_code == 403, url
    assert rows_of(site) == before and site.ow.definition("general_approval", 1)["status"] == "published"


# -- the diff ---------------------------------------------------------------------------------------------------


def test_the_diff_shows_a_new_required_field_and_the_catalog_change(site, analyst):
    old = latest(site, "hr_service_permit")["version"]
    form = json.loads((REPO_ROOT / "processes/hr_service_permit/forms/check.schema.json").read_text("utf-8"))
    form["properties"]["contact_phone"] = {"type": "string", "title": "联系人电话"}
    form["required"].append("contact_phone")
    item = yaml.safe_load((REPO_ROOT / "processes/hr_service_permit/item.yaml").read_text("utf-8"))
    item["limits"]["promised_days"] = 3
    [result] = site.ow.deploy_edit(
        {
            "forms/check.schema.json": json.dumps(form, ensure_ascii=False).encode(),
            "item.yaml": yaml.safe_dump(item, allow_unicode=True).encode(),
        },
        base=("hr_service_permit", old),
        actor="analyst",
    )
    html = page(analyst, f"/definitions/hr_service_permit/diff?old={old}&new={result['version']}")
    summary = html.split('id="diff-summary"', 1)[1].split("</ul>", 1)[0]
    assert "新增 必填字段 联系人电话" in summary and "check.schema.json" in summary
    assert "修改 0 个元素" not in html and "流程图：没有变化" in summary
    assert "事项目录：1 处变化" in summary
    row = html.split('data-field="contact_phone"', 1)[1].split("</tr>", 1)[0]
    assert "新增 必填字段" in row
    catalog = html.split('id="diff-catalog"', 1)[1].split("</table>", 1)[0]
    assert 'data-path="limits.promised_days"' in catalog and ">4<" in catalog and ">3<" in catalog


# -- form editor: a refused save keeps the typed schema ---------------------------------------------------------


def test_the_form_editor_keeps_a_refused_schema(site, analyst):
    key, version = "medical_insurance_enrollment", latest(site, "medical_insurance_enrollment")["version"]
    url = f"/definitions/{key}/{version}/forms?form=register.schema.json"
    typed = '{"type": "object", "properties": {"category": {"type": "strin"}}}'
    r = analyst.post(
        f"/definitions/{key}/{version}/forms/save",
        data={
            "csrf_token": csrf_of(page(analyst, url)),
            "form_name": "register.schema.json",
            "ui_name": "register.uischema.json",
            "schema": typed,
            "ui": "",
        },
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="validation-report"' in html
    assert lxml.html.fromstring(html).get_element_by_id("schema-text").text_content().strip() == typed
    kept = site.ow.kept_edit("analyst", key)
    assert kept["files"]["forms/register.schema.json"] == typed
    html = page(analyst, url)
    assert 'id="form-kept"' in html and 'id="form-restore"' in html
    restored = page(analyst, f"{url}&restore=1")
    assert lxml.html.fromstring(restored).get_element_by_id("schema-text").text_content().strip() == typed
    assert 'id="form-restored"' in restored and 'id="validation-report"' in restored
    analyst.post(
        f"/definitions/{key}/catalog/discard",
        data={"csrf_token": csrf_of(html), "version": str(version), "next": "forms"},
    )
    assert site.ow.kept_edit("analyst", key) is None


# -- at the window ----------------------------------------------------------------------------------------------


def test_the_proxy_block_is_checked_only_when_filled(site, frontdesk):
    form = page(frontdesk, "/accept/general_approval")
    [proxy] = lxml.html.fromstring(form).xpath('//input[@name="a.proxy.name"]')
    assert proxy.get("required") is None  # the browser lets a walk-in applicant through
    token = csrf_of(form)
    empty = APPLY | {"a.proxy.name": "", "a.proxy.id_number": "", "a.proxy.phone": "", "csrf_token": token}
    r = frontdesk.post("/accept/general_approval", data=empty, content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    number = re.search(r"class='ow-case-number'>([^<]+)<", page(frontdesk, r.headers["Location"])).group(1)
    assert site.ow.case(number)["proxy"] is None
    half = APPLY | {"a.proxy.name": "", "a.proxy.phone": "13900000001", "csrf_token": token}
    r = frontdesk.post("/accept/general_approval", data=half, content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "请填写姓名/名称" in error_of(html, "proxy/name", "a")


def test_the_accept_list_is_searched_by_name_code_department_or_pinyin(site, frontdesk):
    def shown(query: str) -> list[str]:
        html = page(frontdesk, f"/accept/?q={query}")
        return re.findall(r'<tr data-item="([^"]+)"', html)

    assert shown("yljb") == ["medical_insurance_enrollment"]  # 医疗 … 基本
    assert shown("cxjm") == ["medical_insurance_enrollment"]  # 城乡居民
    assert "medical_insurance_enrollment" in shown("yiliao")
    assert shown("DEMO-0001") == ["general_approval"]
    assert shown("最低生活") == ["minimum_living_allowance"]
    assert "medical_insurance_enrollment" in shown("医保")  # the lead department's name
    assert "hr_service_permit" in shown("renshe")  # … or its code
    assert shown("zzzz") == [] and "没有符合条件的事项" in page(frontdesk, "/accept/?q=zzzz")
    html = page(frontdesk, "/accept/")
    assert 'id="ow-item-q"' in html and "data-search=" in html and len(re.findall("<tr data-item=", html)) > 5


def test_general_approval_has_its_supplement_loop(site, frontdesk):
    data = {"applicant": PERSON, "channel": "窗口", "materials_received": ["申请表"]}
    started = site.ow.start("general_approval", data, actor="frontdesk")
    number, task = started["case_number"], started["tasks"][0]
    html = page(frontdesk, f"/inbox/task/{task['id']}")
    assert 'data-action="supplement"' in html
    frontdesk.post(f"/inbox/task/{task['id']}", data={"action": "claim", "csrf_token": csrf_of(html)})
    values = form_values(page(frontdesk, f"/inbox/task/{task['id']}"), "ow-task-form")
    values.setlist("action", ["supplement"])
    values["opinion"] = "缺居民身份证复印件"
    r = frontdesk.post(f"/inbox/task/{task['id']}", data=values, content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    [notice] = site.ow.instance(started["instance"])["open_tasks"]
    assert notice["name"] == "Task_notice"
    site.ow.claim(notice["id"], "frontdesk")
    [resubmit] = site.ow.complete(notice["id"], "frontdesk", {}, "请补交居民身份证复印件")["tasks"]
    assert site.ow.case(number)["status_code"] == 6 and resubmit["name"] == "Task_resubmit"
    site.ow.claim(resubmit["id"], "frontdesk")
    values = form_values(page(frontdesk, f"/inbox/task/{resubmit['id']}"), "ow-task-form")
    values.setlist("m.received", ["申请表", "居民身份证"])  # the 收件清单 records what was handed in
    values.setlist("action", ["complete"])
    r = frontdesk.post(f"/inbox/task/{resubmit['id']}", data=values, content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    [again] = site.ow.instance(started["instance"])["open_tasks"]
    assert again["name"] == "Task_accept" and site.ow.case(number)["status_code"] == 7
    site.ow.claim(again["id"], "frontdesk")
    done = site.ow.complete(again["id"], "frontdesk", {"applicant": "王小明", "accepted": True})
    assert [t["name"] for t in done["tasks"]] == ["Task_review"]
    case = site.ow.case(number)
    assert case["status_code"] == 3 and [p["kind"] for p in case["paused"]] == ["补正"]


def test_a_supplement_reason_is_not_labelled_as_a_refusal(site, frontdesk):
    data = {"applicant": PERSON | {"name": "宁波甬才"}, "channel": "网上"}
    started = site.ow.start("hr_service_permit", data, actor="frontdesk")
    check = started["tasks"][0]
    site.ow.claim(check["id"], "frontdesk")
    [notice] = site.ow.supplement(check["id"], "frontdesk", "营业执照复印件不清晰")["tasks"]
    html = page(frontdesk, f"/inbox/task/{notice['id']}")
    earlier = html.split("ow-earlier", 1)[1]
    assert "补正理由" in earlier and "营业执照复印件不清晰" in earlier and "不予受理理由" not in earlier
    site.ow.claim(notice["id"], "frontdesk")
    [resubmit] = site.ow.complete(notice["id"], "frontdesk", {"missing": ["营业执照"]})["tasks"]
    site.ow.claim(resubmit["id"], "frontdesk")
    [again] = site.ow.complete(resubmit["id"], "frontdesk", {"supplied": ["营业执照"]})["tasks"]
    site.ow.claim(again["id"], "frontdesk")
    form = page(frontdesk, f"/inbox/task/{again['id']}")
    [reason] = lxml.html.fromstring(form).xpath('//*[@name="f.refuse_reason"]')
    assert reason.text_content().strip() == ""  # the 补正 reason is not this round's 不予受理理由
