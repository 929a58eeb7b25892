"""The item studio's REST API: templates, a new item from a template, and the catalog's JSON Schema."""

from __future__ import annotations

ANSWERS = {
    "key": "getihu_api",
    "template": "承诺",
    "name": "个体工商户设立登记",
    "code": "SC-0101",
    "lead": "shichang",
    "org": "gaoqiao",
    "type": "行政许可",
    "statutory_days": 15,
    "promised_days": 3,
    "materials": ["个体工商户设立登记申请书", "经营者身份证明"],
}


def test_an_analyst_lists_the_templates_and_makes_a_new_item_as_a_draft(site):
    analyst = site.api("analyst")
    templates = analyst.get("/api/v1/templates/")
    assert templates.status_code == 200
    assert {t["code"] for t in templates.json["templates"]} >= {
        "immediate",
        "promised",
        "joint",
        "report",
        "proxy",
    }
    made = analyst.post("/api/v1/items/", json=ANSWERS)
    assert made.status_code == 201, made.json
    assert made.json == {"key": "getihu_api", "version": 1, "status": "draft"}
    entry = site.ow.definition("getihu_api", 1)["catalog"]
    assert (entry["name"], entry["lead_department"], entry["limits"]["promised_days"]) == (
        "个体工商户设立登记",
        "shichang",
        3,
    )
    again = analyst.post("/api/v1/items/", json=ANSWERS)
    assert again.status_code == 422 and again.json["errors"][0]["field"] == "key"


def test_bad_answers_name_their_fields_in_chinese_and_clerks_may_not_make_items(site):
    analyst = site.api("analyst")
    bad = analyst.post(
        "/api/v1/items/", json={**ANSWERS, "key": "bad_item", "lead": "nosuch", "promised_days": 30}
    )
    assert bad.status_code == 422
    by_field = {e.get("field"): e["message"] for e in bad.json["errors"]}
    assert "主办部门（lead_department）" in by_field["lead_department"]
    assert "limits.promised_days" in by_field
    missing = analyst.post("/api/v1/items/", json={"key": "x"})
    assert missing.status_code == 422 and {"template", "name", "code"} <= {
        e["field"] for e in missing.json["errors"]
    }
    assert (
        site.api("frontdesk").post("/api/v1/items/", json={**ANSWERS, "key": "by_clerk"}).status_code == 403
    )
    assert all(d["key"] not in ("bad_item", "by_clerk") for d in site.ow.definitions())


def test_the_catalog_entry_is_a_published_json_schema(site):
    schema = site.api("analyst").get("/api/v1/schemas/item")
    assert schema.status_code == 200
    body = schema.json
    assert body["$schema"].endswith("2020-12/schema") and body["properties"]["limits"]["title"] == "时限"
    assert set(body["required"]) >= {"code", "name", "case_class", "limits", "materials", "channels"}
    paths = site.api("analyst").get("/api/v1/_openapi").json["paths"]
    assert {"/api/v1/templates/", "/api/v1/items/", "/api/v1/schemas/item"} <= set(paths)
