"""考核 (奖惩优劣一表清): towns, villages, grids or proxies ranked by a weighted score of their rates,
with the weights and the red threshold an admin sets (stored, audited)."""

from __future__ import annotations

from datetime import date
from typing import TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.core import audit
from orchestrator.core.errors import InvalidInput, Problem
from orchestrator.core.i18n import Listing, _
from orchestrator.gov.stats.query import RATES, _sums, figures
from orchestrator.store.models import OrgUnit
from orchestrator.store.stats import StatsSetting

LEVELS = {"town": "镇街", "village": "村社", "grid": "网格", "proxy": None}
SETTING = "assessment"
DEFAULT = {"weights": {"on_time_rate": 40, "good_rate": 30, "rectified_rate": 30}, "threshold": 90}


class Settings(TypedDict):
    weights: dict[str, int]  # rate → percent, adding up to 100
    threshold: int  # a score below it (percent) is red


class AssessmentRow(TypedDict):
    rank: int
    key: str
    name: str
    accepted: int
    completed: int
    rates: dict[str, float | None]
    score: float
    red: bool


class Assessment(TypedDict):
    level: str
    start: str
    end: str
    org: str
    settings: Settings
    rows: list[AssessmentRow]


def settings(session: Session) -> Settings:
    row = session.get(StatsSetting, SETTING)
    value: dict = row.value if row is not None else DEFAULT
    return {"weights": dict(value["weights"]), "threshold": int(value["threshold"])}


def save_settings(session: Session, weights: object, threshold: object, actor: str | None = None) -> Settings:
    problems = []
    clean: dict[str, int] = {}
    if not isinstance(weights, dict) or not weights:
        problems.append(Problem(_("weights must name at least one rate"), field="weights"))
    else:
        for name, value in weights.items():
            if name not in RATES:
                problems.append(
                    Problem(
                        _("{name} is not a rate ({values})", name=name, values=Listing(RATES)),
                        field="weights",
                    )
                )
            elif not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
                problems.append(Problem(_("a weight is a whole percent, 0 to 100"), field="weights"))
            elif value:
                clean[name] = value
        if not problems and sum(clean.values()) != 100:
            problems.append(
                Problem(
                    _("the weights add up to {total}%, not 100%", total=sum(clean.values())), field="weights"
                )
            )
    if not isinstance(threshold, int) or isinstance(threshold, bool) or not 0 <= threshold <= 100:
        problems.append(Problem(_("the threshold is a whole percent, 0 to 100"), field="threshold"))
    if problems:
        raise InvalidInput(problems)
    before = settings(session)
    saved: Settings = {"weights": clean, "threshold": threshold}  # type: ignore[typeddict-item]
    row = session.get(StatsSetting, SETTING)
    if row is None:
        session.add(StatsSetting(name=SETTING, value=dict(saved)))
    else:
        row.value = dict(saved)
    audit.record(session, "assessment_settings", actor, before=dict(before), after=dict(saved))
    session.flush()
    return saved


def table(session: Session, level: str, start: date, end: date, scope: str = "/") -> Assessment:
    """Every unit of the level (or proxy) with cases in the period within the scope, best score first.
    A rate with nothing to count (no 差评 to rectify, say) scores full marks."""
    if level not in LEVELS:
        raise InvalidInput(Problem(_("level must be one of {values}", values=Listing(LEVELS)), field="level"))
    conf = settings(session)
    dim = "proxy" if level == "proxy" else "org"
    sums, hists, _names = _sums(session, dim, "key", "accepted", start, end, scope)
    names: dict[str, str] = {}
    if dim == "org":
        units = session.execute(
            select(OrgUnit.path, OrgUnit.name).where(
                OrgUnit.level == LEVELS[level], OrgUnit.path.in_(list(sums))
            )
        ).all()
        names = {path: name for path, name in units}
    else:
        names = {k: k for k in sums}
    rows: list[AssessmentRow] = []
    for key, name in names.items():
        fig = figures(sums[key], hists[key])
        if not fig["received"]:
            continue
        rates = {r: fig[r] for r in conf["weights"]}
        score = sum(w * (1.0 if rates[r] is None else rates[r]) for r, w in conf["weights"].items())
        rows.append(
            {
                "rank": 0,
                "key": key,
                "name": name,
                "accepted": fig["accepted"],
                "completed": fig["completed"],
                "rates": rates,
                "score": round(score, 2),
                "red": score < conf["threshold"],
            }
        )
    rows.sort(key=lambda r: (-r["score"], r["name"]))
    for i, row in enumerate(rows, 1):
        row["rank"] = i
    return {
        "level": level,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "org": scope,
        "settings": conf,
        "rows": rows,
    }
