"""名单库 records: one row per listing of a unit in a category, and the history of its status."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from service.platform.extensions import db
from service.platform.timeutil import UTCDateTime, utcnow

LISTED, REMOVED = "listed", "removed"
STATUS_LABELS = {LISTED: "在册", REMOVED: "已动态调整出名单"}


class RegisterEntry(db.Model):
    """One unit listed in one category by one round (published here, or imported from an earlier year's list).

    ``status`` is the entry's current status; every change of it is a RegisterStatusChange row (and an event
    on the system audit chain)."""

    __tablename__ = "register_entry"
    __table_args__ = (
        Index("ix_register_entry_code_category", "credit_code", "category"),
        Index("ix_register_entry_status_category", "status", "category", "city_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18))
    unit_name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(20))      # the category key (factory, park, supply_chain, …)
    category_name: Mapped[str] = mapped_column(String(50))  # its Chinese name when listed
    level: Mapped[str] = mapped_column(String(10), default="省级")
    city_code: Mapped[str] = mapped_column(String(6))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("round.id"))  # None for an imported earlier list
    round_name: Mapped[str] = mapped_column(String(200))   # e.g. "2022年度省级绿色制造名单"
    year: Mapped[int] = mapped_column(Integer)
    listed_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default=LISTED)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"), unique=True)
    source: Mapped[str] = mapped_column(String(10))        # "published" or "imported"
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RegisterStatusChange(db.Model):
    """One status of an entry: listed (with the listing) or removed by 动态调整 (reason, date, document)."""

    __tablename__ = "register_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("register_entry.id"), index=True)
    status: Mapped[str] = mapped_column(String(10))
    effective_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(1000), default="")
    document_number: Mapped[str] = mapped_column(String(100), default="")  # 文号 of the adjustment notice
    # The adjustment document (PDF), stored outside the web root under a generated name.
    document_name: Mapped[str] = mapped_column(String(200), default="")
    document_stored: Mapped[str] = mapped_column(String(64), default="")
    document_sha256: Mapped[str] = mapped_column(String(64), default="")
    document_size: Mapped[int] = mapped_column(Integer, default=0)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
