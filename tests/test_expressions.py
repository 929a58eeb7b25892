"""Conditions as Camunda, Zeebe, Flowable and Activiti write them, translated into sandbox expressions; what has
no safe translation is left alone (and the import reports it)."""

from __future__ import annotations

import pytest

from orchestrator.bpmn import sandbox
from orchestrator.deploy.expressions import translate

TRANSLATED = [
    ("${amount > 100 && approved}", "amount > 100 and approved", "juel"),
    ("#{approved == true}", "approved == True", "juel"),
    ("${!approved || rejected}", "not approved or rejected", "juel"),
    ("${status eq 'ok' and count ge 2}", "status == 'ok' and count >= 2", "juel"),
    ("${empty comment}", "(comment in (None, '', [], {}))", "juel"),
    ("${order.total > 5}", "order['total'] > 5", "juel"),
    ("${x == null}", "x == None", "juel"),
    ("= amount > 100 and approved", "amount > 100 and approved", "feel"),
    ("= not(approved)", "not (approved)", "feel"),
    ('= x in ["a","b"]', 'x in ["a", "b"]', "feel"),
    ("= x = null", "x == None", "feel"),
    ('status = "done"', 'status == "done"', "feel"),
    ("= a+1 >= b*2", "a + 1 >= b * 2", "feel"),
    ("approved == True", "approved == True", "python"),
    ("bpmn:getDataObject('approved')", "approved", "xpath"),
    ("bpmn:getDataObject('clarified') = 'yes'", "clarified == 'yes'", "xpath"),
    (
        '= some risk in riskLevels satisfies risk = "red"',
        'any((risk == "red") for risk in (riskLevels))',
        "feel",
    ),
    (
        "= every n in [1, 2] satisfies n < limit",
        "all((n < limit) for n in ([1, 2]))",
        "feel",
    ),
]
REFUSED = [
    '${execution.getVariable("x")}',  # a method call
    "= count(items) > 2",  # a function
    "= some risk in riskLevels satisfies count(risk) > 1",  # a function inside a quantifier
    "= some _x in xs satisfies _x",  # a private name
    "${__import__}",
    "import os",
    "${x = 1}",  # JUEL has no assignment in a condition
    "= Service Level == 'Premium'",  # a name with a space
]


@pytest.mark.parametrize(("source", "python", "dialect"), TRANSLATED)
def test_simple_conditions_translate(source, python, dialect):
    t = translate(source)
    assert (t.python, t.dialect) == (python, dialect)
    assert sandbox.check(t.python, "eval") == []


@pytest.mark.parametrize("source", REFUSED)
def test_what_has_no_safe_meaning_is_not_translated(source):
    assert translate(source).python is None


def test_a_script_language_is_never_translated():
    assert translate("amount > 5", "javascript").python is None


@pytest.mark.parametrize(
    ("levels", "some_red", "every_yellow"),
    [(["red", "yellow"], True, False), (["yellow", "yellow"], False, True), ([], False, True)],
)
def test_feel_quantifiers_decide_in_the_sandbox_as_feel_would(levels, some_red, every_yellow):
    some = translate('= some risk in riskLevels satisfies risk = "red"').python
    every = translate('= every risk in riskLevels satisfies risk = "yellow"').python
    assert sandbox.evaluate(some, {"riskLevels": levels}) is some_red
    assert sandbox.evaluate(every, {"riskLevels": levels}) is every_yellow


NAMES = {"Vacation Approval": "Vacation_Approval", "Vacation Approval Status": "Vacation_Approval_Status"}


@pytest.mark.parametrize(
    ("source", "python"),
    [
        ('Vacation Approval = "Approved"', 'Vacation_Approval == "Approved"'),
        ("= Vacation  Approval Status.Reason", "Vacation_Approval_Status['Reason']"),  # the longer name first
        (
            'Vacation Approval = "Vacation Approval"',
            'Vacation_Approval == "Vacation Approval"',
        ),  # not in text
        ("MyVacation Approval = 1", None),  # only whole names
    ],
)
def test_feel_names_with_spaces_read_as_the_diagram_s_variables(source, python):
    """FEEL lets a name hold spaces when it is known; the diagram's data names with spaces are read as the
    variables the import names them (outside string literals), and the result decides in the sandbox."""
    t = translate(source, names=NAMES)
    assert t.python == python
    if python:
        data = {"Vacation_Approval": "Approved", "Vacation_Approval_Status": {"Reason": "ok"}}
        assert sandbox.evaluate(python, data) in (True, False, "ok")
