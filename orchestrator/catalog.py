"""The service item's catalog entry (item.yaml, GB/T 39046-2020 fields): its schema, checks and defaults.

`check` lists every problem of an entry (never raises); `defaults` fills the optional fields for storage.
Limits are working days, except `supplement_days` (the 补正 answer period), which is calendar days.

The schema is a table per mapping: key → (required, rule). A rule checks one value, reports what is wrong
and returns the value it accepted (for a mapping: its valid fields) or BAD; the rules that span fields
(promised ≤ statutory, 即办 ⇒ class 1 and 0 days, 联办 ⇒ co-departments, …) run on the accepted values.
"""

from __future__ import annotations

import copy
import difflib
import math
import re
from collections.abc import Callable
from typing import Any

from .errors import Problem

TYPES = ("行政许可", "行政确认", "行政给付", "行政征收", "行政奖励", "行政裁决", "其他行政权力", "公共服务")
LOCAL_CLASSES = ("即办", "承诺", "联办", "上报", "特殊")
SUPPLEMENT_DAYS = 30  # calendar days to answer a 补正 before the case ends as 不予受理
BAD = object()  # what a rule returns for a value it refused

Rule = Callable[["_Checker", str, Any], Any]


def check(doc: dict, groups: set[str]) -> list[Problem]:
    """Every problem of the catalog entry `doc` (parsed item.yaml); `groups` are the known group codes."""
    checker = _Checker(set(groups))
    if not isinstance(doc, dict):
        checker.add(None, "item.yaml must be a mapping of catalog fields")
    else:
        checker.run(doc)
    return checker.problems


def defaults(doc: dict) -> dict:
    """A copy of a (valid) entry with the optional fields filled, as stored."""
    out = copy.deepcopy(doc)
    for key in ("co_departments", "conditions", "fees"):
        if out.get(key) is None:
            out[key] = []
    limits, channels = out.get("limits"), out.get("channels")
    if isinstance(limits, dict):
        limits["supplement_days"] = limits.get("supplement_days") or SUPPLEMENT_DAYS
        limits["department_days"] = limits.get("department_days") or {}
    if isinstance(channels, dict):
        channels["appointment"] = bool(channels.get("appointment"))
    out["supervision"] = {**SUPERVISION_DEFAULTS, **(out.get("supervision") or {})}
    for material in out.get("materials") or []:
        if isinstance(material, dict):
            copies = material.get("copies") if isinstance(material.get("copies"), dict) else {}
            material["copies"] = {"original": copies.get("original", 1), "copy": copies.get("copy", 0)}
    return out


def _describe(value: Any) -> str:
    return repr(value) if isinstance(value, str) else f"{value!r} ({type(value).__name__})"


# -- rules ---------------------------------------------------------------------------------------------------


def text(max_len: int = 1000, pattern: str | None = None, hint: str = "") -> Rule:
    def rule(c: _Checker, field: str, value: Any) -> Any:
        if not isinstance(value, str) or not value.strip():
            quote = " (put quotes around it in the YAML)" if isinstance(value, int | float) else ""
            return c.bad(field, f"must be non-empty text, not {_describe(value)}{quote}")
        if len(value) > max_len:
            return c.bad(field, f"is {len(value)} characters long; at most {max_len} are allowed")
        if pattern and not re.fullmatch(pattern, value):
            return c.bad(field, f"{hint}, not {value!r}")
        return value

    return rule


def choice(*options: Any) -> Rule:
    def rule(c: _Checker, field: str, value: Any) -> Any:
        if any(value == o and type(value) is type(o) for o in options):
            return value
        return c.bad(field, f"must be one of {', '.join(map(str, options))}, not {_describe(value)}")

    return rule


def integer(low: int, high: int, unit: str) -> Rule:
    def rule(c: _Checker, field: str, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            return c.bad(
                field, f"must be a whole number of {unit} from {low} to {high}, not {_describe(value)}"
            )
        if not low <= value <= high:
            return c.bad(field, f"must be from {low} to {high} {unit}, not {value}")
        return value

    return rule


def boolean(c: _Checker, field: str, value: Any) -> Any:
    return (
        value if isinstance(value, bool) else c.bad(field, f"must be true or false, not {_describe(value)}")
    )


def amount(c: _Checker, field: str, value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        return c.bad(field, f"must be an amount of money of 0 or more, not {_describe(value)}")
    return value


def ratio(c: _Checker, field: str, value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.5 <= value <= 1:
        return c.bad(field, f"must be a share of the promised time between 0.5 and 1, not {_describe(value)}")
    return value


def department(c: _Checker, field: str, value: Any) -> Any:
    if isinstance(value, str) and value in c.groups:
        return value
    return c.bad(
        field, f"{_describe(value)} is not a known group code (known: {', '.join(sorted(c.groups))})"
    )


def mapping(spec: dict[str, tuple[bool, Rule]]) -> Rule:
    def rule(c: _Checker, field: str, value: Any) -> Any:
        if not isinstance(value, dict):
            return c.bad(field, f"must be a mapping of {', '.join(spec)}, not {_describe(value)}")
        return c.fields(value, spec, f"{field}.")

    return rule


def list_of(item: Rule) -> Rule:
    def rule(c: _Checker, field: str, value: Any) -> Any:
        if not isinstance(value, list):
            return c.bad(field, f"must be a list, not {_describe(value)}")
        return [item(c, f"{field}[{i}]", v) for i, v in enumerate(value)]

    return rule


def days_by_department(c: _Checker, field: str, value: Any) -> Any:
    if not isinstance(value, dict):
        return c.bad(field, f"must map group codes to working days, not {_describe(value)}")
    days, accepted = integer(0, 365, "working days"), {}
    for code, n in value.items():
        good_code = department(c, f"{field}.{code}", code) is not BAD
        if days(c, f"{field}.{code}", n) is not BAD and good_code:
            accepted[code] = n
    return accepted


# -- the schema ----------------------------------------------------------------------------------------------

CASE_CLASS = {"national": (True, choice(1, 2, 9)), "local": (True, choice(*LOCAL_CLASSES))}
LIMITS = {
    "statutory_days": (True, integer(0, 365, "working days")),
    "promised_days": (True, integer(0, 365, "working days")),
    "supplement_days": (False, integer(1, 365, "calendar days")),
    "department_days": (False, days_by_department),
}
COPIES = {"original": (False, integer(0, 100, "copies")), "copy": (False, integer(0, 100, "copies"))}
MATERIAL = {
    "name": (True, text(200)),
    "necessity": (True, choice("必要", "非必要", "容缺后补")),
    "form": (True, choice("纸质", "电子", "纸质和电子")),
    "copies": (False, mapping(COPIES)),
    "source": (False, choice("申请人自备", "政府部门核发", "其他")),
    "note": (False, text()),
}
FEE = {"name": (True, text(200)), "amount": (True, amount), "basis": (False, text())}
CHANNELS = {
    "online": (True, boolean),
    "appointment": (False, boolean),
    "courier": (True, boolean),
    "proxy": (True, boolean),
    "visits": (True, integer(0, 5, "visits")),
}
# 电子监察 rules (domain.md §5) and the 好差评 rectification period (§6); defaults in SUPERVISION_DEFAULTS.
SUPERVISION = {
    "reminder_days_left": (False, integer(0, 30, "working days")),
    "yellow_ratio": (False, ratio),
    "rectify_days": (False, integer(1, 60, "working days")),
}
SUPERVISION_DEFAULTS = {"reminder_days_left": 1, "yellow_ratio": 0.9, "rectify_days": 15}
ENTRY = {
    "process": (False, text(200)),
    "code": (True, text(64, r"[A-Za-z0-9-]+", "must contain only letters, digits and '-'")),
    "implementation_code": (False, text(64)),
    "name": (True, text(200)),
    "type": (True, choice(*TYPES)),
    "implementing_body": (True, text(200)),
    "lead_department": (True, department),
    "co_departments": (False, list_of(department)),
    "case_class": (True, mapping(CASE_CLASS)),
    "limits": (True, mapping(LIMITS)),
    "materials": (True, list_of(mapping(MATERIAL))),
    "conditions": (False, list_of(text())),
    "fees": (False, list_of(mapping(FEE))),
    "channels": (True, mapping(CHANNELS)),
    "scope": (False, choice("全市", "跨市", "跨省", "本地")),
    "supervision": (False, mapping(SUPERVISION)),
    **{key: (False, text(200)) for key in ("place", "hours", "phone", "complaint_phone")},
}


class _Checker:
    def __init__(self, groups: set[str]):
        self.groups = groups
        self.problems: list[Problem] = []

    def add(self, field: str | None, message: str) -> None:
        self.problems.append(Problem(message, file="item.yaml", field=field))

    def bad(self, field: str, message: str) -> Any:
        self.add(field, message)
        return BAD

    def fields(self, doc: dict, spec: dict[str, tuple[bool, Rule]], prefix: str = "") -> dict:
        """Unknown keys, missing required keys and each value's rule; returns the accepted values."""
        for key in doc:
            if key not in spec:
                close = difflib.get_close_matches(str(key), list(spec), n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'?" if close else f"known fields: {', '.join(spec)}"
                self.add(f"{prefix}{key}", f"unknown field '{key}'; {hint}")
        accepted = {}
        for key, (required, rule) in spec.items():
            if doc.get(key) is None:  # absent, or written empty (`note:`)
                if required:
                    self.add(f"{prefix}{key}", f"required field '{key}' is missing")
            elif (value := rule(self, f"{prefix}{key}", doc[key])) is not BAD:
                accepted[key] = value
        return accepted

    def run(self, doc: dict) -> None:
        entry = self.fields(doc, ENTRY)
        lead, co = entry.get("lead_department"), []
        for i, code in enumerate(entry.get("co_departments", [])):
            if code is BAD:
                continue
            if code == lead:
                self.add(
                    f"co_departments[{i}]", f"'{code}' is the lead department; remove it from co_departments"
                )
            elif code in co:
                self.add(f"co_departments[{i}]", f"'{code}' is listed twice; remove the duplicate")
            co.append(code)

        case_class, limits = entry.get("case_class", {}), entry.get("limits", {})
        national, local = case_class.get("national"), case_class.get("local")
        if local == "即办" and national not in (None, 1):
            self.add(
                "case_class.national", f"a 即办 item must have national class 1 (即办件), not {national}"
            )
        if local in ("承诺", "联办", "上报") and national == 1:
            self.add("case_class.national", f"a {local} item must have national class 2 (承诺件) or 9, not 1")
        if local == "联办" and not doc.get("co_departments"):
            self.add("co_departments", "a 联办 item needs at least one co-department (协办); list them here")

        statutory, promised = limits.get("statutory_days"), limits.get("promised_days")
        if statutory is not None and promised is not None and promised > statutory:
            self.add(
                "limits.promised_days",
                f"the promised limit ({promised}) may not exceed the statutory limit ({statutory})",
            )
        if local == "即办" and promised not in (None, 0):
            self.add(
                "limits.promised_days",
                f"a 即办 item is done the same day: promised_days must be 0, not {promised}",
            )
        for code, n in limits.get("department_days", {}).items():
            if code not in (lead, *co):
                self.add(
                    f"limits.department_days.{code}", f"'{code}' is neither the lead nor a co-department"
                )
            if promised is not None and n > promised:
                self.add(
                    f"limits.department_days.{code}",
                    f"{n} working days exceed the promised limit ({promised})",
                )

        names: set[str] = set()
        for i, material in enumerate(entry.get("materials", [])):
            name = material.get("name") if material is not BAD else None
            if name is not None and name in names:
                self.add(
                    f"materials[{i}].name",
                    f"material '{name}' is listed twice; material names must be unique",
                )
            names.add(name)

        for i, fee in enumerate(entry.get("fees", [])):
            if fee is not BAD and fee.get("amount", 0) > 0 and doc["fees"][i].get("basis") is None:
                self.add(f"fees[{i}].basis", f"a fee of {fee['amount']} needs its legal basis (收费依据)")
