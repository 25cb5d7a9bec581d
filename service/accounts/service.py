"""Logins, web sessions and bearer tokens. Failed logins are rate-limited per account and per address."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, func, select, update

from service.platform.errors import ServiceError
from service.platform.extensions import db
from service.accounts.models import ApiToken, LoginFailure, User, WebSession
from service.platform.timeutil import utcnow

TOKEN_LIFETIME = timedelta(hours=12)
SESSION_IDLE_LIMIT = timedelta(hours=12)  # as long as the cookie (PERMANENT_SESSION_LIFETIME)
# "Last seen" moves at most this often, so a page view costs a read of the session, not a write.
LAST_SEEN_EVERY = timedelta(minutes=5)
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
WRONG_CREDENTIALS = "用户名或密码错误"


class Unauthorized(ServiceError):
    status, code = 401, "unauthorized"


class TooManyAttempts(ServiceError):
    status, code = 429, "too_many_attempts"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def authenticate(username: str, password: str, *, remote_addr: str) -> User | None:
    """The active user with these credentials, or None with the failure recorded (the caller commits it,
    then refuses with WRONG_CREDENTIALS); TooManyAttempts, checking nothing, while too many failed lately.

    Counting, checking and recording happen under one lock per account and per address, held to the
    commit: a burst of parallel guesses gets MAX_FAILURES_PER_ACCOUNT password checks, not one each
    (they would all count the failures before any of them was written).
    """
    username_key, address = username[:64], remote_addr[:64]
    _serialize_logins(f"account:{username_key}", f"address:{address}")
    if (_recent_failures(username=username_key) >= MAX_FAILURES_PER_ACCOUNT
            or _recent_failures(remote_addr=address) >= MAX_FAILURES_PER_ADDRESS):
        minutes = int(FAILURE_WINDOW.total_seconds() // 60)
        raise TooManyAttempts(f"登录失败次数过多，请 {minutes} 分钟后再试",
                              details={"retry_after": int(FAILURE_WINDOW.total_seconds())})
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not user.check_password(password):
        db.session.add(LoginFailure(username=username_key, remote_addr=address))
        return None
    db.session.execute(delete(LoginFailure).where(LoginFailure.username == username_key))
    return user


def _serialize_logins(*keys: str) -> None:
    """Make logins for the same account or from the same address wait for each other until commit.

    SQLite needs nothing: every transaction begins IMMEDIATE (extensions.serialize_sqlite_writers), so
    they already take turns.
    PostgreSQL gets a transaction-scoped advisory lock per key (no row needed, so unknown usernames are
    covered), taken in sorted order so two logins never wait for each other in a circle.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted(keys):
        lock_id = int.from_bytes(hashlib.sha256(f"greenlist-login:{key}".encode()).digest()[:8], "big", signed=True)
        db.session.execute(select(func.pg_advisory_xact_lock(lock_id)))


def _recent_failures(**where) -> int:
    query = select(func.count()).select_from(LoginFailure).where(LoginFailure.at >= utcnow() - FAILURE_WINDOW)
    for column, value in where.items():
        query = query.where(getattr(LoginFailure, column) == value)
    return db.session.scalar(query)


def issue_token(user: User) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=_hash(token), expires_at=utcnow() + TOKEN_LIFETIME))
    return token


def user_for_token(token: str) -> User:
    """The account behind a bearer token: one query for the token and its user."""
    row = db.session.execute(select(ApiToken.revoked_at, ApiToken.expires_at, User)
                             .join(User, User.id == ApiToken.user_id)
                             .where(ApiToken.token_hash == _hash(token))).first()
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        raise Unauthorized("登录已失效，请重新登录")
    if not row.User.active:
        raise Unauthorized("账号已停用")
    return row.User


def revoke_token(token: str) -> None:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()


def start_session(user: User) -> str:
    """A new web session; the returned id goes into the signed cookie, only its hash into the database."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(WebSession(user_id=user.id, token_hash=_hash(token), created_at=now, last_seen_at=now))
    return token


def live_session(token: str | None) -> tuple[WebSession, User] | None:
    """The session a cookie names and its account (one query), unless the session was ended, sat idle too
    long, or its account was deactivated."""
    if not token:
        return None
    row = db.session.execute(select(WebSession, User).join(User, User.id == WebSession.user_id)
                             .where(WebSession.token_hash == _hash(token))).first()
    if row is None:
        return None
    record, user = row
    if record.revoked_at is not None or record.last_seen_at <= utcnow() - SESSION_IDLE_LIMIT or not user.active:
        return None
    return record, user


def activity_due(row: WebSession) -> bool:
    return row.last_seen_at <= utcnow() - LAST_SEEN_EVERY


def note_activity(row: WebSession) -> None:
    row.last_seen_at = utcnow()


def end_session(token: str | None) -> None:
    if token:
        db.session.execute(update(WebSession).where(WebSession.token_hash == _hash(token),
                                                    WebSession.revoked_at.is_(None)).values(revoked_at=utcnow()))


def revoke_all_sessions(user: User) -> None:
    """End every web session and bearer token of ``user``: after a password change or a deactivation, a
    cookie or token taken earlier (a shared computer, a leaked script) must stop working."""
    now = utcnow()
    for model in (WebSession, ApiToken):
        db.session.execute(update(model).where(model.user_id == user.id, model.revoked_at.is_(None))
                           .values(revoked_at=now))


def change_password(user: User, password: str) -> None:
    """The way to change a password: every session and token made with the old one ends with it."""
    user.set_password(password)
    revoke_all_sessions(user)


def deactivate_user(user: User) -> None:
    user.active = False
    revoke_all_sessions(user)
