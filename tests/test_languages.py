"""One language per user: the web app and the API answer in Chinese by default and in English on request,
for the core's messages as for the app's own (issue: a layered core, "one language per user")."""

from __future__ import annotations

import io
import zipfile

from webapp import csrf_of

from orchestrator.core.config import REPO_ROOT

GENERAL = REPO_ROOT / "processes" / "general_approval"
ENGLISH = {"Accept-Language": "en"}


def zip_with_item_yaml(item_yaml: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("general_approval/general_approval.bpmn", (GENERAL / "general_approval.bpmn").read_bytes())
        z.writestr("general_approval/item.yaml", item_yaml)
        for form in sorted((GENERAL / "forms").glob("*.json")):
            z.writestr(f"general_approval/forms/{form.name}", form.read_bytes())
    return buffer.getvalue()


def bad_item_yaml() -> str:
    text = (GENERAL / "item.yaml").read_text(encoding="utf-8")
    return text.replace("case_class: {national: 2, local: 承诺}", "case_class: {national: 2, local: 普通}")


def upload(client, data: bytes, headers: dict | None = None):
    token = csrf_of(client.get("/definitions/upload").get_data(as_text=True))
    return client.post(
        "/definitions/upload",
        data={"file": (io.BytesIO(data), "general_approval.zip"), "csrf_token": token},
        content_type="multipart/form-data",
        headers=headers or {},
    )


def test_an_invalid_item_yaml_uploaded_through_the_web_is_refused_in_chinese_or_english(site):
    analyst = site.client("analyst")
    before = len(site.ow.definitions())
    chinese = upload(analyst, zip_with_item_yaml(bad_item_yaml())).get_data(as_text=True)
    assert "办件类型 › 地方类型（case_class.local）须为以下之一" in chinese
    english = upload(analyst, zip_with_item_yaml(bad_item_yaml()), ENGLISH).get_data(as_text=True)
    assert "case_class.local: &#39;普通&#39; is not one of" in english and "办件类型" not in english
    assert len(site.ow.definitions()) == before  # nothing was stored


def test_a_case_of_an_unknown_item_is_refused_in_chinese_by_default_and_in_english_on_request(site):
    token = site.token("frontdesk")
    api = site.app.test_client()
    body = {"item": "no_such_item", "data": {"applicant": "张三"}}
    auth = {"Authorization": f"Bearer {token}"}
    chinese = api.post("/api/v1/cases/", json=body, headers=auth)
    english = api.post("/api/v1/cases/", json=body, headers={**auth, **ENGLISH})
    assert chinese.status_code == english.status_code == 404
    assert chinese.json["message"] == "流程“no_such_item”没有已发布的版本"
    assert english.json["message"] == "process 'no_such_item' has no published version"
    assert english.json["error"]["code"] == chinese.json["error"]["code"] == "not_found"


def _compile_in_child(folder: str, start, errors) -> None:
    from pathlib import Path

    from admin.translations import compile_catalogs

    start.wait()
    try:
        compile_catalogs(Path(folder))
    except BaseException as error:  # reported to the parent, which fails the test
        errors.put(repr(error))


def test_processes_starting_together_all_get_the_english_catalog(tmp_path):
    """Test workers and gunicorn workers start at once; each compiles the catalog if it is stale.
    None may fail because another renamed a shared temporary file away (a CI run failed so)."""
    import multiprocessing
    import shutil

    from babel.messages.mofile import read_mo

    from admin.translations import FOLDER

    folder = tmp_path / "translations"
    (folder / "en").mkdir(parents=True)
    for po in FOLDER.glob("en/*.po"):
        shutil.copy(po, folder / "en" / po.name)
    context = multiprocessing.get_context("fork")
    start, errors = context.Barrier(6), context.Queue()
    children = [
        context.Process(target=_compile_in_child, args=(str(folder), start, errors)) for _ in range(6)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
    failures = [errors.get() for _ in range(errors.qsize())] if not errors.empty() else []
    assert failures == []
    assert [child.exitcode for child in children] == [0] * 6
    with (folder / "en" / "LC_MESSAGES" / "messages.mo").open("rb") as f:
        catalog = read_mo(f)
    assert catalog.get("受理") is not None and catalog.get("受理").string
    assert list((folder / "en" / "LC_MESSAGES").glob("*.tmp")) == []
