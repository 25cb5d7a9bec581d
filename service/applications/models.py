"""Applications and what is rewritten with their state: work items, timers, drafts, files."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.platform.extensions import db
from service.platform.timeutil import UTCDateTime, utcnow


class Application(db.Model):
    """One process instance: an applicant unit's declaration in one category."""

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))
    category: Mapped[str] = mapped_column(String(20))
    city_code: Mapped[str] = mapped_column(String(6), index=True)
    applicant_unit: Mapped[str] = mapped_column(String(200))
    unit_name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str | None] = mapped_column(String(18))
    created_by: Mapped[int] = mapped_column(ForeignKey("user.id"))
    state: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    stage: Mapped[str] = mapped_column(String(500), default="")
    # The element ids the instance waits in, comma-separated: what batch actions look for (stage is for people).
    waiting: Mapped[str] = mapped_column(String(1000), default="")
    outcome: Mapped[str | None] = mapped_column(String(100))
    outcome_element: Mapped[str | None] = mapped_column(String(200))
    # Why it ended there, as the decisions said it (e.g. each failed scope condition), shown to the applicant.
    outcome_reasons: Mapped[list | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A state change was refused by a process error (its record: ApplicationFault); cleared by the next one
    # that succeeds, so a submit learns it from the row it reads anyway.
    needs_repair: Mapped[bool] = mapped_column(Boolean, default=False)
    # The business number people quote (2025-GC-220100-0007), given at start (numbers.py).
    number: Mapped[str | None] = mapped_column(String(40))

    # Concurrent writers: the UPDATE carries "WHERE version = <read version>".
    __mapper_args__ = {"version_id_col": version}
    # Every start checks for the unit's open application in the category: one index lookup.
    __table_args__ = (
        Index("ix_application_unit", "round_id", "applicant_unit", "category"),
        # A unit's own applications in every round (its list, 我的申报): the index above needs the round first.
        Index("ix_application_applicant", "applicant_unit"),
        # A number is unique in its round: the database says so, whatever races the counter might lose.
        Index("ix_application_round_number", "round_id", "number", unique=True),
        # Search by number and credit code: equality or prefix (LIKE 'x%' needs the pattern opclass on
        # PostgreSQL; SQLite matches a prefix with GLOB on the plain index).
        Index("ix_application_number", "number", postgresql_ops={"number": "varchar_pattern_ops"}),
        Index("ix_application_credit_code", "credit_code", postgresql_ops={"credit_code": "varchar_pattern_ops"}),
    )


class ApplicationNumberCounter(db.Model):
    """The last serial given per round, category and city: starts take the next one by an upsert that
    locks this row until their transaction ends, so concurrent starts queue here instead of colliding,
    and a start that rolls back gives its serial back (no gaps)."""

    __tablename__ = "application_number_counter"
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), primary_key=True, autoincrement=False)
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    city_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, nullable=False)


class IdBlock(db.Model):
    """The next id not yet reserved, per table (SQLite only, see applications/ids.py): a start
    that takes SQLite's write lock late knows its application's id before it writes anything."""

    __tablename__ = "id_block"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    next_id: Mapped[int] = mapped_column(Integer, nullable=False)


class WorkItem(db.Model):
    """Index of open human tasks, rewritten with the state; inboxes read only this."""

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    form: Mapped[str | None] = mapped_column(String(200))
    city_code: Mapped[str] = mapped_column(String(6))
    category: Mapped[str] = mapped_column(String(20))
    applicant_unit: Mapped[str] = mapped_column(String(200))
    assignee: Mapped[str | None] = mapped_column(String(64))
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    has_draft: Mapped[bool] = mapped_column(default=False)  # someone saved a draft: delete it on submit
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # due_at with "no due date" sorted last, so inbox pages walk an index instead of sorting.
    due_order: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        # One open work item per engine task; unique also tells SQLite's planner a lookup is one row.
        Index("ix_work_item_task", "task_id", unique=True),
        # Inbox indexes: equality columns, then the page order; assignee last so counting is index-only.
        Index("ix_work_item_role", "role", "due_order", "id", "assignee"),
        Index("ix_work_item_city", "role", "city_code", "due_order", "id", "assignee"),
        Index("ix_work_item_unit", "role", "applicant_unit", "due_order", "id", "assignee"),
        Index("ix_work_item_assignee", "assignee", "role", "due_order", "id"),
        # The inbox's counts by step, city and category, read from this index alone.
        Index("ix_work_item_facets", "role", "city_code", "bpmn_id", "category", "assignee"),
        # The worker's deadline reminders, every round: the tasks falling due in the next days, not all of them.
        Index("ix_work_item_due", "due_at"),
    )


NO_DUE_DATE = datetime(9999, 12, 31, tzinfo=timezone.utc)


class Timer(db.Model):
    """A waiting timer event, rewritten with the state; the worker fires due rows."""

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class TimerFiring(db.Model):
    """One row per fired timer: the unique key makes a second firing impossible, not just unlikely."""

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("application_id", "task_id"),)


class TaskDraft(db.Model):
    """Unfinished form input, so nobody loses what they typed."""

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    data: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("task_id", "user_id"),)


class Attachment(db.Model):
    """An uploaded PDF, stored outside the web root under a generated name."""

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    original_name: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Deleted or replaced before the declaration went in: the row and the file stay for the record (the
    # trail names them), but the application no longer counts or shows the file as one of its materials.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))

    # Every upload checks its uploader's last hour (the per-user rate): their recent files, not every attachment.
    __table_args__ = (Index("ix_attachment_uploader", "uploaded_by", "uploaded_at"),)


class WorkCount(db.Model):
    """Open work items counted per inbox bucket, kept by database triggers on work_item (migration 0008):
    an inbox's total and its counts by step, city and category are sums over a few of these rows
    instead of a count over a million. The unit is part of the bucket only for the applicant's own tasks
    (else '' — a province bucket covers every unit). Each bucket is spread over 8 shards, so concurrent
    submits touching the same bucket rarely wait for the same row; a shard may go negative, the sum is exact."""

    __tablename__ = "work_count"
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    applicant_unit: Mapped[str] = mapped_column(String(200), primary_key=True)
    assignee: Mapped[str] = mapped_column(String(64), primary_key=True)  # '' for a task anyone in scope may take
    city_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    bpmn_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    category: Mapped[str] = mapped_column(String(20), primary_key=True)
    shard: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(Integer, default=0)


class ExpertConflict(db.Model):
    """An expert's 回避声明 on one review task, and the substitute the province gave that task.

    While ``resolved_at`` is empty the task waits in the province's inbox for a substitute; the row
    then says who replaced whom, how (drawn with ``seed``, or chosen with ``note``), by whom and when."""

    __tablename__ = "expert_conflict"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    expert_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    reason: Mapped[str] = mapped_column(String(500))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    substitute_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    method: Mapped[str | None] = mapped_column(String(10))  # "draw" or "manual"
    seed: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(500))
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_expert_conflict_task", "task_id", "resolved_at"),)


class ApplicationFault(db.Model):
    """The last process error that stopped a state change of an application (a script or expression of the
    diagram failed): where, what it said, when, and what was being done, so that an administrator sees it
    and can replay it (重试) once a fixed version is deployed and the application moved to it. Written in a
    transaction of its own when the state change is refused; removed by the next one that succeeds."""

    __tablename__ = "application_fault"
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), primary_key=True, autoincrement=False)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))  # the version that failed
    element_id: Mapped[str | None] = mapped_column(String(200))
    element_name: Mapped[str | None] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))  # "task" (a submit), "message", "timers"
    task_id: Mapped[str | None] = mapped_column(String(36))  # the task being submitted
    step_name: Mapped[str | None] = mapped_column(String(200))
    replay: Mapped[dict] = mapped_column(JSON)  # what a retry sends again: the submitted data, the message
    actor: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=1)  # in a row, counting retries
    first_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TaskUrge(db.Model):
    """One 催办 of an open task: who urged it, when, with what note. The owner's inbox shows the latest;
    the rule "once a day per task" reads this table by task id."""

    __tablename__ = "task_urge"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    urged_by: Mapped[int] = mapped_column(ForeignKey("user.id"))
    note: Mapped[str | None] = mapped_column(String(500))
    urged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_task_urge_task", "task_id", "urged_at"),)


class ApplicationCopy(db.Model):
    """One 抄送: an application shown to a colleague (read access and a notice, nothing more)."""

    __tablename__ = "application_copy"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    copied_by: Mapped[int] = mapped_column(ForeignKey("user.id"))
    note: Mapped[str | None] = mapped_column(String(500))
    copied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("application_id", "user_id"),
        # 抄送我的 (newest first) and the access rule "copied to me" read this index alone.
        Index("ix_application_copy_user", "user_id", "copied_at", "application_id"),
    )
