"""Organisations (申报单位) and the history of their names."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from service.platform.extensions import db
from service.platform.timeutil import UTCDateTime, utcnow

KINDS = {"enterprise": "企业", "park_authority": "园区管理机构"}
# pending_email: registered, e-mail not yet confirmed; pending_city: waiting for the city bureau;
# confirmed: may declare; refused: the city said no (with a reason).
STATUSES = {"pending_email": "待验证邮箱", "pending_city": "待市州确认", "confirmed": "已确认", "refused": "未通过"}


class Organisation(db.Model):
    """A declaring unit. Its credit code is its identity: applications and accounts are scoped by it
    (``Application.applicant_unit``, ``User.unit_code``), so a change of name moves nothing."""

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="enterprise")
    city_code: Mapped[str] = mapped_column(String(6))
    county: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    legal_representative: Mapped[str] = mapped_column(String(100), default="")
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_phone: Mapped[str] = mapped_column(String(30), default="")
    contact_email: Mapped[str] = mapped_column(String(200), default="")
    # Registered outside Jilin (area code not 22…): accepted, but shown to the city as a flag.
    outside_jilin: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="pending_email")
    status_reason: Mapped[str] = mapped_column(String(500), default="")
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # The city's queue of registrations to confirm.
    __table_args__ = (
        Index("ix_organisation_city_status", "city_code", "status"),
        # The province's registrations waiting (the inbox's tab, every page) and their list in order: by status
        # first, where the index above would be read whole (the status is its second column).
        Index("ix_organisation_status", "status", "created_at", "id"),
    )


class OrganisationNameChange(db.Model):
    """One change of an organisation's name: who, when, from what, to what and why."""

    __tablename__ = "organisation_name_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    old_name: Mapped[str] = mapped_column(String(200))
    new_name: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(500), default="")
    changed_by: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RegistrationAttempt(db.Model):
    """A registration that reached the database (a new unit, or a credit code already known), kept to
    limit how many one address may make: each one sends mail."""

    __tablename__ = "registration_attempt"
    id: Mapped[int] = mapped_column(primary_key=True)
    remote_addr: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_registration_attempt_addr_at", "remote_addr", "at"),)
