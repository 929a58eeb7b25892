"""The 流程测试 tab and editor through the Flask test client: a version's tests listed and run (all, one, an
unsaved edit), a test recorded from a case, saved and deleted as new draft versions; bad input refused with
nothing stored and every problem on its field in Chinese, a refused save kept; clerks get 403, every POST
needs its CSRF token, and what analysts type is escaped."""

from __future__ import annotations

import json
import re

import pytest
from webapp import csrf_of

KEY = "general_approval"
ACCEPT = {"applicant": "张三", "id_number": "110101199003074514", "accepted": True, "complete": True}
MAIN = {
    "title": "主路径（网页）",
    "accepted_on": "2026-10-12",
    "start": {"data": {"applicant": "张三"}, "as": "frontdesk"},
    "steps": [
        {"task": "Task_accept", "data": ACCEPT},
        {"task": "Task_review", "data": {"approved": True}},
        {"task": "Task_deliver", "data": {"delivery": "窗口领取"}},
    ],
    "expect": {
        "path": ["Task_accept", "Task_review", "Task_deliver"],
        "end": "EndEvent_done",
        "status_code": 11,
        "promised_due": "2026-10-19",
    },
}


@pytest.fixture(scope="module")
def analyst(site):
    return site.client("analyst")


def latest(site, key: str = KEY) -> int:
    return max(d["version"] for d in site.ow.definitions() if d["key"] == key)


def versions(site) -> int:
    return len(site.ow.definitions())


def page(client, url: str) -> str:
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    return r.get_data(as_text=True)


def token(client) -> str:
    return csrf_of(page(client, "/definitions/"))


def form_of(test: dict, name: str, *, new: bool, do: str = "save", csrf: str = "") -> dict:
    """The editor's fields for a test (data as JSON, waits in days), as the page posts them."""
    form: dict = {
        "csrf_token": csrf,
        "do": do,
        "new": "1" if new else "0",
        "name": name,
        "title": test.get("title", ""),
        "accepted_on": test.get("accepted_on", ""),
        "start_as": (test.get("start") or {}).get("as", ""),
        "start.mode": "json",
        "start.json": json.dumps((test.get("start") or {}).get("data") or {}, ensure_ascii=False),
        "step": [],
    }
    for i, step in enumerate(test.get("steps") or []):
        t = f"s{i}"
        form["step"].append(t)
        if "wait" in step:
            form |= {f"{t}.kind": "wait", f"{t}.wait_n": step["wait"], f"{t}.wait_unit": "iso"}
            continue
        form |= {
            f"{t}.kind": "task",
            f"{t}.task": step["task"],
            f"{t}.action": step.get("action", "complete"),
            f"{t}.reason": step.get("reason", ""),
            f"{t}.data.mode": "json",
            f"{t}.data.json": json.dumps(step.get("data") or {}, ensure_ascii=False),
        }
    expect = test.get("expect") or {}
    if "path" in expect:
        form["expect.use_path"] = "1"
        form["expect.path"] = expect["path"]
    form["expect.end"] = expect.get("end", "")
    form["expect.status_code"] = str(expect.get("status_code", ""))
    form["expect.promised_due"] = expect.get("promised_due", "")
    return form


def save(client, version: int, form: dict):
    return client.post(f"/definitions/{KEY}/{version}/tests/save", data=form)


def error_of(html: str, field: str) -> str:
    found = re.search(rf'data-error-for="{re.escape(field)}">([^<]*)<', html)
    return found.group(1) if found else ""


def test_the_tab_lists_the_version_tests_and_runs_them_all_or_one(site, analyst):
    v = latest(site)
    html = page(analyst, f"/definitions/{KEY}/{v}/tests")
    stored = site.ow.definition(KEY, v)["tests"]
    assert 'data-tab="tests"' in html and f'id="tests-count">{len(stored)}<' in html
    for name, test in stored.items():
        assert f'data-test="{name}"' in html and test["title"] in html
    assert "保存为流程测试" in html and 'id="tests-diagram"' in html
    assert 'data-tab="tests"' in page(analyst, f"/definitions/{KEY}/{v}")  # the tab on the version page

    csrf = csrf_of(html)
    r = analyst.post(f"/definitions/{KEY}/{v}/tests/run", data={"csrf_token": csrf})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and f"{len(stored)} 个测试全部通过。" in html
    assert html.count('data-passed="true"') == len(stored)
    marks = json.loads(re.search(r"data-marks='([^']+)'", html).group(1))
    assert marks["incident"] == [] and "Task_accept" in marks["completed"]

    r = analyst.post(f"/definitions/{KEY}/{v}/tests/run", data={"csrf_token": csrf, "test": "urged.json"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "1 个测试全部通过。" in html
    assert html.count('data-passed="true"') == 1 and html.count("未运行") == len(stored) - 1
    r = analyst.post(f"/definitions/{KEY}/{v}/tests/run", data={"csrf_token": csrf, "test": "nope.json"})
    assert r.status_code == 404


def test_a_case_recorded_opens_in_the_editor_and_is_saved_as_a_new_draft(site, analyst):
    ow = site.ow
    started = ow.start(KEY, {"applicant": "王小明"}, actor="frontdesk")
    ow.claim(started["tasks"][0]["id"], "frontdesk")
    review = ow.complete(started["tasks"][0]["id"], "frontdesk", {**ACCEPT, "applicant": "王小明"})["tasks"][
        0
    ]
    ow.claim(review["id"], "minzheng")
    ow.reject(review["id"], "minzheng", "材料不实")
    number = started["case_number"]
    v, before = latest(site), versions(site)

    html = page(analyst, f"/definitions/{KEY}/{v}/tests/record?case={number}")
    assert 'id="tests-recorded"' in html and number in html
    assert 'value="Task_review" selected' in html and "材料不实" in html  # the 驳回 step and its reason
    assert re.search(r'<option value="reject" selected>', html)
    assert 'value="EndEvent_rejected" selected' in html and '<option value="13" selected>' in html
    assert versions(site) == before  # recording stores nothing

    test = ow.record_test(number)
    name = re.search(r'id="test-name" name="name" value="([^"]+)"', html).group(1)
    r = save(analyst, v, form_of(test, name, new=True, csrf=csrf_of(html)))
    assert r.status_code == 302 and r.location.endswith(f"/definitions/{KEY}/{v + 1}/tests")
    stored = ow.definition(KEY, v + 1)
    assert stored["status"] == "draft" and stored["tests"][name] == test
    assert ow.run_tests(KEY, v + 1)["passed"]

    r = analyst.get(f"/definitions/{KEY}/{v}/tests/record?case=NO-SUCH-CASE", follow_redirects=True)
    assert "未找到办件 NO-SUCH-CASE" in r.get_data(as_text=True)
    other = ow.start("medical_insurance_enrollment", {"applicant": "李四"}, actor="frontdesk")
    r = analyst.get(f"/definitions/{KEY}/{v}/tests/record?case={other['case_number']}", follow_redirects=True)
    assert f"办件 {other['case_number']} 不是 {KEY} 的办件" in r.get_data(as_text=True)
    assert versions(site) == before + 1


def test_a_test_is_edited_saved_and_deleted_each_as_a_new_draft(site, analyst):
    v = latest(site)
    html = page(analyst, f"/definitions/{KEY}/{v}/tests/main.json/edit")
    assert 'id="test-name" name="name" value="main.json" readonly' in html
    assert html.count('name="step" value="s') == 3 and 'value="Task_deliver" selected' in html
    edited = {**MAIN, "title": "<script>alert(1)</script>主路径"}
    r = save(analyst, v, form_of(edited, "main.json", new=False, csrf=csrf_of(html)))
    assert r.status_code == 302
    assert site.ow.definition(KEY, v + 1)["tests"]["main.json"] == edited
    html = page(analyst, f"/definitions/{KEY}/{v + 1}/tests")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;主路径" in html and "<script>alert(1)" not in html

    r = save(analyst, v + 1, form_of(edited, "main.json", new=False, csrf=csrf_of(html)))
    assert r.status_code == 302 and latest(site) == v + 1  # unchanged: no new version

    r = analyst.post(
        f"/definitions/{KEY}/{v + 1}/tests/urged.json/delete", data={"csrf_token": csrf_of(html)}
    )
    assert r.status_code == 302 and r.location.endswith(f"/definitions/{KEY}/{v + 2}/tests")
    after = site.ow.definition(KEY, v + 2)
    assert "urged.json" not in after["tests"] and after["status"] == "draft"
    assert set(after["tests"]) == set(site.ow.definition(KEY, v + 1)["tests"]) - {"urged.json"}
    assert after["catalog"] == site.ow.definition(KEY, v + 1)["catalog"]
    assert after["forms"] == site.ow.definition(KEY, v + 1)["forms"]
    assert (
        analyst.post(
            f"/definitions/{KEY}/{v + 2}/tests/urged.json/delete", data={"csrf_token": csrf_of(html)}
        ).status_code
        == 404
    )


def test_a_new_test_with_key_value_data_and_a_wait(site, analyst):
    v = latest(site)
    html = page(analyst, f"/definitions/{KEY}/{v}/tests/new")
    assert 'id="test-name" name="name" value="test_1.json"' in html
    form = form_of({**MAIN, "title": "逾期"}, "timeout", new=True, csrf=csrf_of(html))
    form |= {
        "step": ["s0", "s1", "w"],
        "s0.action": "supplement",
        "s0.reason": "缺材料",
        "s0.data.mode": "kv",
        "s0.data.k": ["applicant", "copies", "urgent"],
        "s0.data.t": ["text", "number", "bool"],
        "s0.data.v": ["张三", "2", "否"],
        "s1.task": "Task_notice",
        "s1.data.json": "",
        "w.kind": "wait",
        "w.wait_n": "31",
        "w.wait_unit": "D",
        "expect.path": ["Task_accept", "Task_notice"],
        "expect.end": "End_timeout",
        "expect.status_code": "5",
        "expect.promised_due": "",
    }
    r = save(analyst, v, form)
    assert r.status_code == 302, error_of(r.get_data(as_text=True), "s0.data")
    test = site.ow.definition(KEY, v + 1)["tests"]["timeout.json"]
    assert test["steps"] == [
        {
            "task": "Task_accept",
            "action": "supplement",
            "reason": "缺材料",
            "data": {"applicant": "张三", "copies": 2, "urgent": False},
        },
        {"task": "Task_notice"},
        {"wait": "P31D"},
    ]
    run = site.ow.run_tests(KEY, v + 1)
    assert next(t for t in run["tests"] if t["test"] == "timeout.json")["passed"]


def test_bad_input_is_refused_on_its_fields_with_nothing_stored(site, analyst):
    v, before = latest(site), versions(site)
    csrf = token(analyst)
    kept_before = site.ow.kept_edit("analyst", KEY)
    bad = form_of({**MAIN, "title": "坏测试"}, "bad", new=True, csrf=csrf)
    bad |= {
        "s0.task": "Task_nowhere",  # unknown task
        "s1.action": "explode",  # unknown action
        "s2.data.json": "[1, 2]",  # not an object
        "start.json": "{broken",
        "expect.path": ["Task_accept", "Task_ghost"],
        "expect.end": "End_ghost",
        "expect.status_code": "99",
        "accepted_on": "2026-13-40",
    }
    r = save(analyst, v, bad)
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="tests-refused"' in html
    assert error_of(html, "s0.task") == "流程图中没有环节 Task_nowhere"
    assert error_of(html, "s1.action") == "未知的操作 explode"
    assert error_of(html, "s2.data") == "数据须为 JSON 对象（{…}）"
    assert error_of(html, "start").startswith("不是有效的 JSON")
    assert error_of(html, "expect.path") == "流程图中没有环节：Task_ghost"
    assert error_of(html, "expect.end") == "流程图中没有结束事件 End_ghost"
    assert error_of(html, "expect.status_code") == "没有办件状态码 99"
    assert error_of(html, "accepted_on") == "请填写有效日期（年-月-日）"
    assert 'value="坏测试"' in html and "{broken" in html and "[1, 2]" in html  # kept on screen
    assert "Task_nowhere（流程图中没有）" in html
    assert versions(site) == before and site.ow.kept_edit("analyst", KEY) == kept_before

    r = save(analyst, v, form_of(MAIN, "main", new=True, csrf=csrf))  # an existing name
    assert (
        r.status_code == 422
        and error_of(r.get_data(as_text=True), "name") == "此版本已有名为 main.json 的测试"
    )
    r = save(analyst, v, {**form_of(MAIN, "../evil", new=True, csrf=csrf)})
    assert r.status_code == 422 and "文件名只能用" in error_of(r.get_data(as_text=True), "name")
    reasonless = form_of(MAIN, "noreason", new=True, csrf=csrf) | {"s1.action": "reject"}
    r = save(analyst, v, reasonless)
    assert (
        r.status_code == 422
        and error_of(r.get_data(as_text=True), "s1.reason") == "驳回、补正和退回须填写理由"
    )
    assert versions(site) == before


def test_a_save_the_deploy_refuses_is_kept_and_restored(site, analyst):
    v, before = latest(site), versions(site)
    csrf = token(analyst)
    shapeless = form_of({**MAIN, "title": ""}, "kept_one", new=True, csrf=csrf)  # no title, no expectation
    shapeless |= {
        "expect.use_path": "",
        "expect.end": "",
        "expect.status_code": "",
        "expect.promised_due": "",
    }
    r = save(analyst, v, shapeless)
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "下次打开流程测试时也可恢复" in html
    assert "测试名称（title）" in error_of(html, "title")  # the deploy's message, in Chinese, on its field
    assert error_of(html, "expect")
    assert versions(site) == before
    kept = site.ow.kept_edit("analyst", KEY)
    assert kept and json.loads(kept["files"]["tests/kept_one.json"])["steps"] == MAIN["steps"]

    html = page(analyst, f"/definitions/{KEY}/{v}/tests")
    assert 'id="tests-kept"' in html and "kept_one.json" in html
    html = page(analyst, f"/definitions/{KEY}/{v}/tests/kept_one.json/edit?restore=1")
    assert 'id="tests-restored"' in html and 'value="Task_deliver" selected' in html
    assert "测试名称（title）" in error_of(html, "title")
    r = analyst.post(f"/definitions/{KEY}/tests/discard", data={"csrf_token": csrf, "version": str(v)})
    assert r.status_code == 302 and site.ow.kept_edit("analyst", KEY) is None
    assert analyst.get(f"/definitions/{KEY}/{v}/tests/kept_one.json/edit?restore=1").status_code == 404


def test_an_unsaved_test_runs_from_the_editor(site, analyst):
    v, before = latest(site), versions(site)
    csrf = token(analyst)
    wrong = {**MAIN, "expect": {**MAIN["expect"], "path": ["Task_accept", "Task_notice", "Task_deliver"]}}
    r = save(analyst, v, form_of(wrong, "trial", new=True, do="run", csrf=csrf))
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="test-verdict"' in html and 'data-passed="false"' in html
    assert "路径第 2 步：预期 Task_notice，实际走到 Task_review" in html
    marks = json.loads(re.search(r"id=\"test-verdict\" data-marks='([^']+)'", html).group(1))
    assert marks["incident"] == ["Task_review"] and "EndEvent_done" in marks["completed"]
    assert 'value="Task_notice" selected' in html  # what was typed is still there
    r = save(analyst, v, form_of(MAIN, "trial", new=True, do="run", csrf=csrf))
    assert 'data-passed="true"' in r.get_data(as_text=True)
    assert versions(site) == before


def test_clerks_get_403_and_every_post_needs_its_csrf_token(site, analyst):
    clerk = site.client("frontdesk")
    v, before = latest(site), versions(site)
    for url in (
        f"/definitions/{KEY}/{v}/tests",
        f"/definitions/{KEY}/{v}/tests/new",
        f"/definitions/{KEY}/{v}/tests/main.json/edit",
        f"/definitions/{KEY}/{v}/tests/record?case=X",
    ):
        assert clerk.get(url).status_code == 403, url
    csrf = csrf_of(page(clerk, "/accept/"))
    posts = {
        f"/definitions/{KEY}/{v}/tests/run": {"csrf_token": csrf},
        f"/definitions/{KEY}/{v}/tests/save": form_of(MAIN, "clerk", new=True, csrf=csrf),
        f"/definitions/{KEY}/{v}/tests/main.json/delete": {"csrf_token": csrf},
        f"/definitions/{KEY}/tests/discard": {"csrf_token": csrf},
    }
    for url, data in posts.items():
        assert clerk.post(url, data=data).status_code == 403, url
    for url, data in posts.items():  # the analyst without the token
        assert analyst.post(url, data={k: x for k, x in data.items() if k != "csrf_token"}).status_code == 400
        assert analyst.post(url, data={**data, "csrf_token": "forged"}).status_code == 400
    assert versions(site) == before and "main.json" in site.ow.definition(KEY, v)["tests"]
