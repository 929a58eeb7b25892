"""What each `onewindow` sub-command does: one handler per command, `handler(ow, args) -> result`.

The result is printed by the CLI (a JSON document with --json); a handler that serves until stopped
(serve, worker, beat) returns None.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Mapping, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from orchestrator.cli.input import data, whole_number
from orchestrator.core.errors import InvalidInput, Problem
from orchestrator.core.i18n import _
from orchestrator.deploy import importing
from orchestrator.service import OneWindow

log = logging.getLogger("onewindow.cli")
Args = argparse.Namespace


class Finished:
    """A result that also decides the exit code (and how it reads without --json)."""

    def __init__(self, result: Mapping[str, Any], exit_code: int, text: str):
        self.result, self.exit_code, self.text = result, exit_code, text


Result = Mapping[str, Any] | Sequence[Mapping[str, Any]] | Finished | None  # None: nothing to print


# -- definitions ---------------------------------------------------------------------------------
def db(ow: OneWindow, args: Args) -> Result:
    ow.upgrade()
    return {"upgraded": True}


def deploy(ow: OneWindow, args: Args) -> Result:
    out: list[Mapping[str, Any]] = []
    for path in args.paths:
        out += ow.deploy(path, publish=args.publish, tag=args.tag, actor=args.user)
    return out


def import_(ow: OneWindow, args: Args) -> Result:
    """Diagrams from other modelers as a draft with a report; exit 0 even with things to fix (it is stored)."""
    lanes = importing.parse_lane_map(args.map_lane or [])
    done = ow.import_diagrams(args.paths, lane_map=lanes, key=args.key, actor=args.user)
    kinds = {"translated": _("translated"), "documentation": _("kept as documentation"), "fix": _("to fix")}
    lines = [f"{v['key']} v{v['version']} {v['status']}" for v in done["versions"]]
    for r in done["report"]:
        where = ":".join(str(x) for x in (r.get("file"), r.get("line")) if x is not None)
        element = f" [{r['element']}]" if r.get("element") else ""
        lines.append(f"  {kinds.get(r['kind'], r['kind'])}: {where}{element} {r['message']}")
    return Finished(done, 0, "\n".join(lines))


def export(ow: OneWindow, args: Args) -> Result:
    name, data = ow.export(args.key, args.version)
    target = Path(args.output or name)
    target.write_bytes(data)
    return {"file": str(target), "bytes": len(data)}


def definitions(ow: OneWindow, args: Args) -> Result:
    return ow.definitions()


def publish(ow: OneWindow, args: Args) -> Result:
    return ow.set_status(args.key, args.version, "published", args.user)


def retire(ow: OneWindow, args: Args) -> Result:
    return ow.set_status(args.key, args.version, "retired", args.user)


# -- instances and tasks -------------------------------------------------------------------------
def start(ow: OneWindow, args: Args) -> Result:
    return ow.start(args.key, data(args.data), business_key=args.business_key, actor=args.user)


def tasks(ow: OneWindow, args: Args) -> Result:
    return ow.tasks(
        args.user,
        view=args.view,
        group=args.group,
        state=args.state,
        item=args.item,
        limit=args.limit,
        offset=args.offset,
    )


def claim(ow: OneWindow, args: Args) -> Result:
    return ow.claim(args.task, args.user)


def unclaim(ow: OneWindow, args: Args) -> Result:
    return ow.unclaim(args.task, args.user)


def complete(ow: OneWindow, args: Args) -> Result:
    return ow.complete(args.task, args.user, data(args.data), args.opinion)


def reject(ow: OneWindow, args: Args) -> Result:
    return ow.reject(args.task, args.user, args.reason)


def send_back(ow: OneWindow, args: Args) -> Result:
    return ow.send_back(args.task, args.user, args.reason)


def supplement(ow: OneWindow, args: Args) -> Result:
    return ow.supplement(args.task, args.user, args.reason)


def transfer(ow: OneWindow, args: Args) -> Result:
    return ow.transfer(args.task, args.user, args.to, args.note)


def comment(ow: OneWindow, args: Args) -> Result:
    return ow.comment(args.task, args.user, args.text)


def urge(ow: OneWindow, args: Args) -> Result:
    return ow.urge(args.task, args.user, args.text)


def instance(ow: OneWindow, args: Args) -> Result:
    return ow.instance(args.id)


def message(ow: OneWindow, args: Args) -> Result:
    return ow.send_message(args.name, data(args.data) or {}, instance_id=args.instance, actor=args.user)


# -- cases ---------------------------------------------------------------------------------------
def case(ow: OneWindow, args: Args) -> Result:
    return ow.case(args.number)


def document(ow: OneWindow, args: Args) -> Result:
    html, pdf, filename = ow.document(args.number, args.kind)
    folder = Path(args.out) if args.out else ow.settings.data_dir / "documents"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / filename).write_bytes(pdf)
    (folder / filename).with_suffix(".html").write_text(html, encoding="utf-8")
    return {"pdf": str(folder / filename), "html": str((folder / filename).with_suffix(".html"))}


def withdraw(ow: OneWindow, args: Args) -> Result:
    return ow.withdraw(args.number, args.user, args.reason)


def revoke(ow: OneWindow, args: Args) -> Result:
    return ow.revoke(args.number, args.user, args.reason)


def evaluate(ow: OneWindow, args: Args) -> Result:
    return ow.evaluate(
        args.number, args.level, channel=args.channel, visit=args.visit, comment=args.comment, actor=args.user
    )


def warnings(ow: OneWindow, args: Args) -> Result:
    if args.sweep:
        ow.sweep()
    return ow.warnings(args.case)


def calendar(ow: OneWindow, args: Args) -> Result:
    if args.action == "due":
        return ow.calendar_due(args.date, whole_number(args.value, "n"))
    return ow.calendar_set(args.date, args.value, note=args.note, actor=args.user)


# -- organisation --------------------------------------------------------------------------------
def group(ow: OneWindow, args: Args) -> Result:
    if args.action == "add":
        ow.add_group(args.first, args.second)
    else:
        ow.add_member(args.first, args.second, args.org)
    return {"ok": True}


def org(ow: OneWindow, args: Args) -> Result:
    if args.action == "list":
        return ow.org_units()
    if not (args.code and args.name and args.level):
        raise InvalidInput(Problem(_("usage: org add CODE NAME LEVEL [--parent P]"), field="code"))
    return ow.add_org_unit(args.code, args.name, args.level, args.parent)


# -- jobs ----------------------------------------------------------------------------------------
def worker(ow: OneWindow, args: Args) -> Result:
    ow.start_supervision()
    if args.once:
        return ow.run_due_jobs()
    if ow.settings.broker_url:
        from orchestrator.jobs import dispatch

        dispatch.worker(ow.settings, args.concurrency)
        return None
    from orchestrator import jobs

    log.info("worker running (embedded, no broker); Ctrl-C stops it")
    jobs.work_forever(ow.store, args.poll)
    return None


def beat(ow: OneWindow, args: Args) -> Result:
    if not ow.settings.broker_url:
        raise InvalidInput(Problem(_("beat needs ONEWINDOW_BROKER_URL (without a broker: onewindow worker)")))
    from orchestrator.jobs import dispatch

    ow.start_supervision()
    log.info("dispatcher running, broker %s; Ctrl-C stops it", ow.settings.broker_url)
    dispatch.beat(ow.settings, args.interval)
    return None


def incidents(ow: OneWindow, args: Args) -> Result:
    return ow.incidents()


def retry(ow: OneWindow, args: Args) -> Result:
    return ow.retry(args.job, args.user)


# -- the web app's commands (found through `onewindow.web` entry points: the core knows no web) ----------
def _web(name: str) -> Any:
    found = [e for e in entry_points(group="onewindow.web") if e.name == name]
    if not found:
        raise InvalidInput(Problem(_("the web app (package admin) is not installed")))
    return found[0].load()


def demo(ow: OneWindow, args: Args) -> Result:
    ow.upgrade()
    deployed = ow.load_demo()
    return {"deployed": deployed, "accounts": _web("demo_accounts")(ow.settings)}


def serve(ow: OneWindow, args: Args) -> Result:
    _web("serve")(ow.settings, args.host, args.port)
    return None


def user(ow: OneWindow, args: Args) -> Result:
    return _web("add_user")(ow.settings, args.username, args.role, args.password, name=args.name)


# -- the item studio -----------------------------------------------------------------------------
def item(ow: OneWindow, args: Args) -> Result:
    if args.action == "templates":
        return ow.item_templates()
    if args.action == "save-template":
        if not (args.key and args.version and args.code and args.name):
            raise InvalidInput(
                Problem(_("usage: item save-template KEY VERSION --code CODE --name NAME"), field="key")
            )
        return ow.save_template(
            args.key, whole_number(args.version, "version"), args.code, args.name, actor=args.user
        )
    missing = [
        f
        for f in ("key", "template", "name", "code", "lead", "statutory", "promised")
        if getattr(args, f) is None
    ]
    if missing:
        raise InvalidInput(
            [
                Problem(_("item new needs --{option}", option=name.replace("_", "-")), field=name)
                for name in missing
            ]
        )
    made = ow.new_item(
        args.key,
        template=args.template,
        name=args.name,
        code=args.code,
        lead=args.lead,
        co=args.co or (),
        org=args.org,
        item_type=args.type,
        statutory_days=args.statutory,
        promised_days=args.promised,
        materials=args.material or (),
        actor=args.user,
    )
    return {"key": made["key"], "version": made["version"], "status": made["status"]}


# -- process tests -------------------------------------------------------------------------------
def test(ow: OneWindow, args: Args) -> Result:
    """Exit 0 when every test passes, 1 when one fails (the run is printed either way)."""
    version = whole_number(args.version, "version") if args.version else None
    run = ow.run_tests(args.target, version)
    return Finished(run, 0 if run["passed"] else 1, _test_report(run))


def _test_report(run: Mapping[str, Any]) -> str:
    lines = []
    for t in run["tests"]:
        mark = "✓" if t["passed"] else "✗"
        lines.append(f"{mark} {t['title']}  [{t['test']}]  {t['seconds']:.2f} s")
        walked = t["path"] + ([t["end"]] if t["end"] else [])
        if walked:
            lines.append(f"    {' → '.join(walked)}")
        lines += [f"    {problem}" for problem in t["problems"]]
    passed = sum(1 for t in run["tests"] if t["passed"])
    lines.append(str(_("{passed} of {total} tests passed", passed=passed, total=len(run["tests"]))))
    return "\n".join(lines)
