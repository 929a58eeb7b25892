"""`onewindow`: the command-line door. Exit codes: 0 done, 1 unexpected, 2 invalid input, 3 conflict,
4 not found or not allowed. With --json every command prints one JSON document on stdout."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import logs
from .config import Settings
from .errors import InvalidInput, OneWindowError, Problem


def _data(value: str | None) -> dict | None:
    if value is None:
        return None
    try:
        text = Path(value[1:]).read_text(encoding="utf-8") if value.startswith("@") else value
        data = json.loads(text)
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidInput(Problem(f"--data is not JSON or a readable @file: {exc}", field="data")) from None
    if not isinstance(data, dict):
        raise InvalidInput(Problem("--data must be a JSON object", field="data"))
    return data


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    parser = argparse.ArgumentParser(prog="onewindow", parents=[common], description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def cmd(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], help=help)

    db = cmd("db", "database schema")
    db.add_argument("action", choices=["upgrade"])

    p = cmd("deploy", "validate and store process folders, .bpmn files or .zip units")
    p.add_argument("paths", nargs="+")
    p.add_argument("--publish", action="store_true")
    p.add_argument("--tag")
    p.add_argument("--as", dest="user")

    cmd("definitions", "keys, versions, tags, status, running instances")
    for name in ("publish", "retire"):
        p = cmd(name, f"{name} a version")
        p.add_argument("key")
        p.add_argument("version", type=int)
        p.add_argument("--as", dest="user")

    p = cmd("start", "start an instance of the newest published version")
    p.add_argument("key")
    p.add_argument("--data")
    p.add_argument("--business-key")
    p.add_argument("--as", dest="user")

    p = cmd("tasks", "the inbox")
    p.add_argument("--as", dest="user")
    p.add_argument("--group")
    p.add_argument("--state", choices=["open", "claimed", "completed", "cancelled"])
    p.add_argument("--view", choices=["todo", "mine", "group", "done", "started"])
    p.add_argument("--item", help="only this process key")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--offset", type=int, default=0)

    for name in ("claim", "unclaim"):
        p = cmd(name, f"{name} a group task")
        p.add_argument("task", type=int)
        p.add_argument("--as", dest="user", required=True)

    p = cmd("complete", "complete a task with form data")
    p.add_argument("task", type=int)
    p.add_argument("--as", dest="user", required=True)
    p.add_argument("--data")
    p.add_argument("--opinion")

    p = cmd("instance", "status, open tasks and history of an instance")
    p.add_argument("id", type=int)

    p = cmd("case", "a case (办件): status, deadlines, paused intervals, steps")
    p.add_argument("number")

    p = cmd("document", "write a case document: receipt, one_time_notice, acceptance, refusal, completion")
    p.add_argument("number")
    p.add_argument("kind")
    p.add_argument("--out", help="folder to write the .pdf and .html to (default: the data folder)")
    for name, what in (
        ("withdraw", "the applicant withdraws a case (撤件 / 撤回)"),
        ("revoke", "the agency revokes a case (撤销)"),
    ):
        p = cmd(name, what)
        p.add_argument("number")
        p.add_argument("--as", dest="user", required=True)
        p.add_argument("--reason")

    p = cmd("evaluate", "好差评: evaluate a delivered case (level = national code 1 非常满意 … 5 非常不满意)")
    p.add_argument("number")
    p.add_argument("level", type=int)
    p.add_argument("--channel", default="网上")
    p.add_argument("--visit")
    p.add_argument("--comment")
    p.add_argument("--as", dest="user")

    p = cmd("message", "deliver a message to the instance waiting for it")
    p.add_argument("name")
    p.add_argument("--data")
    p.add_argument("--instance", type=int)
    p.add_argument("--as", dest="user")

    p = cmd(
        "worker", "run due jobs (timers, continuations); a Celery worker when ONEWINDOW_BROKER_URL is set"
    )
    p.add_argument("--once", action="store_true", help="run what is due now, then exit (no broker)")
    p.add_argument("--poll", type=float, default=1.0)
    p.add_argument("--concurrency", type=int, help="Celery worker processes (default: the CPU count)")

    p = cmd("beat", "with a broker: send due jobs to the workers every second (one per deployment)")
    p.add_argument("--interval", type=float, default=1.0)

    p = cmd("warnings", "supervision warnings (电子监察): reminders, yellow and red cards")
    p.add_argument("--case")
    p.add_argument("--sweep", action="store_true", help="run the sweep first")

    cmd("incidents", "jobs that failed all their attempts")
    p = cmd("retry", "retry an incident")
    p.add_argument("job", type=int)
    p.add_argument("--as", dest="user")

    p = cmd("calendar", "working days: `calendar due DATE N`, `calendar set DATE work|rest`")
    p.add_argument("action", choices=["due", "set"])
    p.add_argument("date")
    p.add_argument("value", help="N working days (due) or work|rest (set)")
    p.add_argument("--note")
    p.add_argument("--as", dest="user")

    p = cmd("group", "groups and members")
    p.add_argument("action", choices=["add", "member"])
    p.add_argument("first", help="group code (add) or username (member)")
    p.add_argument("second", help="display name (add) or group code (member)")
    p.add_argument("--org", help="member: the org unit (code) whose subtree the member works in")

    p = cmd("org", "org units 区县 → 镇街 → 村社 → 网格: `org add CODE NAME LEVEL [--parent P]`, `org list`")
    p.add_argument("action", choices=["add", "list"])
    p.add_argument("code", nargs="?")
    p.add_argument("name", nargs="?")
    p.add_argument("level", nargs="?")
    p.add_argument("--parent")

    for name, what in (
        ("reject", "驳回: complete a task on its reject path, with a reason"),
        ("send-back", "退回: send a task back to the previous step, with a reason"),
        ("supplement", "补正: return to the applicant (the diagram's 补正 path), with a reason"),
    ):
        p = cmd(name, what)
        p.add_argument("task", type=int)
        p.add_argument("--as", dest="user", required=True)
        p.add_argument("--reason", required=True)
    p = cmd("transfer", "转办: hand a task to a colleague of its group")
    p.add_argument("task", type=int)
    p.add_argument("to")
    p.add_argument("--as", dest="user", required=True)
    p.add_argument("--note")
    for name, what in (
        ("comment", "评论: a note on the task's case"),
        ("urge", "催办: remind the task's holder"),
    ):
        p = cmd(name, what)
        p.add_argument("task", type=int)
        p.add_argument("--as", dest="user", required=True)
        p.add_argument("--text", required=name == "comment")

    cmd("demo", "load the demo org, users and groups, and publish every process in processes/")

    p = cmd("serve", "the web app")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)

    p = cmd("user", "web accounts: `user add NAME --role ROLE --password P`")
    p.add_argument("action", choices=["add"])
    p.add_argument("username")
    p.add_argument("--role", required=True, help="Admin, Analyst, FrontDesk, BackOffice, Supervisor or Grid")
    p.add_argument("--password", required=True)
    p.add_argument("--name")
    return parser


def _web(name: str):
    """The web app's command (an `onewindow.web` entry point): orchestrator itself knows no web."""
    from importlib.metadata import entry_points

    found = [e for e in entry_points(group="onewindow.web") if e.name == name]
    return found[0].load() if found else None


def run(args: argparse.Namespace, settings: Settings):
    from .service import OneWindow

    ow = OneWindow(settings)
    try:
        c = args.command
        if c == "db":
            ow.upgrade()
            return {"upgraded": True}
        if c == "deploy":
            out = []
            for path in args.paths:
                out += ow.deploy(path, publish=args.publish, tag=args.tag, actor=args.user)
            return out
        if c == "definitions":
            return ow.definitions()
        if c in ("publish", "retire"):
            return ow.set_status(args.key, args.version, c + "ed" if c == "publish" else "retired", args.user)
        if c == "start":
            return ow.start(args.key, _data(args.data), business_key=args.business_key, actor=args.user)
        if c == "tasks":
            return ow.tasks(
                args.user,
                view=args.view,
                group=args.group,
                state=args.state,
                item=args.item,
                limit=args.limit,
                offset=args.offset,
            )
        if c == "reject":
            return ow.reject(args.task, args.user, args.reason)
        if c == "send-back":
            return ow.send_back(args.task, args.user, args.reason)
        if c == "supplement":
            return ow.supplement(args.task, args.user, args.reason)
        if c == "transfer":
            return ow.transfer(args.task, args.user, args.to, args.note)
        if c == "comment":
            return ow.comment(args.task, args.user, args.text)
        if c == "urge":
            return ow.urge(args.task, args.user, args.text)
        if c == "org":
            if args.action == "list":
                return ow.org_units()
            if not (args.code and args.name and args.level):
                raise InvalidInput(Problem("org add CODE NAME LEVEL [--parent P]", field="code"))
            return ow.add_org_unit(
                args.code, args.name, args.level, args.parent, actor=getattr(args, "user", None)
            )
        if c == "claim":
            return ow.claim(args.task, args.user)
        if c == "unclaim":
            return ow.unclaim(args.task, args.user)
        if c == "complete":
            return ow.complete(args.task, args.user, _data(args.data), args.opinion)
        if c == "instance":
            return ow.instance(args.id)
        if c == "case":
            return ow.case(args.number)
        if c == "document":
            html, pdf, filename = ow.document(args.number, args.kind)
            folder = Path(args.out) if args.out else settings.data_dir / "documents"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / filename).write_bytes(pdf)
            (folder / filename).with_suffix(".html").write_text(html, encoding="utf-8")
            return {"pdf": str(folder / filename), "html": str((folder / filename).with_suffix(".html"))}
        if c == "evaluate":
            return ow.evaluate(
                args.number,
                args.level,
                channel=args.channel,
                visit=args.visit,
                comment=args.comment,
                actor=args.user,
            )
        if c == "withdraw":
            return ow.withdraw(args.number, args.user, args.reason)
        if c == "revoke":
            return ow.revoke(args.number, args.user, args.reason)
        if c == "message":
            return ow.send_message(
                args.name, _data(args.data) or {}, instance_id=args.instance, actor=args.user
            )
        if c == "beat":
            if not settings.broker_url:
                raise InvalidInput(
                    Problem("beat needs ONEWINDOW_BROKER_URL (without a broker: onewindow worker)")
                )
            from .dispatch import beat

            ow.start_supervision()
            print(f"dispatcher running, broker {settings.broker_url}; Ctrl-C stops it", file=sys.stderr)
            beat(settings, args.interval)
            return None
        if c == "worker":
            ow.start_supervision()
            if settings.broker_url and not args.once:
                from .dispatch import worker

                worker(settings, args.concurrency)
                return None
            if args.once:
                return ow.run_due_jobs()
            from .jobs import work_forever

            print("worker running (embedded, no broker); Ctrl-C stops it", file=sys.stderr)
            work_forever(ow.store, args.poll)
            return None
        if c == "warnings":
            if args.sweep:
                ow.sweep()
            return ow.warnings(args.case)
        if c == "incidents":
            return ow.incidents()
        if c == "retry":
            return ow.retry(args.job, args.user)
        if c == "calendar":
            if args.action == "due":
                if not args.value.isdigit():
                    raise InvalidInput(
                        Problem(f"N must be a whole number of working days, not '{args.value}'", field="n")
                    )
                return ow.calendar_due(args.date, int(args.value))
            return ow.calendar_set(args.date, args.value, note=args.note, actor=args.user)
        if c == "group":
            if args.action == "add":
                ow.add_group(args.first, args.second)
            else:
                ow.add_member(args.first, args.second, args.org)
            return {"ok": True}
        if c == "demo":
            ow.upgrade()
            deployed = ow.load_demo()
            accounts = _web("demo_accounts")
            return {"deployed": deployed, "accounts": accounts(settings) if accounts else []}
        if c == "serve":
            serve = _web("serve")
            if serve is None:
                raise InvalidInput(Problem("the web app (package admin) is not installed"))
            serve(settings, args.host, args.port)
            return None
        if c == "user":
            add_user = _web("add_user")
            if add_user is None:
                raise InvalidInput(Problem("the web app (package admin) is not installed"))
            return add_user(settings, args.username, args.role, args.password, name=args.name)
        raise AssertionError(c)
    finally:
        ow.close()


def _print_human(result) -> None:
    if result is None:
        return
    if isinstance(result, list) and result and isinstance(result[0], dict) and "unchanged" in result[0]:
        for r in result:
            state = "unchanged" if r["unchanged"] else "new version"
            print(f"{r['key']} v{r['version']} {r['status']} ({state}) {r['checksum'][:12]}")
        return
    print(json.dumps(result, ensure_ascii=False, indent=2, default=str))


def _print_problems(exc: InvalidInput) -> None:
    for p in exc.problems:
        where = ":".join(str(x) for x in (p.file, p.line) if x is not None)
        element = f" [{p.element}]" if p.element else ""
        field = f" {p.field}:" if p.field else ""
        print(f"{where or 'input'}{element}{field} {p.message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logs.configure()
    try:
        result = run(args, Settings.from_env())
    except OneWindowError as exc:
        if args.json:
            print(json.dumps(exc.as_dict(), ensure_ascii=False))
        elif isinstance(exc, InvalidInput):
            _print_problems(exc)
        else:
            print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    if args.json:
        print(json.dumps(result, ensure_ascii=False, default=str))
    else:
        _print_human(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
