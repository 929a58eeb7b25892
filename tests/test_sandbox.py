"""The sandbox: escapes refused before they run, limits enforced while running, analysts' code unharmed."""

from __future__ import annotations

import re
import sys
import time
from datetime import date
from xml.sax.saxutils import escape

import pytest
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from orchestrator.bpmn.sandbox import (
    SAFE_NAMES,
    SandboxEnvironment,
    SandboxError,
    check,
    evaluate,
    execute,
    script_engine,
)
from orchestrator.core import workdays

MARKER = "PWNED"  # escapes that would write a file try to write this one

# Refused by check(), so never run.
STATIC_ESCAPES = [
    pytest.param(f"__import__('os').system('touch {MARKER}')", "eval", id="import_builtin"),
    pytest.param("().__class__.__mro__[1].__subclasses__()", "eval", id="subclasses_walk"),
    pytest.param("[].__class__", "eval", id="class_of_list"),
    pytest.param("getattr(1, '__class__')", "eval", id="getattr_dunder"),
    pytest.param("type(1)", "eval", id="type_call"),
    pytest.param(f"eval(\"open('{MARKER}', 'w')\")", "eval", id="eval_call"),
    pytest.param(f"exec(\"open('{MARKER}', 'w')\")", "eval", id="exec_call"),
    pytest.param("open('/etc/passwd').read()", "eval", id="open_read"),
    pytest.param(f"open('{MARKER}', 'w').write('x')", "eval", id="open_write"),
    pytest.param(f"import os\nos.system('touch {MARKER}')", "exec", id="import_statement"),
    pytest.param(f"from os import system\nsystem('touch {MARKER}')", "exec", id="from_import"),
    pytest.param("(x for x in []).gi_frame.f_globals", "eval", id="generator_frame_globals"),
    pytest.param("(x for x in []).gi_code", "eval", id="generator_code"),
    pytest.param("'{0.__class__}'.format(1)", "eval", id="format_attribute_walk"),
    pytest.param("'{.mro}'.format(1)", "eval", id="format_mro"),
    pytest.param("'{x}'.format_map(d)", "eval", id="format_map"),
    pytest.param("globals()", "eval", id="globals_call"),
    pytest.param("locals()", "eval", id="locals_call"),
    pytest.param("vars()", "eval", id="vars_call"),
    pytest.param("dir()", "eval", id="dir_call"),
    pytest.param("compile('1', '', 'eval')", "eval", id="compile_call"),
    pytest.param("(lambda: 1)()", "eval", id="lambda"),
    pytest.param("def f():\n    pass", "exec", id="function_def"),
    pytest.param("class A:\n    pass", "exec", id="class_def"),
    pytest.param("while True:\n    pass", "exec", id="while_loop"),
    pytest.param("10**10**10", "eval", id="huge_power"),
    pytest.param("'a' * 10**10", "eval", id="huge_string"),
    pytest.param("[0] * 10**9", "eval", id="huge_list"),
    pytest.param("1 << 10**9", "eval", id="huge_shift"),
    pytest.param("x._private", "eval", id="private_attribute"),
    pytest.param("__builtins__", "eval", id="builtins_name"),
    pytest.param("breakpoint()", "eval", id="breakpoint"),
    pytest.param("help()", "eval", id="help"),
    pytest.param("input()", "eval", id="input"),
    pytest.param("exit()", "eval", id="exit"),
    pytest.param("print('x')", "eval", id="print"),
    pytest.param("'abc'.ljust(10**9)", "eval", id="ljust_padding"),
    pytest.param("'1'.zfill(10**9)", "eval", id="zfill_padding"),
    pytest.param("(1).to_bytes(10**9, 'big')", "eval", id="to_bytes"),
    pytest.param("f'{x:>1000000000}'", "eval", id="fstring_width"),
    pytest.param("f'{x:{w}}'", "eval", id="fstring_computed_width"),
    pytest.param("'%1000000000d' % 1", "eval", id="percent_width"),
    pytest.param(f"with open('{MARKER}', 'w') as f:\n    pass", "exec", id="with_open"),
    pytest.param("try:\n    x = 1\nexcept Exception:\n    pass", "exec", id="try_except"),
    pytest.param("global x\nx = 2", "exec", id="global"),
    pytest.param("today.x = 1", "exec", id="attribute_assignment"),
    pytest.param("dict(__class__=1)", "eval", id="private_keyword"),
    pytest.param("int.mro()", "eval", id="mro_of_type"),
    pytest.param("y = [1]\nfor i in range(40):\n    y = [*y, *y]", "exec", id="star_unpack_doubling"),
    pytest.param("match x:\n    case int(__class__=c):\n        pass", "exec", id="match_class_pattern"),
    pytest.param("y = 1\nyield y", "exec", id="yield"),
    pytest.param("-" * 40000 + "1", "eval", id="deep_nesting"),
    pytest.param("1 + " * 20000 + "1", "eval", id="oversized_source"),
]

# Pass check() (the values are only known when running) and are stopped by a runtime guard.
RUNTIME_LIMITS = [
    pytest.param("range(10**12)", "eval", "range()", id="range_too_long"),
    pytest.param("sum(range(10**7))", "eval", "range()", id="sum_over_huge_range"),
    pytest.param("n = 10\ny = n ** n ** n", "exec", "'**'", id="power_of_variables"),
    pytest.param("n = 10**9\ny = [0] * n", "exec", "'*'", id="repeat_by_variable"),
    pytest.param("n = 10**9\ny = 1 << n", "exec", "'<<'", id="shift_by_variable"),
    pytest.param("s = 'ab'\nfor i in range(40):\n    s = s + s", "exec", "'+'", id="doubling_string"),
    pytest.param("s = 'ab'\nfor i in range(40):\n    s += s", "exec", "'+'", id="doubling_augmented"),
    pytest.param("d = {'k': [1]}\nfor i in range(40):\n    d['k'] *= 2", "exec", "'*'", id="doubling_item"),
    pytest.param("y = [1]\nfor i in range(40):\n    y.extend(y)", "exec", "extend()", id="doubling_extend"),
    pytest.param(
        "y = [1]\nfor i in range(40):\n    list.extend(y, y)", "exec", "extend()", id="doubling_unbound"
    ),
    pytest.param("s = 'x' * 10000\ns = s.replace('', s)", "exec", "replace()", id="replace_blowup"),
    pytest.param("s = ', '.join(['x' * 100000] * 100)", "exec", "join()", id="join_blowup"),
    pytest.param("s = str(['x' * 100000] * 1000)", "exec", "str()", id="str_of_shared_references"),
    pytest.param(
        "y = ['x' * 100000] * 1000\ns = f'{y}'", "exec", "f-string", id="fstring_of_shared_references"
    ),
    pytest.param(
        "y = ['x' * 100000] * 1000\ns = '%s' % (y,)", "exec", "'%'", id="percent_of_shared_references"
    ),
    pytest.param("w = 10**9\ns = '%*d' % (w, 1)", "exec", "'%'", id="percent_star_width"),
    pytest.param("y = round(1, -10**9)", "exec", "round()", id="round_digits"),
    pytest.param("y = sum([[0] * 1000] * 1000, [])", "exec", "sum()", id="sum_of_lists"),
    pytest.param("y = list(zip(*[range(10)] * 1000))", "exec", "zip()", id="zip_fan_out"),
    pytest.param("[['x' * 100000] * 1000] * 1000", "eval", "too large", id="huge_shared_result"),
    pytest.param("y = range(10)", "exec", "task data", id="range_left_in_task_data"),
    pytest.param("g = (i for i in [1])", "exec", "task data", id="generator_left_in_task_data"),
    pytest.param(
        "n = 0\nfor a in range(1000):\n    for b in range(1000):\n        for c in range(1000):\n            n += 1",
        "exec",
        "time limit of 1 s exceeded",
        id="nested_loops_time_limit",
    ),
]


def run(source: str, mode: str, context: dict) -> object:
    return evaluate(source, context) if mode == "eval" else execute(source, context)


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(("source", "mode"), STATIC_ESCAPES)
def test_escape_is_refused_up_front_and_never_runs(source, mode, workdir):
    assert check(source, mode), "check() let it through"
    context = {"x": 1, "d": {}, "w": 5}
    with pytest.raises(SandboxError):
        run(source, mode, context)
    assert context == {"x": 1, "d": {}, "w": 5}
    assert not (workdir / MARKER).exists()


@pytest.mark.parametrize(("source", "mode", "reason"), RUNTIME_LIMITS)
def test_limit_stops_code_at_run_time(source, mode, reason):
    context: dict = {}
    started = time.monotonic()
    with pytest.raises(SandboxError, match=re.escape(reason)):
        run(source, mode, context)
    assert time.monotonic() - started < 3
    assert context == {}  # a failed script writes nothing back


def test_the_catalogue_is_big_enough():
    assert len(STATIC_ESCAPES) + len(RUNTIME_LIMITS) >= 25


@pytest.mark.parametrize(
    "attribute",
    [
        "format",
        "format_map",
        "mro",
        "gi_frame",
        "gi_code",
        "gi_yieldfrom",
        "cr_frame",
        "cr_code",
        "ag_frame",
        "ag_code",
        "f_globals",
        "f_locals",
        "f_builtins",
        "f_back",
        "f_code",
        "tb_frame",
        "tb_next",
        "co_code",
        "func_globals",
        "ljust",
        "rjust",
        "center",
        "zfill",
        "expandtabs",
        "translate",
        "maketrans",
        "__class__",
    ],
)
def test_dangerous_attributes_are_refused(attribute):
    assert check(f"x.{attribute}")


def test_check_reports_every_problem_with_its_line():
    problems = check("import os\ny = x.__class__\nwhile True:\n    pass\nz = 10**10**10", "exec")
    assert [p.lineno for p in problems] == [1, 2, 3, 5]
    assert all(str(p) == p.message for p in problems)


def test_syntax_error_has_its_line():
    [problem] = check("x = 1\ny = (", "exec")
    assert problem.lineno == 2 and "syntax error" in problem.message


def test_runtime_error_has_its_line():
    with pytest.raises(SandboxError) as caught:
        execute("a = 1\nb = 'a' * n", {"n": 10**7})
    assert caught.value.lineno == 2


def test_dangerous_builtins_are_not_offered():
    unsafe = {
        "type",
        "getattr",
        "setattr",
        "eval",
        "exec",
        "open",
        "compile",
        "globals",
        "vars",
        "dir",
        "__import__",
        "print",
        "isinstance",
        "input",
        "breakpoint",
    }
    assert not SAFE_NAMES & unsafe


def test_time_limit_is_quick_and_restores_the_previous_tracer():
    def tracer(frame, event, arg):
        return None

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        started = time.thread_time()
        with pytest.raises(SandboxError, match="time limit of 0.3 s exceeded"):
            evaluate("[1 for a in range(1000) for b in range(1000) for c in range(1000)]", {}, time_limit=0.3)
        assert time.thread_time() - started < 1
        assert sys.gettrace() is tracer
        assert evaluate("1 + 1", {}) == 2
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(previous)


def test_a_short_script_that_waits_for_a_core_longer_than_the_limit_still_runs():
    """The limit is the script's own CPU time: on a loaded machine, a step whose process waits for a core
    (here: sleeps, which uses no CPU) past the limit is not failed for it; a loop still is."""
    context = {"pause": time.sleep}
    execute("pause(0.5)\nx = 1\ny = x + 1", context, time_limit=0.3)
    assert context["y"] == 2
    with pytest.raises(SandboxError, match="time limit of 0.3 s exceeded"):
        execute(
            "pause(0.5)\nn = 0\nfor a in range(1000):\n    for b in range(1000):\n        for c in range(1000):\n"
            "            n += 1",
            {"pause": time.sleep},
            time_limit=0.3,
        )


# --- normal use -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "context", "expected"),
    [
        ("amount > 1000 and approved == True", {"amount": 1500, "approved": True}, True),
        ("amount > 1000 and approved == True", {"amount": 900, "approved": True}, False),
        ("status in ['a', 'b']", {"status": "b"}, True),
        ("len(items) >= 2", {"items": [1]}, False),
        ("name.upper() == 'ZHANG SAN'", {"name": "zhang san"}, True),
        ("name.strip()", {"name": "  李四 "}, "李四"),
        ("{'a': 1, 'b': 2}['b']", {}, 2),
        ("[n * 2 for n in items if n > 1]", {"items": [1, 2, 3]}, [4, 6]),
        ("sorted(names, key=len)", {"names": ["ccc", "a", "bb"]}, ["a", "bb", "ccc"]),
        ("', '.join(tags)", {"tags": ["x", "y"]}, "x, y"),
        ("phone.replace('-', '')", {"phone": "010-1234"}, "0101234"),
        ("f'{amount:,.2f} 元'", {"amount": 1234.5}, "1,234.50 元"),
        ("'%s-%03d' % (prefix, n)", {"prefix": "A", "n": 7}, "A-007"),
        ("round(ratio * 100, 1)", {"ratio": 0.12345}, 12.3),
        ("2 ** 10 + 7 % 3", {}, 1025),
        ("add_working_days('2024-02-09', 1)", {}, "2024-02-18"),  # over Spring Festival, onto a 调休 Sunday
        ("working_days_between(received, '2024-02-19')", {"received": "2024-02-08"}, 3),
        ("is_working_day('2024-02-04')", {}, True),
        ("days_between('2024-01-01', '2024-03-01')", {}, 60),
        ("add_days('2024-01-31', 30)", {}, "2024-03-01"),
        ("parse_date(received).weekday()", {"received": "2024-05-06"}, 0),
        ("len(today()) == 10 and now() > today()", {}, True),
    ],
)
def test_conditions_evaluate(expression, context, expected):
    assert check(expression) == []
    assert evaluate(expression, context) == expected


def test_script_results_land_in_task_data_without_the_helpers():
    context = {"items": [{"n": 2}, {"n": 3}], "score": 75, "name": " 张三 ", "scratch": 1}
    execute(
        "total = sum(x['n'] for x in items)\n"
        "result = 'ok' if score > 60 else 'no'\n"
        "x = 2 ** 10\n"
        "squares = [item['n'] ** 2 for item in items]\n"
        "summary = {'total': total, 'name': name.strip()}\n"
        "summary['count'] = len(items)\n"
        "summary['count'] += 1\n"
        "deadline = add_working_days('2024-02-09', 1)\n"
        "helper = len\n"
        "del scratch\n",
        context,
    )
    assert context == {
        "items": [{"n": 2}, {"n": 3}],
        "score": 75,
        "name": " 张三 ",
        "total": 5,
        "result": "ok",
        "x": 1024,
        "squares": [4, 9],
        "summary": {"total": 5, "name": "张三", "count": 3},
        "deadline": "2024-02-18",
    }


def test_augmented_assignment_keeps_in_place_semantics():
    context = {"items": [1, 2]}
    execute("alias = items\nitems += [3]", context)
    assert context["alias"] is context["items"] == [1, 2, 3]


def test_failed_script_writes_nothing_back():
    context = {"a": 1}
    with pytest.raises(ZeroDivisionError):
        execute("a = 2\nb = 1 / 0", context)
    assert context == {"a": 1}


def test_dates_stay_out_of_task_data():
    with pytest.raises(SandboxError, match="date"):
        execute("d = parse_date('2024-05-06')", {})


# --- SpiffWorkflow ---------------------------------------------------------------------------------------


def diagram(script: str, condition: str) -> bytes:
    """start → script → gateway: `condition` → End_high, default → End_low."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="fees" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="Total"><bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing>
      <bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>
    <bpmn:exclusiveGateway id="Gateway_1" default="Flow_low"><bpmn:incoming>Flow_2</bpmn:incoming>
      <bpmn:outgoing>Flow_high</bpmn:outgoing><bpmn:outgoing>Flow_low</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:endEvent id="End_high"><bpmn:incoming>Flow_high</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="End_low"><bpmn:incoming>Flow_low</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Total" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Total" targetRef="Gateway_1" />
    <bpmn:sequenceFlow id="Flow_high" sourceRef="Gateway_1" targetRef="End_high">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(condition)}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_low" sourceRef="Gateway_1" targetRef="End_low" />
  </bpmn:process>
</bpmn:definitions>""".encode()


def run_workflow(script: str, condition: str, data: dict) -> BpmnWorkflow:
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(diagram(script, condition))
    wf = BpmnWorkflow(
        parser.get_spec("fees"), parser.get_subprocess_specs("fees"), script_engine=script_engine()
    )
    wf.get_tasks(state=TaskState.READY)[0].data.update(data)
    wf.do_engine_steps()
    return wf


@pytest.mark.parametrize(("fees", "end"), [([800, 300], "End_high"), ([800, 100], "End_low")])
def test_workflow_runs_scripts_and_conditions_in_the_sandbox(fees, end):
    script = "total = sum(fees)\nlevel = 'high' if total > 1000 else 'low'"
    wf = run_workflow(script, "total > 1000 and level == 'high'", {"fees": fees})
    assert wf.is_completed()
    [finished] = [t for t in wf.get_tasks(state=TaskState.COMPLETED) if t.task_spec.name.startswith("End_")]
    assert finished.task_spec.name == end
    assert finished.data["total"] == sum(fees)


@pytest.mark.parametrize(
    ("script", "condition"),
    [
        (f"__import__('os').system('touch {MARKER}')", "True"),
        ("total = 1", f"__import__('os').system('touch {MARKER}') == 0"),
    ],
)
def test_workflow_with_an_escape_fails_instead_of_running_it(script, condition, workdir):
    with pytest.raises(WorkflowTaskException) as caught:
        run_workflow(script, condition, {})
    assert caught.value.error_type == "SandboxError"
    assert not (workdir / MARKER).exists()


def test_environment_reads_data_objects_but_never_writes_them_back():
    environment = SandboxEnvironment()
    context = {"a": 1}
    assert environment.execute("b = a + c", context, {"c": 2}) is True
    assert context == {"a": 1, "b": 3}
    assert environment.evaluate("a + c", context, {"c": 10, "a": 5}) == 11  # task data wins
    with pytest.raises(ValueError, match="overwrites"):
        environment.execute("b = 1", {"c": 1}, {"c": 2})


# --- deadlines -------------------------------------------------------------------------------------------


def test_working_days_follow_the_official_calendar():
    assert workdays.is_working_day(date(2024, 2, 4))  # Sunday, 调休
    assert not workdays.is_working_day(date(2024, 2, 12))  # Monday, Spring Festival
    assert workdays.is_working_day(date(2030, 1, 1)) and not workdays.is_working_day(date(2030, 1, 5))


def test_add_working_days():
    assert workdays.add_working_days(date(2024, 2, 9), 1) == date(2024, 2, 18)
    assert workdays.add_working_days(date(2024, 2, 10), 0) == date(2024, 2, 18)
    assert workdays.add_working_days(date(2024, 2, 9), 0) == date(2024, 2, 9)
    for bad in (-1, workdays.MAX_WORKING_DAYS + 1):
        with pytest.raises(ValueError):
            workdays.add_working_days(date(2024, 1, 1), bad)
    with pytest.raises(TypeError):
        workdays.add_working_days(date(2024, 1, 1), 1.5)


def test_working_days_between_and_provisional_years():
    assert workdays.working_days_between(date(2024, 2, 8), date(2024, 2, 19)) == 3
    assert workdays.working_days_between(date(2024, 2, 19), date(2024, 2, 8)) == 0
    start = date(2024, 3, 1)
    assert workdays.working_days_between(start, workdays.add_working_days(start, 20)) == 20
    assert not workdays.is_provisional(date(2024, 1, 1), date(2025, 12, 31))
    assert workdays.is_provisional(date(2026, 12, 1), date(2027, 1, 10))


# --- cost ------------------------------------------------------------------------------------------------


def test_cached_condition_cost_is_printed():
    context = {"amount": 1500, "approved": True}
    condition = "amount > 1000 and approved == True"
    assert evaluate(condition, context) is True
    rounds = 20_000
    started = time.perf_counter()
    for _ in range(rounds):
        evaluate(condition, context)
    print(f"\nevaluate() of a cached condition: {(time.perf_counter() - started) / rounds * 1e6:.1f} µs")
