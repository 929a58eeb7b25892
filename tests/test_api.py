"""The REST API as a client uses it: bearer tokens, JSON in and out, 401/403/404/409/422 with a message,
the same answers as the `onewindow` command line, and an OpenAPI 3 document that describes all of it."""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

from diagrams import approval

from orchestrator.core.config import REPO_ROOT

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
APPLICATION = {"applicant": "张三", "channel": "窗口"}
STRONG = "Window-2026-second"  # a new account's password follows the policy
ACCEPT = {"applicant": "张三", "accepted": True, "opinion": "材料齐全"}
ENGLISH = {"Accept-Language": "en"}  # messages are Chinese by default
HR_MATERIALS = [
    "人力资源服务许可申请书",
    "营业执照",
    "法定代表人身份证明",
    "机构章程和管理制度",
    "经营场所使用证明",
    "专职工作人员名单及学历证明",
]


def start(client, item: str = "general_approval", data: dict | None = None, **more) -> dict:
    r = client.post("/api/v1/cases/", json={"item": item, "data": data or APPLICATION, **more})
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.json


def ok(r, status: int = 200) -> dict:
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True))
    assert r.mimetype == "application/json"
    return r.json


def refused(r, status: int) -> dict:
    """An error answer: the status, JSON, and a message a person can read."""
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True))
    assert r.mimetype == "application/json"
    assert isinstance(r.json["message"], str) and r.json["message"]
    return r.json


def fields(answer: dict) -> set[str]:
    return {p.get("field") for p in answer["errors"]}


def review_task(site) -> tuple[str, int]:
    """A general_approval case accepted at the gaoqiao front desk: (case number, minzheng's 审核 task)."""
    fd = site.api("frontdesk")
    started = start(fd)
    accepted = ok(fd.post(f"/api/v1/tasks/{started['tasks'][0]['id']}/complete", json={"data": ACCEPT}))
    (review,) = accepted["tasks"]
    assert review["group"] == "minzheng"
    return started["case_number"], review["id"]


# -- tokens ------------------------------------------------------------------------------------------
def test_login_gives_a_token_and_no_token_gets_401(site):
    anonymous = site.app.test_client()
    r = anonymous.post(
        "/api/v1/security/login", json={"username": "frontdesk", "password": "demo", "provider": "db"}
    )
    token = ok(r)["access_token"]
    mine = ok(anonymous.get("/api/v1/tasks/", headers={"Authorization": f"Bearer {token}"}))
    assert mine == ok(site.api("frontdesk").get("/api/v1/tasks/"))
    assert ok(site.api("admin").get("/api/v1/tasks/"))["page"] == 1  # Admin holds every permission
    refused(site.api("analyst").get("/api/v1/tasks/"), 403)  # an analyst has no inbox
    wrong = anonymous.post(
        "/api/v1/security/login", json={"username": "frontdesk", "password": "nope", "provider": "db"}
    )
    assert wrong.status_code == 401
    for method, url in (
        ("get", "/api/v1/tasks/"),
        ("get", "/api/v1/tasks/1"),
        ("post", "/api/v1/tasks/1/claim"),
        ("post", "/api/v1/cases/"),
        ("get", "/api/v1/definitions/"),
        ("post", "/api/v1/attachments/"),
    ):
        assert "Authorization" in refused(getattr(anonymous, method)(url), 401)["message"]


# -- the main flow, on SQLite and PostgreSQL ---------------------------------------------------------
def test_a_case_from_the_front_desk_to_closed(any_site):
    fd, mz = any_site.api("frontdesk"), any_site.api("minzheng")
    started = start(fd, business_key="API-0001")
    number, (accept,) = started["case_number"], started["tasks"]
    assert number.startswith("DEMO-0001-") and accept["group"] == "frontdesk"
    group_ids = [t["id"] for t in ok(fd.get("/api/v1/tasks/?view=group&item=general_approval"))["tasks"]]
    assert accept["id"] in group_ids
    detail = ok(fd.get(f"/api/v1/tasks/{accept['id']}"))
    assert "claim" in detail["actions"] and "applicant" in detail["form_schema"]["required"]

    assert detail["org_path"] == "/shifanqu/gaoqiao/"  # the case belongs to where frontdesk works
    claimed = ok(fd.post(f"/api/v1/tasks/{accept['id']}/claim"))
    assert (claimed["state"], claimed["assignee"]) == ("claimed", "frontdesk")
    assert accept["id"] in [t["id"] for t in ok(fd.get("/api/v1/tasks/?view=mine"))["tasks"]]

    bad = refused(
        fd.post(
            f"/api/v1/tasks/{accept['id']}/complete", json={"data": {"accepted": "是", "id_number": "1"}}
        ),
        422,
    )
    assert {"applicant", "accepted", "id_number"} <= fields(bad)
    assert ok(fd.get(f"/api/v1/tasks/{accept['id']}"))["state"] == "claimed"  # nothing changed
    assert ok(fd.get(f"/api/v1/cases/{number}"))["status_code"] == 1

    moved = ok(fd.post(f"/api/v1/tasks/{accept['id']}/complete", json={"data": ACCEPT}))
    (review,) = moved["tasks"]
    assert review["group"] == "minzheng"  # the diagram's 民政 lane
    case = ok(fd.get(f"/api/v1/cases/{number}"))
    assert (case["status_code"], case["status"]) == (3, "已受理") and case["accepted_at"]
    assert [d["kind"] for d in case["documents"]] == ["receipt", "acceptance"]

    assert review["id"] in [t["id"] for t in ok(mz.get("/api/v1/tasks/?view=group"))["tasks"]]
    ok(mz.post(f"/api/v1/tasks/{review['id']}/claim"))
    report = ok(upload_file(mz, "审核意见.pdf", PDF), 201)
    moved = ok(
        mz.post(
            f"/api/v1/tasks/{review['id']}/complete",
            json={"data": {"approved": True}, "opinion": "同意", "attachments": [report["id"]]},
        )
    )
    (deliver,) = moved["tasks"]
    assert deliver["group"] == "delivery"  # 出件窗口: the front desk hands out the result

    ok(fd.post(f"/api/v1/tasks/{deliver['id']}/claim"))
    done = ok(fd.post(f"/api/v1/tasks/{deliver['id']}/complete", json={"data": {"delivery": "窗口领取"}}))
    assert done["status"] == "completed" and done["tasks"] == []

    case = ok(mz.get(f"/api/v1/cases/{number}"))
    assert (case["status_code"], case["status"]) == (11, "办结(通过)") and case["closed_at"]
    assert [(a["id"], a["file_name"]) for a in case["attachments"]] == [(report["id"], "审核意见.pdf")]
    assert fd.get(f"/api/v1/attachments/{report['id']}").data == PDF  # now part of frontdesk's case
    assert [(s["node"], s["handler"], s["state"]) for s in case["steps"]] == [
        ("Task_accept", "frontdesk", "completed"),
        ("Task_review", "minzheng", "completed"),
        ("Task_deliver", "frontdesk", "completed"),
    ]
    assert case["steps"][1]["opinion"] == "同意"
    kinds = {d["kind"]: d["url"] for d in case["documents"]}
    assert list(kinds) == ["receipt", "acceptance", "completion"]
    pdf = fd.get(kinds["completion"])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert {accept["id"], deliver["id"]} <= {t["id"] for t in ok(fd.get("/api/v1/tasks/?view=done"))["tasks"]}
    refused(fd.post(f"/api/v1/tasks/{deliver['id']}/complete", json={"data": {"delivery": "窗口领取"}}), 409)


def test_two_clerks_completing_one_task_only_one_wins(any_site):
    from admin.commands import add_user

    any_site.ow.add_member("fd2", "frontdesk", "gaoqiao")
    add_user(any_site.settings, "fd2", "FrontDesk", STRONG, app=any_site.app)
    clerks = [any_site.api("frontdesk"), any_site.api("fd2", STRONG)]
    started = start(clerks[0])
    task_id = started["tasks"][0]["id"]
    barrier, answers = threading.Barrier(2), []

    def race(client) -> None:
        barrier.wait(timeout=30)
        r = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": ACCEPT}, headers=ENGLISH)
        answers.append((r.status_code, r.json))

    threads = [threading.Thread(target=race, args=(c,)) for c in clerks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(code for code, _ in answers) == [200, 409], answers
    lost = next(body for code, body in answers if code == 409)
    assert "no longer open" in lost["message"]
    case = ok(clerks[0].get(f"/api/v1/cases/{started['case_number']}"))
    assert [s["node"] for s in case["steps"]] == ["Task_accept", "Task_review"]  # applied once
    refused(clerks[1].post(f"/api/v1/tasks/{task_id}/claim"), 409)  # and afterwards, plainly


# -- who sees what -----------------------------------------------------------------------------------
def test_a_clerk_cannot_touch_another_departments_task(site):
    fd, mz, rs = site.api("frontdesk"), site.api("minzheng"), site.api("renshe")
    started = start(fd, "hr_service_permit", {"applicant": {"name": "某人力资源公司"}, "channel": "网上"})
    checked = ok(
        fd.post(
            f"/api/v1/tasks/{started['tasks'][0]['id']}/complete",
            json={"data": {"eligible": True, "complete": True, "received": HR_MATERIALS}},
        )
    )
    (review,) = checked["tasks"]
    assert review["group"] == "renshe"
    url = f"/api/v1/tasks/{review['id']}"
    refused(mz.get(url), 403)
    refused(mz.post(f"{url}/claim"), 403)
    refused(mz.post(f"{url}/complete", json={"data": {}}), 403)
    refused(mz.get(f"/api/v1/cases/{started['case_number']}"), 403)
    assert review["id"] not in [t["id"] for t in ok(mz.get("/api/v1/tasks/?view=group"))["tasks"]]
    assert ok(rs.get(url))["group"] == "renshe"  # the task is there, for 人社
    assert ok(rs.get(url))["state"] == "open"  # and the refused attempts changed nothing
    refused(mz.get("/api/v1/tasks/999999"), 404)
    refused(mz.post("/api/v1/tasks/999999/claim"), 404)
    refused(mz.get("/api/v1/cases/NO-SUCH-CASE"), 404)


def test_a_clerk_of_another_town_cannot_see_a_gaoqiao_task(site):
    from admin.commands import add_user

    site.ow.add_member("mz2", "minzheng", "jishigang")
    add_user(site.settings, "mz2", "BackOffice", STRONG, app=site.app)
    number, task_id = review_task(site)
    other = site.api("mz2", STRONG)
    refused(other.get(f"/api/v1/tasks/{task_id}"), 403)
    refused(other.post(f"/api/v1/tasks/{task_id}/claim"), 403)
    refused(other.get(f"/api/v1/cases/{number}"), 403)
    refused(other.get(f"/api/v1/cases/{number}/documents/receipt.pdf"), 403)
    assert site.api("minzheng").get(f"/api/v1/cases/{number}/documents/receipt").data.startswith(b"%PDF")
    assert task_id not in [t["id"] for t in ok(other.get("/api/v1/tasks/?view=group"))["tasks"]]
    mz = site.api("minzheng")
    assert task_id in [t["id"] for t in ok(mz.get("/api/v1/tasks/?view=group"))["tasks"]]
    assert ok(mz.get(f"/api/v1/cases/{number}"))["case_number"] == number
    assert ok(site.api("supervisor").get(f"/api/v1/cases/{number}"))["case_number"] == number  # sees all


def test_the_inbox_pages_and_refuses_bad_parameters(site):
    fd = site.api("frontdesk")
    for _ in range(3):
        start(fd)
    first = ok(fd.get("/api/v1/tasks/?view=group&item=general_approval&page_size=2"))
    second = ok(fd.get("/api/v1/tasks/?view=group&item=general_approval&page_size=2&page=2"))
    assert (len(first["tasks"]), first["next_page"]) == (2, 2)
    assert not {t["id"] for t in first["tasks"]} & {t["id"] for t in second["tasks"]}
    assert "view" in fields(refused(fd.get("/api/v1/tasks/?view=everything"), 422))
    assert "page_size" in fields(refused(fd.get("/api/v1/tasks/?page_size=500"), 422))
    assert "page" in fields(refused(fd.get("/api/v1/tasks/?page=zero"), 422))


# -- bodies ------------------------------------------------------------------------------------------
def test_bodies_that_are_not_json_objects_get_422_with_a_clear_message(site):
    fd = site.api("frontdesk")
    task_id = start(fd)["tasks"][0]["id"]
    not_json = refused(
        fd.post("/api/v1/cases/", data="item=general_approval", content_type="text/plain"), 422
    )
    assert "JSON" in not_json["message"]
    assert "JSON" in refused(fd.post("/api/v1/cases/", json=["general_approval"]), 422)["message"]
    assert "item" in fields(refused(fd.post("/api/v1/cases/", json={"data": APPLICATION}), 422))
    assert "data" in fields(refused(fd.post(f"/api/v1/tasks/{task_id}/complete", json={"data": [1]}), 422))
    refused(fd.post(f"/api/v1/tasks/{task_id}/complete", data="{oops", content_type="application/json"), 422)
    refused(fd.post(f"/api/v1/tasks/{task_id}/complete"), 422)
    assert "reason" in fields(refused(fd.post(f"/api/v1/tasks/{task_id}/send_back", json={}), 422))
    assert "to" in fields(refused(fd.post(f"/api/v1/tasks/{task_id}/transfer", json={"to": 7}), 422))
    assert ok(fd.get(f"/api/v1/tasks/{task_id}"))["state"] == "open"
    assert refused(fd.get(f"/api/v1/tasks/{task_id}/claim"), 405)


def test_the_other_inbox_actions(site):
    fd = site.api("frontdesk")
    number, task_id = review_task(site)
    mz = site.api("minzheng")
    assert (
        ok(mz.post(f"/api/v1/tasks/{task_id}/comment", json={"text": "请补充说明"}))["comment"]
        == "请补充说明"
    )
    assert ok(fd.post(f"/api/v1/tasks/{task_id}/urge"))["urged_at"]  # the starter may urge
    ok(mz.post(f"/api/v1/tasks/{task_id}/claim"))
    assert ok(mz.post(f"/api/v1/tasks/{task_id}/unclaim"))["assignee"] is None
    assert "to" in fields(refused(mz.post(f"/api/v1/tasks/{task_id}/transfer", json={"to": "renshe"}), 422))
    no_path = refused(
        mz.post(f"/api/v1/tasks/{task_id}/supplement", json={"reason": "缺材料"}, headers=ENGLISH), 422
    )
    assert "no supplement path" in no_path["message"]  # general_approval's 审核 has no 补正 branch
    back = ok(mz.post(f"/api/v1/tasks/{task_id}/send_back", json={"reason": "身份证复印件不清晰"}))
    (again,) = back["tasks"]
    assert again["group"] == "frontdesk"
    moved = ok(fd.post(f"/api/v1/tasks/{again['id']}/complete", json={"data": ACCEPT}))
    rejected = ok(mz.post(f"/api/v1/tasks/{moved['tasks'][0]['id']}/reject", json={"reason": "不符合条件"}))
    assert rejected["status"] == "completed"
    case = ok(fd.get(f"/api/v1/cases/{number}"))
    assert case["status_code"] == 13 and "completion" in [d["kind"] for d in case["documents"]]


def test_script_in_form_data_comes_back_as_a_plain_json_string(site):
    fd = site.api("frontdesk")
    script = "<script>alert(1)</script>"
    started = start(fd, data={"applicant": script, "channel": "窗口"})
    r = fd.get(f"/api/v1/cases/{started['case_number']}")
    assert ok(r)["applicant"] == {"name": script}
    assert r.headers["Content-Type"].startswith("application/json")
    rows = ok(fd.get("/api/v1/tasks/?view=group&item=general_approval&page_size=200"))["tasks"]
    assert script in [t["applicant"] for t in rows]


# -- definitions -------------------------------------------------------------------------------------
def upload_unit(client, name: str, content: bytes, **form):
    return client.post(
        "/api/v1/definitions/",
        data={"file": (io.BytesIO(content), name), **form},
        content_type="multipart/form-data",
    )


def test_only_analysts_deploy_and_every_problem_is_reported(site):
    analyst, fd = site.api("analyst"), site.api("frontdesk")
    refused(fd.get("/api/v1/definitions/"), 403)
    refused(
        upload_unit(
            fd,
            "api_upload.bpmn",
            approval("api_upload", form=None, second_condition="approved == False").encode(),
        ),
        403,
    )
    refused(site.api("analyst").post("/api/v1/cases/", json={"item": "general_approval"}), 403)
    before = ok(analyst.get("/api/v1/definitions/"))["definitions"]
    assert "general_approval" in [d["key"] for d in before]
    assert "api_upload" not in [d["key"] for d in before]

    broken = approval(
        "api_broken", form=None, condition="approved = = True", second_condition="approved == False"
    ).encode()
    errors = refused(upload_unit(analyst, "api_broken.bpmn", broken), 422)["errors"]
    assert errors and all({"file", "line", "element", "message"} <= set(e) for e in errors)
    assert any(e["file"] == "api_broken.bpmn" and e["element"] for e in errors), errors
    assert "file" in fields(refused(upload_unit(analyst, "notes.txt", b"hello"), 422))
    assert "file" in fields(refused(analyst.post("/api/v1/definitions/", data={}), 422))
    assert ok(analyst.get("/api/v1/definitions/"))["definitions"] == before  # nothing stored

    valid = approval("api_upload", form=None, second_condition="approved == False").encode()
    (new,) = ok(upload_unit(analyst, "api_upload.bpmn", valid), 201)["deployed"]
    assert (new["key"], new["version"], new["status"], new["unchanged"]) == ("api_upload", 1, "draft", False)
    (same,) = ok(upload_unit(analyst, "api_upload.bpmn", valid))["deployed"]
    assert same["unchanged"] is True and same["version"] == 1
    assert ok(analyst.post("/api/v1/definitions/api_upload/1/publish"))["status"] == "published"
    listed = {d["key"]: d for d in ok(analyst.get("/api/v1/definitions/"))["definitions"]}
    assert listed["api_upload"]["published"] == 1 and len(listed["api_upload"]["versions"]) == 1
    assert ok(analyst.post("/api/v1/definitions/api_upload/1/retire"))["status"] == "retired"
    refused(analyst.post("/api/v1/definitions/api_upload/9/publish"), 404)

    folder = REPO_ROOT / "processes" / "general_approval"
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as z:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                z.write(path, f"general_approval/{path.relative_to(folder).as_posix()}")
    (demo,) = ok(upload_unit(analyst, "general_approval.zip", packed.getvalue()))["deployed"]
    assert demo["key"] == "general_approval" and demo["unchanged"] is True  # the same unit, zipped


# -- attachments -------------------------------------------------------------------------------------
def upload_file(client, name: str, content: bytes, **form):
    return client.post(
        "/api/v1/attachments/",
        data={"file": (io.BytesIO(content), name), **form},
        content_type="multipart/form-data",
        headers=ENGLISH,
    )


def stored_files(site) -> int:
    return sum(1 for p in (Path(site.settings.data_dir) / "attachments").rglob("*") if p.is_file())


def test_materials_are_checked_stored_and_shown_to_who_may_see_them(site):
    fd, mz = site.api("frontdesk"), site.api("minzheng")
    saved = ok(upload_file(fd, "申请表.pdf", PDF, material="申请表"), 201)
    assert saved["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert (saved["size"], saved["content_type"], saved["material"]) == (
        len(PDF),
        "application/pdf",
        "申请表",
    )
    got = fd.get(f"/api/v1/attachments/{saved['id']}")
    assert got.status_code == 200 and got.data == PDF and got.mimetype == "application/pdf"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    refused(mz.get(f"/api/v1/attachments/{saved['id']}"), 403)  # not linked, not theirs
    refused(fd.get("/api/v1/attachments/999999"), 404)

    count = stored_files(site)
    too_big = refused(upload_file(fd, "big.pdf", PDF + b"0" * (11 * 1024 * 1024)), 422)
    assert "10 MB" in too_big["message"]
    assert (
        "not allowed" in refused(upload_file(fd, "setup.exe", b"MZ\x90\x00" + b"\x00" * 64), 422)["message"]
    )
    assert "not a pdf" in refused(upload_file(fd, "scan.pdf", PNG), 422)["message"]
    assert stored_files(site) == count  # nothing of the refused uploads is kept

    foreign = ok(upload_file(mz, "other.pdf", PDF + b"%other"), 201)
    taken = refused(
        fd.post(
            "/api/v1/cases/",
            json={"item": "general_approval", "data": APPLICATION, "attachments": [foreign["id"]]},
        ),
        422,
    )
    assert "attachments" in fields(taken)
    started = start(fd, attachments=[saved["id"]])
    case = ok(fd.get(f"/api/v1/cases/{started['case_number']}"))
    assert [a["id"] for a in case["attachments"]] == [saved["id"]]
    assert case["attachments"][0]["instance"] == started["instance"]


# -- one platform, two doors -------------------------------------------------------------------------
def cli(site, *args: str):
    env = {
        "ONEWINDOW_DATABASE_URL": site.settings.database_url,
        "ONEWINDOW_DATA_DIR": str(site.settings.data_dir),
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(
        [str(Path(sys.executable).with_name("onewindow")), "--json", *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
    )
    assert out.returncode == 0, (out.returncode, out.stdout, out.stderr)
    return json.loads(out.stdout)


def test_the_api_and_the_command_line_give_the_same_answers(site):
    fd, mz = site.api("frontdesk"), site.api("minzheng")
    data = json.dumps(APPLICATION, ensure_ascii=False)
    by_api = start(fd)
    by_cli = cli(site, "start", "general_approval", "--data", data, "--as", "frontdesk")
    assert set(by_api) == set(by_cli)
    assert [(set(t), t["name"], t["group"]) for t in by_api["tasks"]] == [
        (set(t), t["name"], t["group"]) for t in by_cli["tasks"]
    ]
    for started in (by_api, by_cli):
        ok(fd.post(f"/api/v1/tasks/{started['tasks'][0]['id']}/complete", json={"data": ACCEPT}))

    api_rows = ok(mz.get("/api/v1/tasks/?view=group&item=general_approval&page_size=100"))["tasks"]
    cli_rows = cli(site, "tasks", "--as", "minzheng", "--view", "group", "--item", "general_approval")
    assert api_rows == cli_rows  # row for row, field for field
    assert {by_api["instance"], by_cli["instance"]} <= {t["instance"] for t in api_rows}

    api_case = ok(mz.get(f"/api/v1/cases/{by_cli['case_number']}"))
    cli_case = cli(site, "case", by_cli["case_number"])
    assert {k: api_case[k] for k in cli_case} == cli_case
    assert set(api_case) - set(cli_case) == {"documents", "attachments"}


# -- the description ---------------------------------------------------------------------------------
ENDPOINTS = {
    "/api/v1/definitions/": {"get", "post"},
    "/api/v1/definitions/{key}/{version}/publish": {"post"},
    "/api/v1/definitions/{key}/{version}/retire": {"post"},
    "/api/v1/cases/": {"post"},
    "/api/v1/cases/{number}": {"get"},
    "/api/v1/cases/{number}/documents/{kind}": {"get"},
    "/api/v1/attachments/": {"post"},
    "/api/v1/attachments/{attachment_id}": {"get"},
    "/api/v1/tasks/": {"get"},
    "/api/v1/tasks/{task_id}": {"get"},
    **{
        f"/api/v1/tasks/{{task_id}}/{action}": {"post"}
        for action in (
            "claim",
            "unclaim",
            "complete",
            "reject",
            "send_back",
            "supplement",
            "transfer",
            "comment",
            "urge",
        )
    },
}
BODILESS = {
    "/api/v1/tasks/{task_id}/claim",
    "/api/v1/tasks/{task_id}/unclaim",
    "/api/v1/definitions/{key}/{version}/publish",
    "/api/v1/definitions/{key}/{version}/retire",
}
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def resolve(spec: dict, ref: str) -> dict:
    assert ref.startswith("#/"), ref
    node = spec
    for part in ref[2:].split("/"):
        assert part in node, f"unresolved $ref {ref}"
        node = node[part]
    return node


def refs(node):
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def test_openapi_describes_every_endpoint(site):
    spec = ok(site.api("frontdesk").get("/api/v1/_openapi"))
    assert spec["openapi"].startswith("3.") and spec["info"]["title"] and spec["info"]["version"]
    assert isinstance(spec["paths"], dict) and isinstance(spec["components"]["schemas"], dict)
    for ref in refs(spec):
        resolve(spec, ref)
    for path, operations in spec["paths"].items():
        assert path.startswith("/"), path
        for method, operation in operations.items():
            assert method in METHODS or method == "parameters", (path, method)
            assert operation.get("responses"), (path, method)
            for code in operation["responses"]:
                assert code == "default" or (str(code).isdigit() and len(str(code)) == 3), (path, code)

    for path, methods in ENDPOINTS.items():
        assert path in spec["paths"], path
        assert set(spec["paths"][path]) == methods, path
        named = {p.strip("{}") for p in path.split("/") if p.startswith("{")}
        for method, operation in spec["paths"][path].items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), where
            assert operation.get("security"), where
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == named, where
            assert all(p["required"] for p in operation.get("parameters", []) if p["in"] == "path"), where
            codes = {str(c) for c in operation["responses"]}
            assert {"401", "403"} <= codes, where
            success = [c for c in codes if c in ("200", "201")]
            assert success, where
            for code in success:
                response = operation["responses"][code]
                assert response["description"] and response["content"], where
                (media,) = response["content"].values()
                assert media["schema"], where
            if method == "post" and path not in BODILESS:
                body = operation["requestBody"]
                (media,) = body["content"].values()
                assert media["schema"], where
    complete = spec["paths"]["/api/v1/tasks/{task_id}/complete"]["post"]["responses"]
    assert {"404", "409", "422"} <= {str(c) for c in complete}
    invalid = resolve(spec, complete["422"]["$ref"])["content"]["application/json"]["schema"]
    assert "errors" in resolve(spec, invalid["$ref"])["properties"]


def test_every_api_message_has_its_english():
    from babel.messages.pofile import read_po

    source = "".join(p.read_text(encoding="utf-8") for p in (REPO_ROOT / "admin" / "api").glob("*.py"))
    used = set(re.findall(r'\b_l?\("([^"]+)"', source))
    english = {}  # the app merges every en/*.po into one catalog (admin/translations.py)
    for po in (REPO_ROOT / "admin" / "translations" / "en").glob("*.po"):
        with po.open("rb") as f:
            english |= {m.id: m.string for m in read_po(f, locale="en") if m.id and m.string}
    assert used and used <= set(english), used - set(english)
