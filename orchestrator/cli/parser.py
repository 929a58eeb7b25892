"""The command table of `onewindow`: each sub-command's arguments and its handler (`args.func`)."""

from __future__ import annotations

import argparse
from typing import NoReturn

from orchestrator.cli import commands, stats
from orchestrator.core.errors import InvalidInput, Problem
from orchestrator.core.i18n import _
from orchestrator.gov.stats.query import BY

LONG_RUNNING = ("serve", "worker", "beat")  # they log their start line and what matters while they run


class UsageError(InvalidInput):
    """The command line itself is wrong (exit 2, like any invalid input)."""


class Parser(argparse.ArgumentParser):
    """Raises on bad usage instead of exiting, so that --json can answer with an error document."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(Problem(_("{command}: {problem}", command=self.prog, problem=message)))


def build_parser() -> Parser:
    # --json and -v are accepted before and after the sub-command: the sub-parsers' copies default to
    # SUPPRESS, so they never overwrite what was given before the sub-command
    top = Parser(add_help=False)
    top.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    top.add_argument(
        "-v", "--verbose", action="store_true", help="log INFO lines (as ONEWINDOW_LOG_LEVEL=INFO)"
    )
    after = Parser(add_help=False)
    after.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    after.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
    )
    parser = Parser(prog="onewindow", parents=[top], description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    def cmd(name: str, handler, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[after], help=help)
        p.set_defaults(func=handler)
        return p

    def as_user(p: argparse.ArgumentParser, required: bool = False) -> None:
        p.add_argument("--as", dest="user", required=required)

    p = cmd("db", commands.db, "database schema: `db upgrade`")
    p.add_argument("action", choices=["upgrade"])

    p = cmd("deploy", commands.deploy, "validate and store process folders, .bpmn files or .zip units")
    p.add_argument("paths", nargs="+")
    p.add_argument("--publish", action="store_true")
    p.add_argument("--tag")
    as_user(p)

    p = cmd("import", commands.import_, "import BPMN 2.0 from other modelers as a draft, with a report")
    p.add_argument("paths", nargs="+")
    p.add_argument(
        "--map-lane", action="append", metavar="NAME=GROUP", help="a lane or candidate group → a group"
    )
    p.add_argument("--key", help="the process key (needed when the process id already exists)")
    as_user(p)

    p = cmd("export", commands.export, "a version as a zip of BPMN 2.0, DMN, forms and catalog entry")
    p.add_argument("key")
    p.add_argument("version", type=int)
    p.add_argument("-o", "--output", help="the zip to write (default: KEY-vN.zip here)")

    cmd("definitions", commands.definitions, "keys, versions, tags, status, running instances")
    for name, handler in (("publish", commands.publish), ("retire", commands.retire)):
        p = cmd(name, handler, f"{name} a version")
        p.add_argument("key")
        p.add_argument("version", type=int)
        as_user(p)

    p = cmd("start", commands.start, "start an instance of the newest published version")
    p.add_argument("key")
    p.add_argument("--data", help="a JSON object, or @file")
    p.add_argument("--business-key")
    as_user(p)

    p = cmd("tasks", commands.tasks, "the inbox")
    as_user(p)
    p.add_argument("--group")
    p.add_argument("--state", choices=["open", "claimed", "completed", "cancelled"])
    p.add_argument("--view", choices=["todo", "mine", "group", "done", "started"])
    p.add_argument("--item", help="only this process key")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--offset", type=int, default=0)

    for name, handler in (("claim", commands.claim), ("unclaim", commands.unclaim)):
        p = cmd(name, handler, f"{name} a group task")
        p.add_argument("task", type=int)
        as_user(p, required=True)

    p = cmd("complete", commands.complete, "complete a task with form data")
    p.add_argument("task", type=int)
    as_user(p, required=True)
    p.add_argument("--data", help="a JSON object, or @file")
    p.add_argument("--opinion")

    for name, handler, what in (
        ("reject", commands.reject, "驳回: complete a task on its reject path, with a reason"),
        ("send-back", commands.send_back, "退回: send a task back to the previous step, with a reason"),
        ("supplement", commands.supplement, "补正: return to the applicant (the 补正 path), with a reason"),
    ):
        p = cmd(name, handler, what)
        p.add_argument("task", type=int)
        as_user(p, required=True)
        p.add_argument("--reason", required=True)
    p = cmd("transfer", commands.transfer, "转办: hand a task to a colleague of its group")
    p.add_argument("task", type=int)
    p.add_argument("to")
    as_user(p, required=True)
    p.add_argument("--note")
    for name, handler, what in (
        ("comment", commands.comment, "评论: a note on the task's case"),
        ("urge", commands.urge, "催办: remind the task's holder"),
    ):
        p = cmd(name, handler, what)
        p.add_argument("task", type=int)
        as_user(p, required=True)
        p.add_argument("--text", required=name == "comment")

    p = cmd("instance", commands.instance, "status, open tasks and history of an instance")
    p.add_argument("id", type=int)

    p = cmd("message", commands.message, "deliver a message to the instance waiting for it")
    p.add_argument("name")
    p.add_argument("--data", help="a JSON object, or @file")
    p.add_argument("--instance", type=int)
    as_user(p)

    p = cmd("case", commands.case, "a case (办件): status, deadlines, paused intervals, steps")
    p.add_argument("number")

    p = cmd("document", commands.document, "write a case document (receipt, one_time_notice, acceptance, …)")
    p.add_argument("number")
    p.add_argument("kind")
    p.add_argument("--out", help="folder to write the .pdf and .html to (default: the data folder)")
    for name, handler, what in (
        ("withdraw", commands.withdraw, "the applicant withdraws a case (撤件 / 撤回)"),
        ("revoke", commands.revoke, "the agency revokes a case (撤销)"),
    ):
        p = cmd(name, handler, what)
        p.add_argument("number")
        as_user(p, required=True)
        p.add_argument("--reason")

    p = cmd("evaluate", commands.evaluate, "好差评 of a delivered case (level: 1 非常满意 … 5 非常不满意)")
    p.add_argument("number")
    p.add_argument("level", type=int)
    p.add_argument("--channel", default="网上")
    p.add_argument("--visit")
    p.add_argument("--comment")
    as_user(p)

    p = cmd("warnings", commands.warnings, "supervision warnings (电子监察): reminders, yellow and red cards")
    p.add_argument("--case")
    p.add_argument("--sweep", action="store_true", help="run the sweep first")

    p = cmd("stats", stats.stats, "统计分析: a breakdown of cases (`stats --by department --from D --to D`)")
    p.add_argument("--by", default="all", choices=BY)
    p.add_argument("--from", dest="start", help="first day, YYYY-MM-DD (default: 1 January of this year)")
    p.add_argument("--to", dest="end", help="last day, YYYY-MM-DD (default: today)")
    p.add_argument("--basis", default="accepted", choices=["accepted", "completed"])
    p.add_argument("--org", help="an org unit code (by org: whose children are the rows)")
    p.add_argument("--recount", action="store_true", help="rebuild every sum from the raw cases")
    as_user(p)

    p = cmd(
        "calendar", commands.calendar, "working days: `calendar due DATE N`, `calendar set DATE work|rest`"
    )
    p.add_argument("action", choices=["due", "set"])
    p.add_argument("date")
    p.add_argument("value", help="N working days (due) or work|rest (set)")
    p.add_argument("--note")
    as_user(p)

    p = cmd("group", commands.group, "groups and members: `group add CODE NAME`, `group member USER CODE`")
    p.add_argument("action", choices=["add", "member"])
    p.add_argument("first", help="group code (add) or username (member)")
    p.add_argument("second", help="display name (add) or group code (member)")
    p.add_argument("--org", help="member: the org unit (code) whose subtree the member works in")

    p = cmd("org", commands.org, "org units 区县 → 镇街 → 村社 → 网格: `org add CODE NAME LEVEL`, `org list`")
    p.add_argument("action", choices=["add", "list"])
    p.add_argument("code", nargs="?")
    p.add_argument("name", nargs="?")
    p.add_argument("level", nargs="?")
    p.add_argument("--parent")

    p = cmd("worker", commands.worker, "run due jobs; a Celery worker when ONEWINDOW_BROKER_URL is set")
    p.add_argument("--once", action="store_true", help="run what is due now, then exit")
    p.add_argument("--poll", type=float, default=1.0)
    p.add_argument("--concurrency", type=int, help="Celery worker processes (default: the CPU count)")

    p = cmd("beat", commands.beat, "with a broker: send due jobs to the workers every second")
    p.add_argument("--interval", type=float, default=1.0)

    cmd("incidents", commands.incidents, "jobs that failed all their attempts")
    p = cmd("retry", commands.retry, "retry an incident")
    p.add_argument("job", type=int)
    as_user(p)

    p = cmd("item", commands.item, "the item studio: `item templates`, `item new KEY --template CLASS …`")
    p.add_argument("action", choices=["templates", "new", "save-template"])
    p.add_argument("key", nargs="?", help="new: the new item's process key; save-template: the item's key")
    p.add_argument("version", nargs="?", help="save-template: the version to keep as a template")
    p.add_argument("--template", help="a template code (item templates) or a class: 即办 承诺 联办 上报 代办")
    p.add_argument("--name", help="the item's Chinese name (save-template: the template's)")
    p.add_argument("--code", help="the item's code (save-template: the template's code)")
    p.add_argument("--type", help="事项类型, e.g. 行政许可 (default: the template's)")
    p.add_argument("--lead", help="the lead department (a group code)")
    p.add_argument("--co", action="append", help="a co-department (联办), once per department")
    p.add_argument("--org", help="the implementing org unit (a code)")
    p.add_argument("--statutory", type=int, help="法定办结时限, working days")
    p.add_argument("--promised", type=int, help="承诺办结时限, working days")
    p.add_argument("--material", action="append", help="a required material's name, once per material")
    as_user(p)

    p = cmd(
        "test", commands.test, "run process tests (tests/*.json) of a unit folder or a stored KEY [VERSION]"
    )
    p.add_argument("target", help="a process folder, .zip or .bpmn, or a process key")
    p.add_argument("version", nargs="?", help="with a key: the version (default: the newest)")

    cmd("demo", commands.demo, "load the demo org, users and groups, and publish every process in processes/")
    p = cmd("serve", commands.serve, "the web app")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)

    p = cmd("user", commands.user, "web accounts: `user add NAME --role ROLE --password P`")
    p.add_argument("action", choices=["add"])
    p.add_argument("username")
    p.add_argument("--role", required=True, help="Admin, Analyst, FrontDesk, BackOffice, Supervisor or Grid")
    p.add_argument("--password", required=True)
    p.add_argument("--name")
    return parser
