"""Running process tests (流程测试, `deploy.process_tests`): each test runs the unit for real — the same
engine, forms, case rules and calendar — in a scratch database of its own, so nothing of a test reaches
the deployment. A run gives, per test, whether it passed, the path it took and the first difference from
what it expected, in words.

The scratch database copies the deployment's groups and calendar; each group gets a tester who works
everywhere (`tester-<group>`), and each step is done by the tester of the step's group.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypedDict

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from sqlalchemy import insert, select

from orchestrator.core import clock
from orchestrator.core.config import Settings
from orchestrator.core.errors import OneWindowError
from orchestrator.core.i18n import Message, _
from orchestrator.deploy.units import Unit
from orchestrator.gov import calendar_days
from orchestrator.store.db import Store
from orchestrator.store.models import Base, CalendarDay, GroupMember, OrgGroup

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CHINA = timedelta(hours=8)
TESTER = "tester-{group}"


class Verdict(TypedDict):
    test: str  # the file's name under tests/
    title: str
    passed: bool
    path: list[str]  # the user tasks completed, in order (element ids), then the end reached
    end: str | None
    status_code: int | None
    promised_due: str | None
    problems: list[str]  # what differed, first difference first
    seconds: float


class Run(TypedDict):
    key: str | None
    version: int | None
    passed: bool
    tests: list[Verdict]


def run_unit(
    facade: Callable[[Settings], Any],
    unit: Unit,
    source: Store,
    settings: Settings,
    key: str | None = None,
    version: int | None = None,
    *,
    reuse_passed: bool = False,
) -> Run:
    """Run every test of `unit` on a scratch `facade(settings)`; `source` is the deployment whose groups
    and calendar the tests use. With `reuse_passed`, a unit whose very files already passed on the same
    groups, calendar and shared forms in this process is not run again (publishing the same content twice)."""
    fingerprint = _fingerprint(unit, source, settings)
    if reuse_passed and fingerprint in _PASSED:
        return _PASSED[fingerprint]
    run = _run(facade, unit, source, settings, key, version)
    if run["passed"]:
        _PASSED[fingerprint] = run
        while len(_PASSED) > 256:
            _PASSED.pop(next(iter(_PASSED)))
    return run


_PASSED: dict[str, Run] = {}


def _fingerprint(unit: Unit, source: Store, settings: Settings) -> str:
    digest = hashlib.sha256()
    files = [(f"bpmn/{n}", d) for n, d in unit.bpmn.items()] + [(f"dmn/{n}", d) for n, d in unit.dmn.items()]
    files += [(f"forms/{n}", d) for n, d in unit.forms.items()] + [
        (f"tests/{n}", d) for n, d in unit.tests.items()
    ]
    files += [("item.yaml", unit.item_yaml or b"")]
    if settings.forms_dir and Path(settings.forms_dir).is_dir():
        files += [(f"shared/{p.name}", p.read_bytes()) for p in Path(settings.forms_dir).glob("*.json")]
    with source.transaction() as s:
        groups = s.execute(select(OrgGroup.code, OrgGroup.name).order_by(OrgGroup.code)).all()
        days = s.execute(select(CalendarDay.day, CalendarDay.working).order_by(CalendarDay.day)).all()
    files.append(("groups", repr([tuple(g) for g in groups]).encode()))
    files.append(("calendar", repr([tuple(d) for d in days]).encode()))
    for name, data in sorted(files):
        digest.update(name.encode() + b"\0" + data + b"\0")
    return digest.hexdigest()


def _run(
    facade: Callable[[Settings], Any],
    unit: Unit,
    source: Store,
    settings: Settings,
    key: str | None,
    version: int | None,
) -> Run:
    with _scratch(facade, source, settings) as (scratch, ow):
        deployed = ow.deploy_unit(unit, publish=True, run_tests=False, actor="tester")
        main = key or (deployed[0]["key"] if deployed else None)
        parsed = ow.definition(main, ow_version(ow, main)) if main else None
        ends = _end_events(parsed["files"] if parsed else {})
        results = [
            _run_one(ow, name, test, main, ends)
            for name, test in sorted((parsed or {}).get("tests", {}).items())
        ]
    return {"key": main, "version": version, "passed": all(r["passed"] for r in results), "tests": results}


def ow_version(ow: Any, key: str) -> int:
    return max(d["version"] for d in ow.definitions() if d["key"] == key)


@contextmanager
def _scratch(
    facade: Callable[[Settings], Any], source: Store, settings: Settings
) -> Iterator[tuple[Store, Any]]:
    with tempfile.TemporaryDirectory(prefix="onewindow-tests-") as folder:
        url = f"sqlite:///{Path(folder) / 'tests.db'}"
        scratch = Store(url, Path(folder) / "data")
        Base.metadata.create_all(scratch.engine)
        with source.transaction() as s:
            groups = s.execute(select(OrgGroup.code, OrgGroup.name)).all()
            days = s.execute(select(CalendarDay.day, CalendarDay.working)).all()
        with scratch.transaction() as s:
            if groups:
                s.execute(insert(OrgGroup), [{"code": c, "name": n} for c, n in groups])
                s.execute(
                    insert(GroupMember),
                    [
                        {"username": TESTER.format(group=c), "group_code": c, "org_path": "/"}
                        for c, _ in groups
                    ],
                )
            if days:
                s.execute(
                    insert(CalendarDay),
                    [
                        {"day": d, "working": w, "source": "package", "changed_at": clock.now()}
                        for d, w in days
                    ],
                )
        scratch.dispose()
        calendar_days.forget()
        ow = facade(Settings(database_url=url, data_dir=Path(folder) / "data", forms_dir=settings.forms_dir))
        try:
            yield scratch, ow
        finally:
            ow.close()
            calendar_days.forget()


def _run_one(ow: Any, name: str, test: dict, key: str | None, ends: set[str]) -> Verdict:
    started_at = time.perf_counter()
    expect = test.get("expect", {})
    result: Verdict = {
        "test": name,
        "title": test.get("title", name),
        "passed": False,
        "path": [],
        "end": None,
        "status_code": None,
        "promised_due": None,
        "problems": [],
        "seconds": 0.0,
    }
    now = _start_time(test.get("accepted_on"))
    try:
        if key is None:
            raise _Failed(_("the unit has no executable process to test"))
        start = test.get("start") or {}
        starter = TESTER.format(group=start["as"]) if start.get("as") else None
        with clock.travel(now):
            started = ow.start(key, start.get("data") or {}, actor=starter)
            ow.run_due_jobs(at=now)
        instance, number = started["instance"], started.get("case_number")
        reached: list[str] = []  # end events in the order the case reached them (a branch may end early)
        _note_ends(ow, instance, ends, reached)
        for i, step in enumerate(test.get("steps") or [], start=1):
            if "wait" in step:
                parts = TimerEventDefinition.parse_iso_duration(step["wait"])
                now = now + TimerEventDefinition.get_timedelta_from_start(parts, now)
                with clock.travel(now):
                    ow.run_due_jobs(at=now)
                _note_ends(ow, instance, ends, reached)
                continue
            with clock.travel(now):
                task = _open_task(ow, instance, step["task"], i, result["path"])
                _act(ow, task, step)
                ow.run_due_jobs(at=now)
            result["path"].append(task["name"])
            _note_ends(ow, instance, ends, reached)
            now += timedelta(minutes=1)
        result["end"] = reached[-1] if reached else None
        if number:
            case = ow.case(number)
            result["status_code"], result["promised_due"] = case["status_code"], case["promised_due"]
    except _Failed as failed:
        result["problems"].append(str(failed.message))
    except OneWindowError as exc:
        result["problems"].append(str(_("the engine refused a step: {error}", error=str(exc))))
    result["problems"] += _differences(expect, result)
    result["passed"] = not result["problems"]
    result["seconds"] = round(time.perf_counter() - started_at, 3)
    return result


class _Failed(Exception):
    def __init__(self, message: Message):
        super().__init__(str(message))
        self.message = message


def _start_time(accepted_on: str | None) -> datetime:
    """09:00 Beijing on the test's day (naive UTC), or now."""
    if not accepted_on:
        return clock.now()
    return datetime.combine(date.fromisoformat(accepted_on), datetime.min.time()) + timedelta(hours=9) - CHINA


def _open_task(ow: Any, instance: int, wanted: str, number: int, path: list[str]) -> dict:
    open_tasks = ow.instance(instance)["open_tasks"]
    for task in open_tasks:
        if wanted in (task["name"], task["title"]):
            return task
    found = "、".join(f"{t['title'] or t['name']}（{t['name']}）" for t in open_tasks) or str(
        _("none: the case has ended")
    )
    raise _Failed(
        _("step {number}: {task} is not open; open now: {found}", number=number, task=wanted, found=found)
    )


def _act(ow: Any, task: dict, step: dict) -> None:
    user = TESTER.format(group=task["group"]) if task["group"] else "tester"
    ow.claim(task["id"], user)
    action = step.get("action") or "complete"
    data, reason = step.get("data") or {}, step.get("reason") or "测试"
    if action == "complete":
        ow.complete(task["id"], user, data)
    elif action == "reject":
        ow.reject(task["id"], user, reason, data)
    elif action == "supplement":
        ow.supplement(task["id"], user, reason, data)
    else:
        ow.send_back(task["id"], user, reason)


def _end_events(files: dict[str, str]) -> set[str]:
    found = set()
    for name, text in files.items():
        if name.endswith(".bpmn"):
            root = etree.fromstring(
                text.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True)
            )
            found |= {e.get("id") for e in root.iter(f"{{{BPMN}}}endEvent")}
    return found


def _note_ends(ow: Any, instance: int, ends: set[str], reached: list[str]) -> None:
    if not ends:
        return
    completed = ow.progress(instance, parts=("marks",))["marks"]["completed"]
    reached += sorted(e for e in completed if e in ends and e not in reached)


def _differences(expect: dict, result: Verdict) -> list[str]:
    found: list[str] = []
    if result["problems"]:
        return found
    if "path" in expect and expect["path"] != result["path"]:
        found.append(str(_first_difference(expect["path"], result["path"])))
    if "end" in expect and expect["end"] != result["end"]:
        found.append(
            str(
                _(
                    "expected to end at {expected}, ended at {actual}",
                    expected=expect["end"],
                    actual=result["end"] or "—",
                )
            )
        )
    if "status_code" in expect and expect["status_code"] != result["status_code"]:
        found.append(
            str(
                _(
                    "expected status code {expected}, the case has {actual}",
                    expected=expect["status_code"],
                    actual=result["status_code"],
                )
            )
        )
    if "promised_due" in expect and expect["promised_due"] != result["promised_due"]:
        found.append(
            str(
                _(
                    "expected the promised due date {expected}, it is {actual}",
                    expected=expect["promised_due"],
                    actual=result["promised_due"] or "—",
                )
            )
        )
    return found


def _first_difference(expected: list[str], actual: list[str]) -> Message:
    for i, (want, got) in enumerate(zip(expected, actual, strict=False), start=1):
        if want != got:
            return _(
                "path step {number}: expected {expected}, the case went to {actual}",
                number=i,
                expected=want,
                actual=got,
            )
    if len(actual) < len(expected):
        return _(
            "the path stopped after {count} steps; expected next: {expected}",
            count=len(actual),
            expected=expected[len(actual)],
        )
    return _(
        "the path went on after the expected {count} steps: {actual}",
        count=len(expected),
        actual=actual[len(expected)],
    )
