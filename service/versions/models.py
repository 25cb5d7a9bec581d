"""Deployed process versions (immutable) and the drafts administrators edit."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, event, inspect, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.platform.extensions import db
from service.platform.timeutil import UTCDateTime, utcnow


class ProcessVersion(db.Model):
    """One deployed bundle, immutable once written."""

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    process_id: Mapped[str] = mapped_column(String(200))
    bundle: Mapped[str] = mapped_column(Text, deferred=True)  # 100 KB: read only where the files are needed
    note: Mapped[str] = mapped_column(Text, default="")
    deployed_by: Mapped[str] = mapped_column(String(64))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    validation_report: Mapped[list] = mapped_column(JSON, default=list, deferred=True)


IMMUTABLE_VERSION_FIELDS = ("number", "content_hash", "process_id", "bundle", "deployed_by", "deployed_at")


@event.listens_for(ProcessVersion, "before_update")
def _refuse_version_edits(mapper, connection, target):
    changed = [name for name in IMMUTABLE_VERSION_FIELDS if inspect(target).attrs[name].history.has_changes()]
    if changed:
        raise ValueError(f"process version {target.number} is immutable; refused change to {', '.join(changed)}")


class ProcessDraft(db.Model):
    """Next year's diagram and forms while an administrator works on them; deployed, it becomes a version."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    base_version_id: Mapped[int | None] = mapped_column(ForeignKey("process_version.id"))
    bundle: Mapped[str] = mapped_column(Text)  # Bundle.to_json(): {"processes": {...}, "forms": {...}}
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deployed_version_id: Mapped[int | None] = mapped_column(ForeignKey("process_version.id"))
    revision: Mapped[int] = mapped_column(Integer, nullable=False)

    # Two administrators saving the same draft: the second gets 409 instead of silently overwriting.
    __mapper_args__ = {"version_id_col": revision}


class ProcessFile(db.Model):
    """A file a process version offers (the notice's attachments), stored once by its SHA-256.

    A version's notice_files.json names the hash of each of its files, so the version's content hash covers
    them; rows are never changed or deleted (versions are immutable, and any version may still name them)."""

    __tablename__ = "process_file"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    size: Mapped[int] = mapped_column(Integer)
    stored_by: Mapped[str] = mapped_column(String(64))
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
