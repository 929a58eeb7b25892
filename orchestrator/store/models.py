"""Tables of the orchestrator. The schema comes from Alembic migrations; times are naive UTC."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class OrgGroup(Base):
    """A group tasks are offered to (综合窗口, a department's back office …), named by lanes."""

    __tablename__ = "org_group"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime())  # closed: no new members or tasks (0014)


class OrgUnit(Base):
    """A node of the administrative tree 区县 → 镇街 → 村社 → 网格. `path` ("/d/town/") makes a subtree a
    prefix, so "within my town" is one LIKE on an indexed column."""

    __tablename__ = "org_unit"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(8))  # 区县 / 镇街 / 村社 / 网格
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("org_unit.code"))
    path: Mapped[str] = mapped_column(String(500), unique=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime())  # closed: no new members or cases (0014)


class ServiceWindow(Base):
    """A numbered window of a hall (an org unit of level 区县 or 镇街): 高桥镇便民服务中心 3号综合窗口. Open while
    `closed_at` is null; an open window's number is unique in its hall (0018)."""

    __tablename__ = "service_window"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hall: Mapped[str] = mapped_column(ForeignKey("org_unit.code"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # 综合窗口 / 出件窗口 / 专业窗口
    created_at: Mapped[datetime] = mapped_column(DateTime())
    closed_at: Mapped[datetime | None] = mapped_column(DateTime())


class ClerkWindow(Base):
    """我的窗口: the window a clerk sits at, remembered until they choose another (0018)."""

    __tablename__ = "clerk_window"
    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("service_window.id"))
    chosen_at: Mapped[datetime] = mapped_column(DateTime())


class GroupMember(Base):
    """A user in a group, within an org unit's subtree ("/" = everywhere)."""

    __tablename__ = "group_member"
    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    group_code: Mapped[str] = mapped_column(ForeignKey("org_group.code"), primary_key=True)
    org_path: Mapped[str] = mapped_column(String(500), default="/")


class ProcessDefinition(Base):
    """One immutable deployed version of one process key; the spec is serialized here once."""

    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("key", "version"), Index("ix_definition_key_status", "key", "status"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    version_tag: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str | None] = mapped_column(String(300))
    checksum: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    files: Mapped[dict] = mapped_column(JSON, deferred=True)  # file name -> BPMN XML text, as uploaded
    spec: Mapped[str] = mapped_column(Text, deferred=True)  # serialized process + subprocess specs (JSON)
    catalog: Mapped[dict | None] = mapped_column(JSON)
    forms: Mapped[dict] = mapped_column(JSON)  # form file name -> JSON document (snapshot)
    lanes: Mapped[dict] = mapped_column(JSON)  # lane name -> group code (snapshot)
    tests: Mapped[dict | None] = mapped_column(JSON)  # tests/<name> -> the process test
    import_report: Mapped[list | None] = mapped_column(JSON)  # an imported draft's findings (deploy: null)
    timer_start: Mapped[bool] = mapped_column(Boolean, default=False)
    deployed_by: Mapped[str | None] = mapped_column(String(100))
    deployed_at: Mapped[datetime] = mapped_column(DateTime())


class ProcessInstance(Base):
    __tablename__ = "process_instance"
    __table_args__ = (UniqueConstraint("process_key", "business_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(200))
    business_key: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="running")  # running / completed / cancelled
    state: Mapped[str] = mapped_column(Text)  # SpiffWorkflow JSON without the spec
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    started_by: Mapped[str | None] = mapped_column(String(100), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime())
    org_path: Mapped[str] = mapped_column(String(500), default="/")  # where the case was received
    ended_at: Mapped[datetime | None] = mapped_column(DateTime())
    error: Mapped[str | None] = mapped_column(Text)

    __mapper_args__ = {"version_id_col": version}


class HumanTask(Base):
    __tablename__ = "human_task"
    __table_args__ = (
        Index("ix_task_group_inbox", "candidate_group", "state", "due_at"),
        Index(  # 待签收, soonest due first: read in order, org subtree checked from the index (0009)
            "ix_task_open_group_due",
            "candidate_group",
            "due_at",
            "id",
            postgresql_where=text("state = 'open'"),
            sqlite_where=text("state = 'open'"),
            postgresql_include=["org_path"],
        ),
        Index("ix_task_assignee_inbox", "assignee", "state", "due_at"),
        Index("ix_task_instance_state", "instance_id", "state"),
        Index("ix_task_done_by", "completed_by", "completed_at"),
        UniqueConstraint("instance_id", "spiff_task_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(200))  # task spec id in the diagram
    title: Mapped[str | None] = mapped_column(String(300))
    lane: Mapped[str | None] = mapped_column(String(200))
    candidate_group: Mapped[str | None] = mapped_column(String(64))
    assignee: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(16), default="open")  # open / claimed / completed / cancelled
    form_key: Mapped[str | None] = mapped_column(String(200))
    ui_form_key: Mapped[str | None] = mapped_column(String(200))
    priority: Mapped[int] = mapped_column(Integer, default=50)
    created_at: Mapped[datetime] = mapped_column(DateTime())
    due_at: Mapped[datetime | None] = mapped_column(DateTime())
    completed_at: Mapped[datetime | None] = mapped_column(DateTime())
    completed_by: Mapped[str | None] = mapped_column(String(100))
    opinion: Mapped[str | None] = mapped_column(Text)  # 意见
    action: Mapped[str | None] = mapped_column(String(16))  # 通过 / 不通过 / 退回 …
    org_path: Mapped[str] = mapped_column(String(500), default="/")  # the instance's org unit
    urged_at: Mapped[datetime | None] = mapped_column(DateTime())  # 催办: last reminder to whoever holds it


class Attachment(Base):
    """An uploaded material: stored once by checksum under the data folder, linked to its case."""

    __tablename__ = "attachment"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(Integer)
    material: Mapped[str | None] = mapped_column(String(200))
    file_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str | None] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime())


class AuditEvent(Base):
    """Append-only trace of every action (痕迹管理)."""

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime())
    actor: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    instance_id: Mapped[int | None] = mapped_column(Integer, index=True)
    task_id: Mapped[int | None] = mapped_column(Integer)
    definition_id: Mapped[int | None] = mapped_column(Integer)
    opinion: Mapped[str | None] = mapped_column(Text)
    data_before: Mapped[dict | None] = mapped_column(JSON)
    data_after: Mapped[dict | None] = mapped_column(JSON)


class Job(Base):
    """Pending work: the row is the truth; a broker message only carries its id."""

    __tablename__ = "job"
    __table_args__ = (
        Index("ix_job_due", "status", "due_at"),
        Index("ix_job_instance", "instance_id", "status"),
        Index(
            "ux_job_one_pending_sweep",
            "kind",
            unique=True,
            postgresql_where=text("kind = 'sweep' AND status = 'pending'"),
            sqlite_where=text("kind = 'sweep' AND status = 'pending'"),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # timer / continue / start
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    definition_id: Mapped[int | None] = mapped_column(ForeignKey("process_definition.id"))
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending / done / incident
    due_at: Mapped[datetime] = mapped_column(DateTime())
    payload: Mapped[dict | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    locked_by: Mapped[str | None] = mapped_column(String(100))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime())  # last sent to the broker
    created_at: Mapped[datetime] = mapped_column(DateTime())
    done_at: Mapped[datetime | None] = mapped_column(DateTime())


class MessageSubscription(Base):
    """An instance waiting for a message; `correlation` is the canonical JSON of the values it expects."""

    __tablename__ = "message_subscription"
    __table_args__ = (Index("ix_subscription_lookup", "message_name", "correlation"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    message_name: Mapped[str] = mapped_column(String(200))
    correlation: Mapped[str] = mapped_column(String(500), default="{}")
    expressions: Mapped[dict | None] = mapped_column(JSON)  # property name -> retrieval expression


class CalendarDay(Base):
    """A day of the official calendar: working or not, from the package seed or an admin's edit."""

    __tablename__ = "calendar_day"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    working: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(16))  # package / admin
    note: Mapped[str | None] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(DateTime())


class ServiceCase(Base):
    """A case (办件): one application of one service item, with its public status and deadlines."""

    __tablename__ = "service_case"
    __table_args__ = (Index("ix_case_status_due", "status_code", "promised_due"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_number: Mapped[str | None] = mapped_column(String(64), unique=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), unique=True)
    item_code: Mapped[str] = mapped_column(String(64))
    item_name: Mapped[str] = mapped_column(String(200))
    applicant: Mapped[dict] = mapped_column(JSON)
    proxy: Mapped[dict | None] = mapped_column(JSON)
    channel: Mapped[str] = mapped_column(String(16))
    case_class: Mapped[int] = mapped_column(Integer)  # national code 1 即办 / 2 承诺 / 9 其他
    local_type: Mapped[str] = mapped_column(String(8))  # 即办 承诺 联办 上报 特殊
    status_code: Mapped[int] = mapped_column(Integer)
    promised_limit: Mapped[int] = mapped_column(Integer)
    statutory_limit: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(DateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime())
    promised_due: Mapped[date | None] = mapped_column(Date)
    statutory_due: Mapped[date | None] = mapped_column(Date)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime())
    result: Mapped[dict | None] = mapped_column(JSON)
    tolerated: Mapped[list | None] = mapped_column(JSON)  # 容缺受理: materials owed after acceptance
    window_id: Mapped[int | None] = mapped_column(ForeignKey("service_window.id"))  # where received (0018)


class CasePause(Base):
    """An interval in which a case's clock stands still: 补正, 特别程序 (听证, 检验 …), 公示."""

    __tablename__ = "case_pause"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("service_case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(DateTime())
    ended_at: Mapped[datetime | None] = mapped_column(DateTime())
    planned_days: Mapped[int | None] = mapped_column(Integer)
    approver: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)


class SupervisionWarning(Base):
    """A reminder or red/yellow card (电子监察), recorded once per case, step and level."""

    __tablename__ = "supervision_warning"
    __table_args__ = (UniqueConstraint("case_id", "task_id", "level", name="uq_warning_once"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("service_case.id"), index=True)
    task_id: Mapped[int] = mapped_column(Integer, default=0)  # 0: the whole case; else the step (human task)
    rule: Mapped[str] = mapped_column(String(16))  # case / step
    level: Mapped[str] = mapped_column(String(16))  # reminder 提醒 / yellow 黄牌 / red 红牌
    department: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime())


class Evaluation(Base):
    """好差评: one evaluation of a delivered case, stored with the national level code (1 非常满意 … 5)."""

    __tablename__ = "evaluation"
    __table_args__ = (UniqueConstraint("case_id", "visit", name="uq_evaluation_once"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("service_case.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    visit: Mapped[str] = mapped_column(String(64))  # 一事一评: "case"; 一次一评: the visit's own key
    level: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(String(64))
    clerk: Mapped[str | None] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(DateTime())
    rectification_instance: Mapped[int | None] = mapped_column(Integer)


class DraftEdit(Base):
    """Work an analyst typed and a save refused: kept, per user and key, until saved or discarded."""

    __tablename__ = "draft_edit"
    __table_args__ = (UniqueConstraint("username", "key", name="ux_draft_edit_user_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(200))
    base_version: Mapped[int | None] = mapped_column(Integer)
    files: Mapped[dict] = mapped_column(JSON)  # file name (x.bpmn, forms/x.json, item.yaml) → text
    problems: Mapped[list] = mapped_column(JSON)
    saved_at: Mapped[datetime] = mapped_column(DateTime())


class LoginGuard(Base):
    """Failed logins in a row per account name (known or not), and the lock they led to."""

    __tablename__ = "login_guard"
    username: Mapped[str] = mapped_column(String(256), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(DateTime())
    locked_until: Mapped[datetime | None] = mapped_column(DateTime())


class ItemTemplate(Base):
    """An item template saved from a published item (the repository's templates/ folders are the others)."""

    __tablename__ = "item_template"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    local_class: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(Text)
    based_on_key: Mapped[str | None] = mapped_column(String(200))
    based_on_version: Mapped[int | None] = mapped_column(Integer)
    files: Mapped[dict] = mapped_column(JSON)  # the unit: x.bpmn, forms/x.json, item.yaml → text
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime())
