"""Write the item templates (templates/<class>/): one complete, working service item per case class —
即办, 承诺, 联办, 上报 and 代办/助跑 — with lanes, forms, the national status milestones, the 补正 / 一次性告知
loop, 不予受理, the decision and 出件. `onewindow item new` makes a new item from one of them.

    python tools/make_templates.py        # rewrites templates/ (review the diff, then commit)

Lane names are placeholders that work as they are: `minzheng` for the lead department (lane id
`Lane_lead`) and `renshe` for a co-department (`Lane_co`, cloned once per co-department). Material lists in
forms are marked `"x-catalog": "materials"` and filled from the item's catalog when it is deployed.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from bpmn_layout import Diagram
from template_forms import FORMS, PROXY_FORMS

ROOT = Path(__file__).resolve().parent.parent / "templates"
LEAD, CO = "minzheng", "renshe"


def _item(key: str, name: str, local: str, national: int, statutory: int, promised: int, **more) -> dict:
    return {
        "process": key,
        "code": f"TPL-{local}".replace("即办", "JB")
        .replace("承诺", "CN")
        .replace("联办", "LB")
        .replace("上报", "SB")
        .replace("特殊", "TS"),
        "name": name,
        "type": "公共服务",
        "implementing_body": "示范区便民服务中心",
        "lead_department": LEAD,
        "case_class": {"national": national, "local": local},
        "limits": {"statutory_days": statutory, "promised_days": promised, "supplement_days": 30},
        "materials": [
            {
                "name": "申请表",
                "necessity": "必要",
                "form": "纸质",
                "copies": {"original": 1, "copy": 0},
                "source": "申请人自备",
            },
            {
                "name": "居民身份证",
                "necessity": "必要",
                "form": "纸质",
                "copies": {"original": 1, "copy": 1},
                "source": "政府部门核发",
                "note": "原件核验后退还",
            },
        ],
        "conditions": ["申请人为本市户籍居民或持有本市居住证"],
        "fees": [],
        "channels": {"online": True, "appointment": True, "courier": True, "proxy": True, "visits": 1},
        "scope": "全市",
        "place": "便民服务中心综合窗口",
        "hours": "周一至周五 9:00-12:00, 13:30-17:00（法定节假日除外）",
        **more,
    }


def _front(d: Diagram, lane: str = "Lane_frontdesk", register: bool = False) -> None:
    """收件审查 with its 不予受理 and 补正 / 一次性告知 loops, up to 受理 (status 3) at column 4."""
    start = 0
    if register:
        d.node("Start_apply", "startEvent", "群众委托代办", "Lane_grid", 0)
        d.node(
            "Task_register",
            "userTask",
            "代办员登记委托",
            "Lane_grid",
            1,
            props={"formJsonSchemaFilename": "register.schema.json"},
        )
        d.flow("Flow_apply", "Start_apply", "Task_register")
        d.flow("Flow_registered", "Task_register", "Task_check")
        start = 1
    else:
        d.node("Start_apply", "startEvent", "申请", lane, 0)
        d.flow("Flow_apply", "Start_apply", "Task_check")
    c = start
    d.node(
        "Task_check",
        "userTask",
        "收件审查",
        lane,
        c + 1,
        props={
            "formJsonSchemaFilename": "check.schema.json",
            "supplementData": json.dumps({"eligible": True, "complete": False}),
            "rejectData": json.dumps({"eligible": False}),
        },
    )
    d.node("Gateway_eligible", "exclusiveGateway", "符合受理条件？", lane, c + 2, default="Flow_refuse")
    d.node("End_refused", "endEvent", "不予受理", lane, c + 2, row=1, props={"caseStatus": "5"})
    d.node("Gateway_complete", "exclusiveGateway", "材料齐全？", lane, c + 3, default="Flow_incomplete")
    d.node("Event_accepted", "intermediateThrowEvent", "受理", lane, c + 4, props={"caseStatus": "3"})
    d.node(
        "Task_notice",
        "userTask",
        "一次性告知",
        lane,
        c + 3,
        row=1,
        props={
            "formJsonSchemaFilename": "notice.schema.json",
            "formUiSchemaFilename": "notice.uischema.json",
            "caseStatus": "6",
        },
    )
    resubmit_lane = "Lane_grid" if register else lane
    d.node(
        "Task_resubmit",
        "userTask",
        "代办员补交材料" if register else "补正收件",
        resubmit_lane,
        c + 4.5 if register else c + 4,
        row=0 if register else 1,
        props={
            "formJsonSchemaFilename": "resubmit.schema.json",
            "formUiSchemaFilename": "resubmit.uischema.json",
            "caseStatus": "7",
        },
    )
    d.node(
        "Timer_supplement",
        "boundaryEvent",
        "逾期未补正",
        resubmit_lane,
        0,
        attached_to="Task_resubmit",
        timer=("timeDuration", '"P" + str(item["supplement_days"]) + "D"'),
    )
    d.node(
        "End_timeout",
        "endEvent",
        "逾期未补正不予受理",
        resubmit_lane,
        c + 5.5 if register else c + 5,
        row=0 if register else 1,
        props={"caseStatus": "5"},
    )
    d.flow("Flow_checked", "Task_check", "Gateway_eligible")
    d.flow("Flow_refuse", "Gateway_eligible", "End_refused", name="不符合")
    d.flow("Flow_eligible", "Gateway_eligible", "Gateway_complete", name="符合", condition="eligible == True")
    d.flow("Flow_complete", "Gateway_complete", "Event_accepted", name="齐全", condition="complete == True")
    d.flow("Flow_incomplete", "Gateway_complete", "Task_notice", name="不齐全")
    d.flow("Flow_notice", "Task_notice", "Task_resubmit")
    d.flow("Flow_resubmitted", "Task_resubmit", "Task_check")
    d.flow("Flow_timeout", "Timer_supplement", "End_timeout")


def _decide(
    d: Diagram,
    lane: str,
    col: float,
    after: str,
    deliver_lane: str,
    deliver_name: str = "出件",
    deliver_form: str = "deliver.schema.json",
) -> None:
    d.node(
        "Task_decide",
        "userTask",
        "审批决定",
        lane,
        col,
        props={
            "formJsonSchemaFilename": "decide.schema.json",
            "formUiSchemaFilename": "decide.uischema.json",
        },
    )
    d.node("Gateway_approved", "exclusiveGateway", "是否准予？", lane, col + 1, default="Flow_reject")
    d.node("End_rejected", "endEvent", "不予准予（办结）", lane, col + 1, row=1, props={"caseStatus": "13"})
    d.node(
        "Task_deliver",
        "userTask",
        deliver_name,
        deliver_lane,
        col + 2,
        props={"formJsonSchemaFilename": deliver_form},
    )
    d.node("End_done", "endEvent", "办结", deliver_lane, col + 3, props={"caseStatus": "11"})
    d.flow("Flow_to_decide", after, "Task_decide")
    d.flow("Flow_decided", "Task_decide", "Gateway_approved")
    d.flow("Flow_approve", "Gateway_approved", "Task_deliver", name="准予", condition="approved == True")
    d.flow("Flow_reject", "Gateway_approved", "End_rejected", name="不予准予")
    d.flow("Flow_delivered", "Task_deliver", "End_done")


def immediate() -> tuple[Diagram, dict]:
    d = Diagram(
        "tpl_immediate",
        "即办件模板",
        [("Lane_frontdesk", "frontdesk"), ("Lane_lead", LEAD), ("Lane_delivery", "delivery")],
    )
    _front(d)
    _decide(d, "Lane_lead", 5, "Event_accepted", "Lane_delivery", "当场出件")
    d._by_id("Task_decide").name = "当场办理"
    return d, _item(d.key, d.name, "即办", 1, 0, 0)


def promised() -> tuple[Diagram, dict]:
    d = Diagram(
        "tpl_promised",
        "承诺件模板",
        [("Lane_frontdesk", "frontdesk"), ("Lane_lead", LEAD), ("Lane_delivery", "delivery")],
    )
    _front(d)
    d.node(
        "Task_review",
        "userTask",
        "审查",
        "Lane_lead",
        5,
        props={"formJsonSchemaFilename": "review.schema.json", "caseStatus": "8"},
    )
    d.flow("Flow_to_review", "Event_accepted", "Task_review")
    _decide(d, "Lane_lead", 6, "Task_review", "Lane_delivery")
    return d, _item(d.key, d.name, "承诺", 2, 20, 5)


def joint() -> tuple[Diagram, dict]:
    lanes = [
        ("Lane_frontdesk", "frontdesk"),
        ("Lane_lead", LEAD),
        ("Lane_co", CO),
        ("Lane_delivery", "delivery"),
    ]
    d = Diagram("tpl_joint", "联办件模板", lanes)
    _front(d)
    d.node(
        "Gateway_split", "parallelGateway", "分送主办、协办部门", "Lane_lead", 5, props={"caseStatus": "8"}
    )
    d.node(
        "Task_review",
        "userTask",
        "主办部门审查",
        "Lane_lead",
        6,
        props={"formJsonSchemaFilename": "review.schema.json"},
    )
    d.node(
        "Task_co_review",
        "userTask",
        "协办部门审查",
        "Lane_co",
        6,
        props={"formJsonSchemaFilename": "review.schema.json"},
    )
    d.node("Gateway_join", "parallelGateway", "汇总", "Lane_lead", 7)
    d.flow("Flow_to_split", "Event_accepted", "Gateway_split")
    d.flow("Flow_to_review", "Gateway_split", "Task_review")
    d.flow("Flow_to_co_review", "Gateway_split", "Task_co_review")
    d.flow("Flow_reviewed", "Task_review", "Gateway_join")
    d.flow("Flow_co_reviewed", "Task_co_review", "Gateway_join")
    _decide(d, "Lane_lead", 8, "Gateway_join", "Lane_delivery")
    item = _item(d.key, d.name, "联办", 2, 20, 10, co_departments=[CO])
    item["limits"]["department_days"] = {LEAD: 10, CO: 5}
    return d, item


def report() -> tuple[Diagram, dict]:
    lanes = [
        ("Lane_frontdesk", "frontdesk"),
        ("Lane_lead", LEAD),
        ("Lane_upper", LEAD),
        ("Lane_delivery", "delivery"),
    ]
    d = Diagram("tpl_report", "上报件模板", lanes)
    _front(d)
    d.node(
        "Task_review",
        "userTask",
        "受理地初审",
        "Lane_lead",
        5,
        props={"formJsonSchemaFilename": "review.schema.json", "caseStatus": "8"},
    )
    d.node("Gateway_report", "exclusiveGateway", "同意上报？", "Lane_lead", 6, default="Flow_not_reported")
    d.node(
        "End_not_reported",
        "endEvent",
        "初审不予通过（办结）",
        "Lane_lead",
        6,
        row=1,
        props={"caseStatus": "13"},
    )
    d.flow("Flow_to_review", "Event_accepted", "Task_review")
    d.flow("Flow_reviewed", "Task_review", "Gateway_report")
    d.flow("Flow_not_reported", "Gateway_report", "End_not_reported", name="不同意")
    d.node("Event_reported", "intermediateThrowEvent", "上报", "Lane_lead", 7)
    d.flow(
        "Flow_reported", "Gateway_report", "Event_reported", name="同意上报", condition="recommend == True"
    )
    _decide(d, "Lane_upper", 8, "Event_reported", "Lane_delivery", "送达")
    d._by_id("Task_decide").name = "上级审批决定"
    return d, _item(d.key, d.name, "上报", 2, 30, 15)


def proxy() -> tuple[Diagram, dict]:
    lanes = [("Lane_grid", "grid"), ("Lane_frontdesk", "frontdesk"), ("Lane_lead", LEAD)]
    d = Diagram("tpl_proxy", "代办（助跑）件模板", lanes)
    _front(d, register=True)
    d.node(
        "Task_review",
        "userTask",
        "审查",
        "Lane_lead",
        6,
        props={"formJsonSchemaFilename": "review.schema.json", "caseStatus": "8"},
    )
    d.flow("Flow_to_review", "Event_accepted", "Task_review")
    _decide(
        d, "Lane_lead", 7, "Task_review", "Lane_grid", "代办员送达并签署工作记录", "work_record.schema.json"
    )
    return d, _item(d.key, d.name, "承诺", 2, 20, 5)


TEMPLATES = {
    "immediate": (immediate, "即办", "即办件：材料齐全当场办结，承诺时限 0 个工作日"),
    "promised": (promised, "承诺", "承诺件：受理后审查、决定、出件，出具受理通知书与承诺时限"),
    "joint": (joint, "联办", "联办件：主办部门受理，协办部门并联审查，各有自己的时限，统一出件"),
    "report": (report, "上报", "上报件：受理地初审后上报上级审批，结果经窗口送达"),
    "proxy": (proxy, "代办", "代办/助跑件：网格员代为申请、交接材料、送达并签署工作记录"),
}


DATA = {
    "Task_register": {"authorised": True, "handed_over": ["申请表", "居民身份证"]},
    "Task_check": {"eligible": True, "complete": True},
    "Task_notice": {"missing": ["居民身份证"], "notice": "请补交居民身份证复印件"},
    "Task_resubmit": {"supplied": ["居民身份证"]},
    "Task_review": {"recommend": True, "opinion": "同意"},
    "Task_co_review": {"recommend": True, "opinion": "同意"},
    "Task_decide": {"approved": True, "result_name": "批准文书", "result_number": "示范〔2026〕1号"},
    "Task_deliver": {"delivery": "窗口领取"},
}
DELIVER_DATA = {"proxy": {"delivered_on": "2026-10-20", "applicant_signed": True, "proxy_signed": True}}
MAIN = {  # the user tasks of each template's main path, in order
    "immediate": ["Task_check", "Task_decide", "Task_deliver"],
    "promised": ["Task_check", "Task_review", "Task_decide", "Task_deliver"],
    "joint": ["Task_check", "Task_review", "Task_co_review", "Task_decide", "Task_deliver"],
    "report": ["Task_check", "Task_review", "Task_decide", "Task_deliver"],
    "proxy": ["Task_register", "Task_check", "Task_review", "Task_decide", "Task_deliver"],
}
PROMISED_DUE = {
    "immediate": "2026-10-12",
    "promised": "2026-10-19",
    "joint": "2026-10-26",
    "report": "2026-11-02",
    "proxy": "2026-10-19",
}


def _step(name: str, task: str, **more) -> dict:
    data = DELIVER_DATA[name] if task == "Task_deliver" and name in DELIVER_DATA else DATA[task]
    return {"task": task, "data": data, **more}


def tests(name: str) -> dict[str, dict]:
    """The template's process tests: its main path, 补正 and its timeout, 不予受理, and 驳回 at the decision."""
    main = MAIN[name]
    start = {
        "data": {"applicant": {"name": "张三", "phone": "13800000000"}},
        "as": "grid" if name == "proxy" else "frontdesk",
    }
    before = main[: main.index("Task_check")]
    after = main[main.index("Task_check") + 1 :]
    head = {"accepted_on": "2026-10-12", "start": start}
    check_supplement = {"task": "Task_check", "action": "supplement", "reason": "缺少居民身份证"}
    return {
        "main.json": {
            "title": "主路径：受理到办结",
            **head,
            "steps": [_step(name, t) for t in main],
            "expect": {
                "path": main,
                "end": "End_done",
                "status_code": 11,
                "promised_due": PROMISED_DUE[name],
            },
        },
        "supplement.json": {
            "title": "补正：一次性告知，补齐后受理并办结",
            **head,
            "steps": [_step(name, t) for t in before]
            + [check_supplement, _step(name, "Task_notice"), _step(name, "Task_resubmit")]
            + [_step(name, t) for t in main[main.index("Task_check") :]],
            "expect": {
                "path": [*before, "Task_check", "Task_notice", "Task_resubmit", "Task_check", *after],
                "end": "End_done",
                "status_code": 11,
            },
        },
        "supplement_timeout.json": {
            "title": "补正逾期：30 日未补正，不予受理",
            **head,
            "steps": [_step(name, t) for t in before]
            + [check_supplement, _step(name, "Task_notice"), {"wait": "P31D"}],
            "expect": {
                "path": [*before, "Task_check", "Task_notice"],
                "end": "End_timeout",
                "status_code": 5,
            },
        },
        "refused.json": {
            "title": "不予受理：不符合受理条件",
            **head,
            "steps": [_step(name, t) for t in before]
            + [{"task": "Task_check", "action": "reject", "reason": "不属于本事项受理范围"}],
            "expect": {"path": [*before, "Task_check"], "end": "End_refused", "status_code": 5},
        },
        "rejected.json": {
            "title": "驳回：审批决定不予准予",
            **head,
            "steps": [_step(name, t) for t in main[: main.index("Task_decide")]]
            + [{"task": "Task_decide", "action": "reject", "reason": "不符合法定条件"}],
            "expect": {
                "path": main[: main.index("Task_decide") + 1],
                "end": "End_rejected",
                "status_code": 13,
            },
        },
    }


def write(name: str) -> None:
    build, local, description = TEMPLATES[name]
    diagram, item = build()
    folder = ROOT / name
    (folder / "forms").mkdir(parents=True, exist_ok=True)
    (folder / f"{diagram.key}.bpmn").write_text(diagram.xml(), encoding="utf-8")
    header = "# 事项目录条目模板：新建事项时，名称、编码、部门和时限由分析员填写的内容替换。\n"
    (folder / "item.yaml").write_text(
        header + yaml.safe_dump(item, allow_unicode=True, sort_keys=False, width=110), encoding="utf-8"
    )
    meta = {"name": diagram.name, "class": local, "description": description}
    (folder / "template.yaml").write_text(
        yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    forms = {**FORMS, **(PROXY_FORMS if name == "proxy" else {})}
    (folder / "tests").mkdir(exist_ok=True)
    for test_name, test in tests(name).items():
        (folder / "tests" / test_name).write_text(
            json.dumps(test, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    used = {v for n in diagram.nodes for k, v in n.props.items() if k.startswith("form")}
    for form in sorted(used):
        (folder / "forms" / form).write_text(
            json.dumps(forms[form], ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )


if __name__ == "__main__":
    for template in TEMPLATES:
        write(template)
