"""Accounts: users, API tokens, failed logins, web sessions."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, delete, event, insert, inspect
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from service.platform.extensions import db
from service.platform.timeutil import UTCDateTime, utcnow


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    display_name: Mapped[str] = mapped_column(String(100))
    roles: Mapped[list] = mapped_column(JSON, default=list)
    city_code: Mapped[str | None] = mapped_column(String(6))
    unit_name: Mapped[str | None] = mapped_column(String(200))  # the organisation's name, for display
    # An applicant's organisation, and its credit code copied here: the key applications are scoped by.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    unit_code: Mapped[str | None] = mapped_column(String(18))
    email: Mapped[str | None] = mapped_column(String(200))
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    receive_email: Mapped[bool] = mapped_column(Boolean, default=True)
    phone: Mapped[str | None] = mapped_column(String(30))
    # Experts: employer (回避 against the applicant), specialties (category keys) and GB/T 4754 industry codes.
    employer: Mapped[str | None] = mapped_column(String(200))
    specialties: Mapped[list] = mapped_column(JSON, default=list)
    industry_codes: Mapped[list] = mapped_column(JSON, default=list)
    # A temporary password an administrator gave out: the next login must set a new one.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        # Who may work on a task is found by query, never by loading every account (see access.py).
        Index("ix_user_city", "city_code"),
        Index("ix_user_unit", "unit_name"),
        Index("ix_user_unit_code", "unit_code"),
        Index("ix_user_organisation", "organisation_id"),
        Index("ix_user_email", "email"),  # 忘记密码 finds the account by its address
    )

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def has_role(self, role: str) -> bool:
        return role in (self.roles or [])

    @property
    def is_active(self) -> bool:  # Flask-Login: a deactivated account's session stops working
        return bool(self.active)


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored, so a database dump reveals no usable token."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebSession(db.Model):
    """A login of the staff web. The cookie names it; every request checks it, so logging out, a password
    change or a deactivation ends it even for a copy of the cookie. Only the id's SHA-256 is stored."""

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AccountLink(db.Model):
    """A single-use link sent by e-mail: verify an address, set a first password, reset a forgotten one,
    join an organisation. Only the token's SHA-256 is stored; ``used_at`` makes it single use."""

    __tablename__ = "account_link"
    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    email: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginFailure(db.Model):
    """A failed login, kept for rate limiting (works across processes)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    remote_addr: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Role(db.Model):
    """A role of this deployment: the built-ins and those the administrator adds. ``scope`` says which of a
    role's tasks a holder works: none (every holder), city (their city's), organisation (their unit's) or
    assignee (only those naming them). Lanes name a role by ``key`` or ``name``; neither changes once made."""

    __tablename__ = "role"
    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(30), unique=True)
    scope: Mapped[str] = mapped_column(String(16))
    works_tasks: Mapped[bool] = mapped_column(Boolean)
    built_in: Mapped[bool] = mapped_column(Boolean)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UserRole(db.Model):
    """One role of one user: the index behind "who holds role R". ``User.roles`` stays the record; this
    table is rewritten from it whenever an account is written through the ORM (see below)."""

    __tablename__ = "user_role"
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)

    __table_args__ = (Index("ix_user_role_role", "role", "user_id"),)


def _write_role_index(connection, user: User) -> None:
    connection.execute(delete(UserRole).where(UserRole.user_id == user.id))
    roles = sorted(set(user.roles or []))
    if roles:
        connection.execute(insert(UserRole), [{"user_id": user.id, "role": role} for role in roles])


@event.listens_for(User, "after_insert")
def _index_new_user(mapper, connection, user):
    _write_role_index(connection, user)


@event.listens_for(User, "after_update")
def _reindex_changed_roles(mapper, connection, user):
    if inspect(user).attrs.roles.history.has_changes():
        _write_role_index(connection, user)
