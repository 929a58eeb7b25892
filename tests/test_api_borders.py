"""Hostile bodies at the REST border: 20 MB of JSON, bad UTF-8, a lone surrogate, NaN and Infinity, JSON nested
too deep. Each gets a clear 422 JSON answer, in Chinese by default, no traceback, and no case
is stored."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from orchestrator.core.limits import MAX_DEPTH

PREFIX = '{"item": "general_approval", "data": {"applicant": '
BODIES = {
    "20 MB string": PREFIX.encode() + b'"' + b"x" * (20 * 1024 * 1024) + b'"}}',
    "bad UTF-8": PREFIX.encode() + b'"\xff\xfe\xfd"}}',
    "lone surrogate": (PREFIX + '"\\ud800"}}').encode(),
    "NaN": (PREFIX + '"张三", "income": NaN}}').encode(),
    "Infinity": (PREFIX + '"张三", "income": -Infinity}}').encode(),
    "deep": (PREFIX + '"张三", "x": ' + "[" * (MAX_DEPTH + 8) + "]" * (MAX_DEPTH + 8) + "}}").encode(),
    "not an object": b"[1, 2, 3]",
}


def _cases(site) -> int:
    with site.ow.store.transaction() as s:
        return s.execute(text("SELECT count(*) FROM service_case")).scalar_one()


@pytest.mark.parametrize("name", BODIES)
def test_a_hostile_body_is_refused_clearly_and_stores_nothing(site, name):
    before = _cases(site)
    r = site.api("frontdesk").post("/api/v1/cases/", data=BODIES[name], content_type="application/json")
    assert r.status_code == 422, (name, r.status_code)
    answer = json.loads(r.get_data(as_text=True))
    assert answer["message"] and "Traceback" not in r.get_data(as_text=True)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in answer["message"]), answer  # Chinese by default
    assert _cases(site) == before


def test_twenty_megabytes_are_refused_before_they_are_read(site):
    r = site.api("frontdesk").post(
        "/api/v1/cases/", data=BODIES["20 MB string"], content_type="application/json"
    )
    assert r.status_code == 422 and r.json["message"] == "请求体超过 1024 KB 的上限"
