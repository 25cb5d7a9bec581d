"""Logins and bearer tokens. Failed logins are rate-limited per account and per address."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, func, select

from .errors import ServiceError
from .extensions import db
from .models import ApiToken, LoginFailure, User
from .timeutil import utcnow

TOKEN_LIFETIME = timedelta(hours=12)
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20


class Unauthorized(ServiceError):
    status, code = 401, "unauthorized"


class TooManyAttempts(ServiceError):
    status, code = 429, "too_many_attempts"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _recent_failures(**where) -> int:
    since = utcnow() - FAILURE_WINDOW
    query = select(func.count()).select_from(LoginFailure).where(LoginFailure.at >= since)
    for column, value in where.items():
        query = query.where(getattr(LoginFailure, column) == value)
    return db.session.scalar(query)


def authenticate(username: str, password: str, *, remote_addr: str) -> User:
    """The active user with these credentials; refused while too many recent failures."""
    if (_recent_failures(username=username) >= MAX_FAILURES_PER_ACCOUNT
            or _recent_failures(remote_addr=remote_addr) >= MAX_FAILURES_PER_ADDRESS):
        minutes = int(FAILURE_WINDOW.total_seconds() // 60)
        raise TooManyAttempts(f"登录失败次数过多，请 {minutes} 分钟后再试",
                              details={"retry_after": int(FAILURE_WINDOW.total_seconds())})
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not user.check_password(password):
        raise Unauthorized("用户名或密码错误")
    db.session.execute(delete(LoginFailure).where(LoginFailure.username == username))
    return user


def record_login_failure(username: str, *, remote_addr: str) -> None:
    db.session.add(LoginFailure(username=username[:64], remote_addr=remote_addr[:64]))


def issue_token(user: User) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=_hash(token), expires_at=utcnow() + TOKEN_LIFETIME))
    return token


def user_for_token(token: str) -> User:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        raise Unauthorized("登录已失效，请重新登录")
    user = db.session.get(User, row.user_id)
    if user is None or not user.active:
        raise Unauthorized("账号已停用")
    return user


def revoke_token(token: str) -> None:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
