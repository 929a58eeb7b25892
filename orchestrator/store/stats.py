"""Tables of statistics (统计分析, migration 0015): one fact row per case with what it counts for, the
per-day and per-month sums of those facts by dimension, a watermark, and the assessment settings."""

from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, Date, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from orchestrator.store.models import Base

MEASURES = (
    "received",  # 收件 (every case)
    "accepted",  # 受理量
    "completed",  # 办结量 (办结 通过 / 容缺通过 / 不通过)
    "in_progress",  # 在办量 (not closed)
    "immediate",  # 即办件
    "on_time",  # 按期办结
    "early",  # 提前办结
    "overdue",  # 超期件 (finished late, or open past its due date)
    "days_sum",  # handling working days, summed over completed cases
    "supplemented",  # had a 补正
    "refused",  # 不予受理 / 不受理
    "withdrawn",  # 撤件 / 撤回 / 撤销
    "evaluations",  # 评价数
    "good",  # 好评 (levels 1–3)
    "bad",  # 差评 (levels 4–5)
    "rectified",  # 差评 rectified within the limit
    "zero_visit",  # 跑零次
    "one_visit",  # 跑一次
)
TOP_BUCKET = 31  # handling days are counted per day up to 30; d31 holds 31 or more
HISTOGRAM = tuple(f"d{i}" for i in range(TOP_BUCKET + 1))  # completed cases by handling working days
SUMS = (*MEASURES, *HISTOGRAM)


class _Measures:
    """The MEASURES as integer columns: what a case's fact counts for, and what the sums add up."""

    received: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    completed: Mapped[int] = mapped_column(Integer, default=0)
    in_progress: Mapped[int] = mapped_column(Integer, default=0)
    immediate: Mapped[int] = mapped_column(Integer, default=0)
    on_time: Mapped[int] = mapped_column(Integer, default=0)
    early: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[int] = mapped_column(Integer, default=0)
    days_sum: Mapped[int] = mapped_column(Integer, default=0)
    supplemented: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)
    withdrawn: Mapped[int] = mapped_column(Integer, default=0)
    evaluations: Mapped[int] = mapped_column(Integer, default=0)
    good: Mapped[int] = mapped_column(Integer, default=0)
    bad: Mapped[int] = mapped_column(Integer, default=0)
    rectified: Mapped[int] = mapped_column(Integer, default=0)
    zero_visit: Mapped[int] = mapped_column(Integer, default=0)
    one_visit: Mapped[int] = mapped_column(Integer, default=0)


class StatsCase(_Measures, Base):
    """What one case counts for (its fact): kept so a change subtracts the old contribution exactly."""

    __tablename__ = "stats_case"
    __table_args__ = (
        Index("ix_stats_case_received", "received_day"),
        Index("ix_stats_case_closed", "closed_day"),
        Index(  # a village's breakdowns: org_path LIKE 'prefix%' by the index, whatever the collation
            "ix_stats_case_area_received",
            "org_path",
            "received_day",
            postgresql_ops={"org_path": "varchar_pattern_ops"},
        ),
        Index(
            "ix_stats_case_area_closed",
            "org_path",
            "closed_day",
            postgresql_ops={"org_path": "varchar_pattern_ops"},
        ),
        Index(  # open cases not yet overdue, by due date: which ones turned overdue since the last refresh
            "ix_stats_case_open_due",
            "promised_due",
            postgresql_where=text("in_progress = 1 AND overdue = 0"),
            sqlite_where=text("in_progress = 1 AND overdue = 0"),
        ),
        Index(  # open cases counted overdue, by due date: a calendar edit may have moved one back
            "ix_stats_case_open_overdue",
            "promised_due",
            postgresql_where=text("in_progress = 1 AND overdue = 1"),
            sqlite_where=text("in_progress = 1 AND overdue = 1"),
        ),
    )
    case_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received_day: Mapped[date] = mapped_column(Date)
    received_month: Mapped[date] = mapped_column(Date)
    closed_day: Mapped[date | None] = mapped_column(Date)
    closed_month: Mapped[date | None] = mapped_column(Date)
    promised_due: Mapped[date | None] = mapped_column(Date)
    status_code: Mapped[int] = mapped_column(Integer)
    org_path: Mapped[str] = mapped_column(String(500))
    department: Mapped[str] = mapped_column(String(64))
    item_code: Mapped[str] = mapped_column(String(64))
    item_name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(16))
    clerk: Mapped[str] = mapped_column(String(100))
    proxy: Mapped[str | None] = mapped_column(String(100))
    window_key: Mapped[str] = mapped_column(String(20), server_default="")  # a window id, "" none (0018)
    days: Mapped[int] = mapped_column(Integer)  # handling working days; -1 when not completed


class StatsAggregate(_Measures, Base):
    """Sums of case facts: grain d (a day) or m (a month, dated its first day; v: the same per unit below a
    town for the dimensions kept per town), basis a (by the day the
    case was received/accepted) or c (by the day it closed), the case's org unit (`scope`), a dimension
    (all, department, org, item, channel, clerk, window, proxy) and its key; the measures, and the completed
    cases by handling working days (d0 … d30, d31: 31 or more) for the percentile."""

    __tablename__ = "stats_aggregate"
    __table_args__ = (  # an area's own sums (grain v: per month below a town), read by area prefix
        Index(
            "ix_stats_aggregate_area",
            "grain",
            "basis",
            "dim",
            "scope",
            "day",
            postgresql_ops={"scope": "varchar_pattern_ops"},
        ),
    )
    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    basis: Mapped[str] = mapped_column(String(1), primary_key=True)
    dim: Mapped[str] = mapped_column(String(12), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    scope: Mapped[str] = mapped_column(String(500), primary_key=True)
    key: Mapped[str] = mapped_column(String(500), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


for _bucket in HISTOGRAM:  # d0 … d31 as columns of the aggregate
    setattr(StatsAggregate, _bucket, mapped_column(_bucket, Integer, default=0))


class StatsSetting(Base):
    """`watermark`: the last audit event folded into the aggregates; `assessment`: weights and thresholds."""

    __tablename__ = "stats_setting"
    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[dict] = mapped_column(JSON)
