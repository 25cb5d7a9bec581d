"""The append-only, hash-chained audit trail and its daily anchors."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, and_, func, literal_column,
                        text)
from sqlalchemy.orm import Mapped, mapped_column

from service.platform.extensions import db
from service.platform.timeutil import UTCDateTime, utcnow


class AuditEvent(db.Model):
    """Append-only, hash-chained per chain (one chain per application, one for the system)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(String(40))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    element_id: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[str] = mapped_column(Text)  # canonical JSON, hashed exactly as stored
    prev_hash: Mapped[str] = mapped_column(String(64))
    # Unique per event (SHA-256 over its content and the previous hash): the sentinel that lets one INSERT
    # carry all of a state change's events on SQLite too (its RETURNING ids are matched to rows by hash).
    hash: Mapped[str] = mapped_column(String(64), insert_sentinel=True)

    __table_args__ = (
        UniqueConstraint("chain", "seq"),
        Index("ix_audit_event_actor", "actor", "action", "id"),  # each user's done list (已办)
        # The public notice and the published list find a round's batches (公示, 发布) among its applications'
        # few batch events, not among all their events (batch_events writes the same constant for SQLite).
        Index("ix_audit_event_batch", "application_id", "at", postgresql_where=text("action = 'batch_action'"),
              sqlite_where=text("action = 'batch_action'")),
        # ix_audit_event_task (migration 0043): a partial index on an expression that differs by database, so
        # it lives in the migration only; completed_task_event below writes the same expression.
    )


def completed_task_event(task_id: str):
    """The WHERE clause of the task_completed event of ``task_id``, answered by ix_audit_event_task instead of a
    scan of the whole trail. The key and the action are literals, not parameters: SQLite uses an index on an
    expression, and a partial index, only for a query that writes that very expression and constant."""
    if db.session.get_bind().dialect.name == "postgresql":
        key = literal_column("(CAST(audit_event.data AS JSON) ->> 'task_id')")
    else:
        key = func.json_extract(AuditEvent.data, literal_column("'$.task_id'"))
    return and_(AuditEvent.action == literal_column("'task_completed'"), key == str(task_id))


def batch_events():
    """The WHERE clause of batch events (公示, 发布, …), answered by the partial index ix_audit_event_batch: the
    action is a literal, as SQLite uses a partial index only for a query that writes its very constant."""
    return AuditEvent.action == literal_column("'batch_action'")


class AuditAnchor(db.Model):
    """A daily record of every chain's head, hashed together, so deleting a whole chain shows too."""

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    heads: Mapped[dict] = mapped_column(JSON)  # chain -> [seq, hash]
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
