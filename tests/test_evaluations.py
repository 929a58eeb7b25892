"""好差评: once per case online, once per visit at a window, never for an open case; 差评 → rectification."""

from __future__ import annotations

import pytest
from conftest import BPMN_DIR
from test_cases import APPLICANT, do

from orchestrator.core.config import REPO_ROOT
from orchestrator.core.errors import Conflict, InvalidInput

UNIT = BPMN_DIR / "case_lifecycle"


@pytest.fixture
def h(harness):
    harness.members(clerk=["frontdesk", "minzheng"])
    harness.ow.deploy(UNIT, publish=True)
    harness.ow.deploy(REPO_ROOT / "processes" / "evaluation_rectification", publish=True)
    return harness


def delivered(h) -> str:
    number = h.ow.start("case_lifecycle", APPLICANT)["case_number"]
    do(h, number, "Task_receive", {"complete": True})
    do(h, number, "Task_review", {"hearing": False})
    do(h, number, "Task_decide", {"approved": True})
    return number


def test_open_cases_cannot_be_evaluated(h):
    number = h.ow.start("case_lifecycle", APPLICANT)["case_number"]
    with pytest.raises(Conflict, match="has not been delivered yet"):
        h.ow.evaluate(number, 1)


def test_online_once_per_case_window_once_per_visit(h):
    number = delivered(h)
    good = h.ow.evaluate(number, 1, comment="很快")
    assert (good["level_name"], good["bad"], good["clerk"], good["rectification_instance"]) == (
        "非常满意",
        False,
        "clerk",
        None,
    )
    with pytest.raises(Conflict, match="一事一评"):
        h.ow.evaluate(number, 2, channel="掌上")
    h.ow.evaluate(number, 2, channel="窗口", visit="2026-10-12 出件")
    with pytest.raises(Conflict, match="this visit"):
        h.ow.evaluate(number, 3, channel="窗口", visit="2026-10-12 出件")
    with pytest.raises(InvalidInput, match="names the visit"):
        h.ow.evaluate(number, 3, channel="窗口")
    assert [e["level"] for e in h.ow.evaluations(number)] == [1, 2]


@pytest.mark.parametrize("level", [0, 6, True, "5"])
def test_bad_levels_are_refused(h, level):
    number = delivered(h)
    before = h.row_counts()
    with pytest.raises(InvalidInput, match="national code"):
        h.ow.evaluate(number, level)
    assert h.row_counts() == before


def test_a_bad_review_opens_rectification_for_the_handling_department(h):
    number = delivered(h)
    bad = h.ow.evaluate(number, 5, comment="态度差")
    assert bad["bad"] and bad["department"] == "minzheng"
    detail = h.ow.instance(bad["rectification_instance"])
    assert detail["process"] == "evaluation_rectification" and detail["status"] == "running"
    assert [t["group"] for t in detail["open_tasks"]] == ["minzheng"]
    assert detail["data"]["case_number"] == number
