"""The API's bodies are marshmallow schemas: they check requests (422 with every problem and its field, in the
request's language: Chinese by default, English on `Accept-Language: en`) and they are the components of the
OpenAPI document, which is valid and complete. Errors are JSON answers, a 500 without its stack trace."""

from __future__ import annotations

import io
import logging
import re

import pytest
from test_api import APPLICATION, BODILESS, ENDPOINTS, refs, resolve, start

from orchestrator.core import i18n

ENGLISH = {"Accept-Language": "en"}
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def answer(r, status: int) -> dict:
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True))
    assert r.mimetype == "application/json"
    if status >= 400:
        assert isinstance(r.json["message"], str) and r.json["message"]
    return r.json


def problems(body: dict) -> dict[str | None, str]:
    """field → message of a 422 answer, which carries its problems twice (`errors`, `error.problems`)."""
    assert body["error"]["code"] == "invalid_input" and body["error"]["problems"] == body["errors"]
    return {p.get("field"): p["message"] for p in body["errors"]}


# -- language ----------------------------------------------------------------------------------------
def test_a_core_error_is_chinese_by_default_and_english_on_request(site):
    fd = site.api("frontdesk")
    body = {"item": "nope", "data": APPLICATION}
    chinese = answer(fd.post("/api/v1/cases/", json=body), 404)
    english = answer(fd.post("/api/v1/cases/", json=body, headers=ENGLISH), 404)
    assert english["message"] == "process 'nope' has no published version"
    assert CHINESE.search(chinese["message"]) and "nope" in chinese["message"], chinese
    assert chinese["error"] == {"code": "not_found", "message": chinese["message"], "problems": []}
    zh_cn = answer(fd.post("/api/v1/cases/", json=body, headers={"Accept-Language": "zh-CN,en;q=0.5"}), 404)
    assert zh_cn["message"] == chinese["message"]
    assert i18n.current() == i18n.from_env()  # the request's language ends with the request


def test_a_validation_error_lists_every_problem_with_its_field_in_the_requests_language(site):
    fd = site.api("frontdesk")
    body = {"item": " ", "data": [1], "business_key": 7, "attachments": ["x", 3.5, True], "extra": 1}
    chinese = problems(answer(fd.post("/api/v1/cases/", json=body), 422))
    english = problems(answer(fd.post("/api/v1/cases/", json=body, headers=ENGLISH), 422))
    expected = {"item", "data", "business_key", "attachments.0", "attachments.1", "attachments.2"}
    assert set(chinese) == set(english) == expected  # unknown fields are ignored, as they always were
    assert english["data"] == "data: Not a valid mapping type."
    assert english["attachments.0"] == "attachments.0: Not a valid integer."
    assert english["business_key"] == "business_key: Not a valid string."
    assert chinese["data"] == "data: 不是有效的 JSON 对象。"
    assert chinese["attachments.0"] == "attachments.0: 不是有效的整数。"
    missing = problems(answer(fd.post("/api/v1/cases/", json={"data": APPLICATION}), 422))
    assert missing == {"item": "item: 缺少必填字段。"}
    missing = problems(answer(fd.post("/api/v1/cases/", json={"data": {}}, headers=ENGLISH), 422))
    assert missing == {"item": "item: Missing data for required field."}
    too_long = problems(answer(fd.post("/api/v1/cases/", json={**body, "business_key": "k" * 201}), 422))
    assert too_long["business_key"] == "business_key: 超过最大长度 200。"


def test_attachments_must_be_the_users_own_unlinked_uploads(site):
    fd, mz = site.api("frontdesk"), site.api("minzheng")
    upload = {"file": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "a.pdf")}
    theirs = answer(mz.post("/api/v1/attachments/", data=upload, content_type="multipart/form-data"), 201)
    body = {"item": "general_approval", "data": APPLICATION, "attachments": [theirs["id"], 999999]}
    found = answer(fd.post("/api/v1/cases/", json=body, headers=ENGLISH), 422)["errors"]
    assert [(p["field"], p["message"]) for p in found] == [
        ("attachments", f"attachments: no attachment {theirs['id']} that you may use"),
        ("attachments", "attachments: no attachment 999999 that you may use"),
    ]
    assert start(fd, attachments=None)["case_number"]  # null is no attachment


def test_query_parameters_are_loaded_with_their_schema(site):
    fd = site.api("frontdesk")
    bad = problems(answer(fd.get("/api/v1/tasks/?page=0&page_size=many&view=all&sort=size"), 422))
    assert set(bad) == {"page", "page_size", "view", "sort"}
    assert bad["page_size"] == "page_size: 不是有效的整数。"
    assert bad["page"] == "page: 须大于或等于 1。"
    english = problems(answer(fd.get("/api/v1/tasks/?page_size=201", headers=ENGLISH), 422))
    assert english == {
        "page_size": "page_size: Must be greater than or equal to 1 and less than or equal to 200."
    }
    empty = answer(fd.get("/api/v1/tasks/?page=&page_size=&view=&unknown=1"), 200)  # empty is absent
    assert (empty["page"], empty["page_size"], empty["view"]) == (1, 50, None)


def test_bodies_empty_optional_and_not_objects(site):
    fd = site.api("frontdesk")
    task = start(fd)["tasks"][0]["id"]
    assert problems(answer(fd.post(f"/api/v1/tasks/{task}/complete"), 422)) == {None: "请求体须为 JSON 对象"}
    not_object = answer(fd.post(f"/api/v1/tasks/{task}/comment", json=[1], headers=ENGLISH), 422)
    assert not_object["message"] == "the request body must be a JSON object, not list"
    blank = problems(
        answer(fd.post(f"/api/v1/tasks/{task}/comment", json={"text": "  "}, headers=ENGLISH), 422)
    )
    assert blank == {"text": "text: May not be blank."}
    assert answer(fd.post(f"/api/v1/tasks/{task}/urge"), 200)["urged_at"]  # every field optional: no body


def test_multipart_bodies_are_loaded_with_their_schema(site):
    fd, analyst = site.api("frontdesk"), site.api("analyst")
    no_file = problems(answer(fd.post("/api/v1/attachments/", data={"material": "申请表"}), 422))
    assert no_file == {"file": "file: 请用 multipart 字段 file 上传材料"}
    no_file = problems(answer(analyst.post("/api/v1/definitions/", data={}, headers=ENGLISH), 422))
    assert no_file == {"file": "file: upload a .bpmn or .zip file in the multipart field 'file'"}
    unit = {"file": (io.BytesIO(b"<x/>"), "a.bpmn"), "publish": "perhaps"}
    flag = analyst.post(
        "/api/v1/definitions/", data=unit, content_type="multipart/form-data", headers=ENGLISH
    )
    assert problems(answer(flag, 422)) == {"publish": "publish: Not a valid boolean."}


def test_a_request_too_large_is_a_422_like_any_invalid_input(site):
    fd = site.api("frontdesk")
    limit = site.app.config["MAX_CONTENT_LENGTH"]
    site.app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    try:
        big = {"file": (io.BytesIO(b"%PDF" + b"0" * 2 * 1024 * 1024), "big.pdf")}
        r = fd.post("/api/v1/attachments/", data=big, content_type="multipart/form-data", headers=ENGLISH)
    finally:
        site.app.config["MAX_CONTENT_LENGTH"] = limit
    assert problems(answer(r, 422)) == {"file": "the request is larger than the limit of 1 MB"}


# -- other errors ------------------------------------------------------------------------------------
def test_an_unexpected_error_is_logged_and_answers_500_without_its_trace(site, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(site.app.extensions["onewindow"], "task", broken)
    with caplog.at_level(logging.ERROR, logger="admin.api.base"):
        body = answer(site.api("frontdesk").get("/api/v1/tasks/1", headers=ENGLISH), 500)
    assert (
        body["error"]["code"] == "unexpected" and "secret" not in str(body) and "Traceback" not in str(body)
    )
    assert body["message"] == "internal server error (logged); please try again later"
    assert any(record.exc_info and "secret detail" in str(record.exc_info[1]) for record in caplog.records)


def test_token_and_http_errors_stay_json(site):
    anonymous = site.app.test_client()
    assert "Authorization" in answer(anonymous.get("/api/v1/tasks/"), 401)["message"]
    garbage = anonymous.get("/api/v1/tasks/", headers={"Authorization": "Bearer not-a-token"})
    assert garbage.status_code in (401, 422) and garbage.json["message"]  # Flask-JWT-Extended's answer
    assert answer(site.api("frontdesk").delete("/api/v1/tasks/1"), 405)["message"]


# -- the document ------------------------------------------------------------------------------------
def test_openapi_operations_refer_to_schemas_that_exist_and_the_document_is_valid(site):
    spec = site.api("frontdesk").get("/api/v1/_openapi").json
    components = spec["components"]["schemas"]
    error = components["Error"]
    assert {"message", "error", "errors"} <= set(error["properties"]) and error["required"] == ["message"]
    for path, methods in ENDPOINTS.items():
        for method in methods:
            operation, where = spec["paths"][path][method], f"{method.upper()} {path}"
            for ref in refs(operation):
                resolve(spec, ref)
                assert ref.startswith(("#/components/schemas/", "#/components/responses/Ow")), (where, ref)
            for code, response in operation["responses"].items():
                if str(code).startswith("2"):
                    ((media, content),) = response["content"].items()
                    schema = content["schema"]
                    assert "$ref" in schema or schema == {"type": "string", "format": "binary"}, where
                    assert media == "application/json" or "$ref" not in schema, where
                else:
                    assert int(code) in (401, 403, 404, 409, 422), (where, code)
                    found = resolve(spec, response["$ref"])
                    assert found["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/Error"
                    }, where
            if method == "post" and path not in BODILESS:
                ((media, content),) = operation["requestBody"]["content"].items()
                assert content["schema"]["$ref"].removeprefix("#/components/schemas/") in components, where
    start_case = components["StartCase"]
    assert start_case["required"] == ["item"] and start_case["properties"]["business_key"]["maxLength"] == 200
    urge = spec["paths"]["/api/v1/tasks/{task_id}/urge"]["post"]["requestBody"]
    assert urge["required"] is False  # an empty body is fine
    inbox = {p["name"]: p for p in spec["paths"]["/api/v1/tasks/"]["get"]["parameters"]}
    assert inbox["page_size"]["schema"]["maximum"] == 200 and "mine" in inbox["view"]["schema"]["enum"]

    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(spec)


def test_marshmallows_messages_are_its_own_in_english(site):
    from admin.api.schemas import MESSAGES

    with site.app.test_request_context(headers=ENGLISH):
        assert {english: str(ours) for english, ours in MESSAGES.items()} == {m: m for m in MESSAGES}
    with site.app.test_request_context():
        assert all(CHINESE.search(str(ours)) for ours in MESSAGES.values())
