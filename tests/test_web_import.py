"""导入 and 导出 on the web and the REST API: an analyst imports a Camunda diagram as a draft and reads its
report, a clerk may not, bad XML stores nothing, an existing key asks for a key, and a version downloads as
a zip of plain BPMN 2.0 and forms."""

from __future__ import annotations

import io
import zipfile

from conftest import BPMN_DIR
from webapp import csrf_of

INTEROP = BPMN_DIR / "interop"
CAMUNDA7 = (INTEROP / "camunda7_permit.bpmn").read_bytes()


def import_page(client, content: bytes, name: str = "permit.bpmn", **fields):
    token = csrf_of(client.get("/definitions/import").get_data(as_text=True))
    return client.post(
        "/definitions/import",
        data={"file": (io.BytesIO(content), name), "csrf_token": token, **fields},
        content_type="multipart/form-data",
    )


def api_import(client, content: bytes, name: str = "permit.bpmn", **fields):
    return client.post(
        "/api/v1/definitions/import",
        data={"file": (io.BytesIO(content), name), **fields},
        content_type="multipart/form-data",
    )


def keys(site) -> list[str]:
    return [d["key"] for d in site.api("analyst").get("/api/v1/definitions/").json["definitions"]]


def test_the_definitions_page_imports_a_camunda_diagram_with_its_report(site):
    analyst = site.client("analyst")
    listing = analyst.get("/definitions/").get_data(as_text=True)
    assert 'id="import-button"' in listing and "导入" in listing
    before = keys(site)
    r = import_page(analyst, b"<bpmn:definitions", name="broken.bpmn")
    assert r.status_code == 422
    assert "XML 格式不正确" in r.get_data(as_text=True)
    assert keys(site) == before
    page = import_page(analyst, CAMUNDA7, map_lane="window=frontdesk\napprovers=民政")
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html
    assert 'id="import-report"' in html
    assert "street_permit v1" in html
    assert "候选组“window” → 泳道“frontdesk”" in html  # translated, in Chinese by default
    assert "import-fix" not in html
    assert "street_permit" in keys(site)
    again = import_page(analyst, CAMUNDA7)
    assert again.status_code == 409
    assert 'id="import-conflict"' in again.get_data(as_text=True)
    version = analyst.get("/definitions/street_permit/1").get_data(as_text=True)
    assert 'id="version-import-report"' in version and 'id="version-export"' in version
    exported = analyst.get("/definitions/street_permit/1/export")
    assert exported.status_code == 200 and exported.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(exported.data)).namelist()
    assert "street_permit-v1/permit.bpmn" in names and "street_permit-v1/forms/apply.schema.json" in names


def test_a_clerk_may_not_import_or_export(site):
    clerk = site.client("frontdesk")
    assert clerk.get("/definitions/import").status_code == 403
    assert clerk.get("/definitions/general_approval/1/export").status_code == 403
    api = site.api("frontdesk")
    assert api_import(api, CAMUNDA7, key="clerk_permit").status_code == 403
    assert api.get("/api/v1/definitions/general_approval/1/export").status_code == 403


def test_the_api_imports_and_exports(site):
    analyst = site.api("analyst")
    before = keys(site)
    bad = api_import(analyst, b"<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>")
    assert bad.status_code == 422
    assert "不允许出现 DOCTYPE" in bad.json["errors"][0]["message"]
    assert api_import(analyst, CAMUNDA7, map_lane="window").status_code == 422
    assert api_import(analyst, CAMUNDA7, map_lane="window=nobody").status_code == 422
    assert keys(site) == before
    done = api_import(analyst, CAMUNDA7, key="api_permit", map_lane="window=frontdesk;approvers=minzheng")
    assert done.status_code == 201, done.json
    assert done.json["runnable"] is True
    assert done.json["versions"][0]["key"] == "api_permit"
    assert {r["kind"] for r in done.json["report"]} == {"translated", "documentation"}
    assert (
        api_import(
            analyst, CAMUNDA7, key="api_permit", map_lane="window=frontdesk;approvers=minzheng"
        ).status_code
        == 200
    )
    exported = analyst.get("/api/v1/definitions/api_permit/1/export")
    assert exported.status_code == 200 and exported.mimetype == "application/zip"
    assert analyst.get("/api/v1/definitions/api_permit/9/export").status_code == 404
    assert analyst.post("/api/v1/definitions/api_permit/1/publish").status_code == 200


def test_engine_refused_data_is_a_422_naming_the_field(site):
    site.ow.deploy(INTEROP / "data_output.bpmn", publish=True)
    started = site.ow.start("data_output", actor="frontdesk")
    task = started["tasks"][0]["id"]
    clerk = site.api("frontdesk")
    refused = clerk.post(f"/api/v1/tasks/{task}/complete", json={"data": {}})
    assert refused.status_code == 422, refused.get_data(as_text=True)
    assert refused.json["errors"][0]["field"] == "amount"
    done = clerk.post(f"/api/v1/tasks/{task}/complete", json={"data": {"amount": 3}})
    assert done.status_code == 200 and done.json["status"] == "completed"
