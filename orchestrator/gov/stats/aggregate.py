"""The sums behind every figure: per day and per month, by acceptance and by completion date, by
dimension. A changed case subtracts its old fact and adds its new one (`apply`); `recount` rebuilds every
sum from the facts in SQL; `refresh` folds in the cases the audit trail says changed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import String, Table, case, column, delete, func, insert, literal, select, text, values
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from orchestrator.core.clock import now
from orchestrator.gov.deadlines import china_date
from orchestrator.gov.stats import facts
from orchestrator.store.models import AuditEvent, Evaluation, OrgUnit, ServiceCase
from orchestrator.store.stats import MEASURES, SUMS, TOP_BUCKET, StatsAggregate, StatsCase, StatsSetting

DIMS = ("all", "department", "org", "item", "channel", "clerk", "window", "proxy")
FINE_DIMS = ("all", "org")  # kept per the case's own unit; the others per town (`coarse`)
SCOPE_DEPTH = 2  # 区县 → 镇街: a deeper area reads those dimensions per month from the VILLAGE_MONTH sums
VILLAGE_MONTH = "v"  # the grain of the monthly sums by department … per unit below a town
FACT_DIMS = {
    "department": "department",
    "item": "item_code",
    "channel": "channel",
    "clerk": "clerk",
    "window": "window_key",
}
BASES = {"a": ("received_day", "received_month"), "c": ("closed_day", "closed_month")}
LAG = timedelta(minutes=2)  # changes of transactions still open when a refresh ran are folded in later
IN_FLIGHT = 10_000  # … as long as fewer audit events than this were written meanwhile
LOCK_ID = 0x57A75  # one refresh at a time (PostgreSQL advisory lock)
WATERMARK = "watermark"
AGG = cast(Table, StatsAggregate.__table__)
FACTS = cast(Table, StatsCase.__table__)

RowKey = tuple[str, str, str, object, str, str]  # grain, basis, dim, day, scope, key


def ancestors(path: str) -> list[str]:
    """ "/d/t/v/" → ["/d/", "/d/t/", "/d/t/v/"] (a case counts for its unit and every unit above)."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def coarse(path: str) -> str:
    """The area a case's sums by department, item, channel, clerk, window and proxy are kept under: its unit down to
    the town level (SCOPE_DEPTH), so a year of a city reads thousands of rows, not hundreds of thousands."""
    parts = [p for p in path.split("/") if p][:SCOPE_DEPTH]
    return "/" + "/".join(parts) + "/" if parts else "/"


def contributions(fact: dict) -> Iterator[tuple[RowKey, str]]:
    """Every aggregate row a fact adds to, with the row's display name."""
    keys: list[tuple[str, str, str]] = [("all", "", "")]
    keys += [
        (dim, fact[col] or "", fact["item_name"] if dim == "item" else "") for dim, col in FACT_DIMS.items()
    ]
    keys += [("org", path, "") for path in ancestors(fact["org_path"])]
    if fact.get("proxy"):
        keys.append(("proxy", fact["proxy"], ""))
    for basis, (day_col, month_col) in BASES.items():
        if fact[day_col] is None:
            continue
        for grain, day in (("d", fact[day_col]), ("m", fact[month_col])):
            for dim, key, name in keys:
                scope = fact["org_path"] if dim in FINE_DIMS else coarse(fact["org_path"])
                yield (grain, basis, dim, day, scope, key), name
                if grain == "m" and scope != fact["org_path"]:  # below a town: kept per month too
                    yield (VILLAGE_MONTH, basis, dim, day, fact["org_path"], key), name


def bucket(days: int) -> str:
    """The histogram column of a completed case's handling days."""
    return f"d{min(days, TOP_BUCKET)}"


def delta(old: dict | None, new: dict | None) -> dict[RowKey, tuple[str, Counter]]:
    """What changes in the sums when a case's fact goes from `old` to `new` (either may be None)."""
    out: dict[RowKey, tuple[str, Counter]] = {}
    for fact, sign in ((old, -1), (new, 1)):
        if fact is None:
            continue
        for key, name in contributions(fact):
            entry = out.setdefault(key, (name, Counter()))
            if sign > 0 and name:
                out[key] = (name, entry[1])
            counts = out[key][1]
            for m in MEASURES:
                if fact[m]:
                    counts[m] += sign * fact[m]
            if fact["days"] >= 0 and fact["completed"]:
                counts[bucket(fact["days"])] += sign
    return out


def _upsert(session: Session):  # noqa: ANN202 - a dialect's insert
    table = AGG
    dialect = session.get_bind().dialect.name
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return stmt.on_conflict_do_update(
        index_elements=["grain", "basis", "dim", "day", "scope", "key"],
        set_={
            "name": func.coalesce(func.nullif(stmt.excluded.name, ""), table.c.name),
            **{m: table.c[m] + stmt.excluded[m] for m in SUMS},
        },
    )


def apply(session: Session, changes: dict[RowKey, tuple[str, Counter]]) -> None:
    params = []
    for (grain, basis, dim, day, scope, key), (name, counts) in changes.items():
        if not any(counts.values()):
            continue
        params.append(
            {
                "grain": grain,
                "basis": basis,
                "dim": dim,
                "day": day,
                "scope": scope,
                "key": key,
                "name": name,
                **{m: counts.get(m, 0) for m in SUMS},
            }
        )
    if params:
        session.execute(_upsert(session), params)


def update_cases(session: Session, case_ids: Iterable[int]) -> int:
    """Recompute these cases' facts and move the sums by the difference; the number of facts changed."""
    ids = sorted(set(case_ids))
    if not ids:
        return 0
    new = facts.build(session, ids)
    table = FACTS
    changed = 0
    for start in range(0, len(ids), facts.BATCH):
        chunk = ids[start : start + facts.BATCH]
        old = {
            row["case_id"]: dict(row)
            for row in session.execute(select(table).where(table.c.case_id.in_(chunk))).mappings()
        }
        changes: dict[RowKey, tuple[str, Counter]] = {}
        replaced = []
        for case_id in chunk:
            before, after = old.get(case_id), new.get(case_id)
            if before == after:
                continue
            changed += 1
            replaced.append(case_id)
            for key, (name, counts) in delta(before, after).items():
                entry = changes.setdefault(key, (name, Counter()))
                entry[1].update(counts)
                if name:
                    changes[key] = (name, entry[1])
        apply(session, changes)
        if replaced:
            session.execute(delete(table).where(table.c.case_id.in_(replaced)))
            rows = [new[i] for i in replaced if i in new]
            if rows:
                session.execute(insert(table), rows)
    return changed


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": LOCK_ID})


def refresh(session: Session) -> int:
    """Fold every case changed since the last refresh into the sums (a full recount the first time), and
    the open cases that have since passed their due date; the number of cases whose fact changed."""
    _lock(session)
    mark = session.get(StatsSetting, WATERMARK)
    if mark is None:
        return recount(session)
    last = int(mark.value.get("audit_id", 0))
    since = now() - LAG
    touched = session.execute(  # a range of the primary key: the audit trail itself may be huge
        select(AuditEvent.id, AuditEvent.instance_id).where(
            AuditEvent.id > last - IN_FLIGHT,
            (AuditEvent.id > last) | (AuditEvent.at >= since),
            AuditEvent.instance_id.is_not(None),
        )
    ).all()
    newest = max([last, *(int(row[0]) for row in touched)])
    instances = {int(row[1]) for row in touched if row[1] is not None}
    ids: set[int] = set()
    if instances:
        listed = sorted(instances)
        for start in range(0, len(listed), facts.BATCH):
            chunk = listed[start : start + facts.BATCH]
            ids.update(session.scalars(select(ServiceCase.id).where(ServiceCase.instance_id.in_(chunk))))
            ids.update(  # a 差评's rectification ran as its own instance
                session.scalars(
                    select(Evaluation.case_id).where(Evaluation.rectification_instance.in_(chunk))
                )
            )
    today = china_date(now())
    ids.update(  # open, accepted, past due and not yet counted overdue
        session.scalars(
            select(StatsCase.case_id).where(
                StatsCase.in_progress == 1, StatsCase.overdue == 0, StatsCase.promised_due < today
            )
        )
    )
    ids.update(  # counted overdue while open, then a calendar edit moved the due date
        session.scalars(
            select(StatsCase.case_id).where(
                StatsCase.in_progress == 1, StatsCase.overdue == 1, StatsCase.promised_due >= today
            )
        )
    )
    changed = update_cases(session, ids)
    mark.value = {"audit_id": newest, "at": now().isoformat(timespec="seconds")}
    return changed


def recount(session: Session) -> int:
    """Every fact and every sum rebuilt from the raw cases; the number of cases."""
    _lock(session)
    session.execute(delete(StatsCase))
    ids = list(session.scalars(select(ServiceCase.id).order_by(ServiceCase.id)))
    table = FACTS
    for start in range(0, len(ids), facts.BATCH):
        built = facts.build(session, ids[start : start + facts.BATCH])
        if built:
            session.execute(insert(table), list(built.values()))
    resum(session)
    newest = session.scalar(select(func.max(AuditEvent.id))) or 0
    mark = session.get(StatsSetting, WATERMARK)
    value = {"audit_id": newest, "at": now().isoformat(timespec="seconds")}
    if mark is None:
        session.add(StatsSetting(name=WATERMARK, value=value))
    else:
        mark.value = value
    session.flush()
    return len(ids)


def resum(session: Session) -> None:
    """Every sum rebuilt from the stored facts, in SQL (what the bench does after loading facts by COPY)."""
    session.execute(delete(StatsAggregate))
    agg, f = AGG, FACTS
    paths = list(session.scalars(select(f.c.org_path).distinct()))
    pairs = [(path, above) for path in paths for above in ancestors(path)]
    up: Any
    if pairs and session.get_bind().dialect.name == "postgresql":
        # each case's org unit → itself and every unit above it: an equality (hash) join, not a LIKE
        up = values(column("path", String), column("ancestor", String), name="up").data(pairs)
    else:  # SQLite (a demo's size): the same from the org tree by prefix
        u = cast(Table, OrgUnit.__table__)
        up = (
            select(f.c.org_path.label("path"), u.c.path.label("ancestor"))
            .distinct()
            .join(u, f.c.org_path.like(u.c.path + "%"))
            .subquery("up")
        )
    town: Any = case({path: coarse(path) for path in paths}, value=f.c.org_path, else_=f.c.org_path)
    if not paths:
        town = f.c.org_path
    cols = ["grain", "basis", "dim", "day", "scope", "key", "name", *SUMS]
    completed_in = [  # the histogram: completed cases per handling-days bucket
        func.sum(case((f.c.days == i, f.c.completed), else_=0))
        if i < TOP_BUCKET
        else func.sum(case((f.c.days >= TOP_BUCKET, f.c.completed), else_=0))
        for i in range(TOP_BUCKET + 1)
    ]
    sums = [*(func.sum(f.c[m]) for m in MEASURES), *completed_in]
    for basis, (day_col, month_col) in BASES.items():
        for grain, col in (("d", f.c[day_col]), ("m", f.c[month_col])):
            dims: list[tuple[str, Any, Any, list]] = [
                ("all", literal(""), literal(""), []),
                *(
                    (dim, f.c[c], func.max(f.c.item_name) if dim == "item" else literal(""), [f.c[c]])
                    for dim, c in FACT_DIMS.items()
                ),
                ("proxy", f.c.proxy, literal(""), [f.c.proxy]),
            ]
            for dim, key, name, group in dims:
                scope = f.c.org_path if dim == "all" else town
                query = select(
                    literal(grain),
                    literal(basis),
                    literal(dim),
                    col,
                    scope,
                    key,
                    name,
                    *sums,
                ).where(col.is_not(None))
                if dim == "proxy":
                    query = query.where(f.c.proxy.is_not(None))
                session.execute(insert(agg).from_select(cols, query.group_by(col, scope, *group)))
                if grain == "m" and dim != "all":  # below a town: per month and unit as well
                    fine = (
                        query.with_only_columns(
                            literal(VILLAGE_MONTH),
                            literal(basis),
                            literal(dim),
                            col,
                            f.c.org_path,
                            key,
                            name,
                            *sums,
                        )
                        .where(town != f.c.org_path)
                        .group_by(col, f.c.org_path, *group)
                    )
                    session.execute(insert(agg).from_select(cols, fine))
            org = (
                select(
                    literal(grain),
                    literal(basis),
                    literal("org"),
                    col,
                    f.c.org_path,
                    up.c.ancestor,
                    literal(""),
                    *sums,
                )
                .join(up, up.c.path == f.c.org_path)
                .where(col.is_not(None))
                .group_by(col, f.c.org_path, up.c.ancestor)
            )
            session.execute(insert(agg).from_select(cols, org))
