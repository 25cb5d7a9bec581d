"""Rounds and the administrator-maintained part of the working-day calendar."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from service.platform.extensions import db
from service.platform.timeutil import UTCDateTime, utcnow


class Round(db.Model):
    """年度批次: the settings of one year's round and the process version it runs."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"))
    # The categories units may declare in this round: keys of the categories its process version declares.
    categories: Mapped[list] = mapped_column(JSON)
    # 单位申报截止 and 市州推荐截止: each the midnight that ends the day, Asia/Shanghai, stored in UTC.
    unit_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    city_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    notice_days: Mapped[int] = mapped_column(Integer, default=5)
    expert_count: Mapped[int] = mapped_column(Integer, default=3)
    pass_score: Mapped[float] = mapped_column(default=60.0)
    # The values of the settings the version lists beyond the columns above (processes/settings.json):
    # name → value as JSON holds it (a date setting as "YYYY-MM-DD", the day it ends).
    extra_settings: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="open")
    # Where objections to the public notice go (受理异议的地址、电话、邮箱), printed on the notice.
    objection_address: Mapped[str] = mapped_column(String(300), default="")
    objection_phone: Mapped[str] = mapped_column(String(50), default="")
    objection_email: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RoundDeadlineChange(db.Model):
    """One move of a round's deadline: what it was, what it became, why, and how many applications' timers
    moved with it (the same facts go on the system audit chain; this table is the round page's history)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    field: Mapped[str] = mapped_column(String(20))  # "unit_deadline" or "city_deadline"
    before: Mapped[datetime] = mapped_column(UTCDateTime)
    after: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(500), default="")
    changed_by: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    applications_moved: Mapped[int] = mapped_column(Integer, default=0)


class CalendarOverride(db.Model):
    """An administrator's statement that a day is (or is not) a working day."""

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(200), default="")
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CalendarYear(db.Model):
    """A year whose holiday arrangement an administrator has entered completely."""

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    confirmed_by: Mapped[str] = mapped_column(String(64))
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CityPackage(db.Model):
    """市州推荐材料: what one city sends the province for a round — its recommended applications ranked per
    category, the 推荐汇总表 frozen once (stored file and SHA-256), the sealed letter and table (PDF), the paper
    copies sent and their receipt. A recommendation made after a city froze its package goes into the city's
    next package (``number`` 2, 3 …, 补充推荐): a frozen package never changes."""

    __table_args__ = (db.UniqueConstraint("round_id", "city_code", "number", name="uq_city_package_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    city_code: Mapped[str] = mapped_column(String(6))
    number: Mapped[int] = mapped_column(Integer, default=1)
    # frozen → sent → received (a package row exists only once frozen; before that it is computed).
    status: Mapped[str] = mapped_column(String(16), default="frozen")
    # [{"application_id", "category", "rank"}] in table order, fixed at the freeze.
    members: Mapped[list] = mapped_column(JSON, default=list)
    table_stored: Mapped[str] = mapped_column(String(64))
    table_sha256: Mapped[str] = mapped_column(String(64))
    frozen_by: Mapped[str] = mapped_column(String(64))
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The sealed scans (PDF): 推荐文件 and the signed and sealed 推荐汇总表.
    letter_stored: Mapped[str | None] = mapped_column(String(64))
    letter_name: Mapped[str | None] = mapped_column(String(200))
    letter_sha256: Mapped[str | None] = mapped_column(String(64))
    sealed_table_stored: Mapped[str | None] = mapped_column(String(64))
    sealed_table_name: Mapped[str | None] = mapped_column(String(200))
    sealed_table_sha256: Mapped[str | None] = mapped_column(String(64))
    sent_by: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_note: Mapped[str] = mapped_column(String(500), default="")  # how the paper copies went (快递单号 …)
    received_by: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
