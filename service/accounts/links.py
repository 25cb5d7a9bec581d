"""Single-use links sent by e-mail (verify an address, set or reset a password, join an organisation).

The token travels only in the mail; the database keeps its SHA-256. A link is spent by ``redeem`` inside
the transaction that acts on it, so two clicks cannot both succeed (the second finds ``used_at`` set, or
waits for the first's row lock and then finds it).
"""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from sqlalchemy import select, update

from service.accounts.models import AccountLink
from service.platform.errors import ServiceError
from service.platform.extensions import db
from service.platform.timeutil import utcnow

LIFETIMES = {
    "verify_email": timedelta(days=3),
    "set_password": timedelta(days=7),
    "reset_password": timedelta(minutes=30),
    "invite": timedelta(days=7),
}
# The page each link opens (served by the web edge; the mail carries base URL + path).
PATHS = {"verify_email": "/register/verify/", "set_password": "/password/set/", "reset_password": "/password/reset/",
         "invite": "/join/"}
# A token in a link address, wherever the address is written down (a sent mail kept in the outbox, a log line).
_TOKEN_IN_PATH = re.compile("(" + "|".join(re.escape(path) for path in PATHS.values()) + ")[A-Za-z0-9_-]+")
PURPOSE_NAMES = {"verify_email": "邮箱验证", "set_password": "设置密码", "reset_password": "重置密码",
                 "invite": "加入单位邀请"}


class LinkInvalid(ServiceError):
    status, code = 410, "link_invalid"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(purpose: str, *, user_id: int | None = None, organisation_id: int | None = None,
          email: str | None = None, data: dict | None = None, created_by: str | None = None) -> str:
    """A new link's token (to put in the mail); earlier unused links of the same purpose for the same
    account end, so only the newest mail works."""
    if purpose not in LIFETIMES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    now = utcnow()
    if user_id is not None:
        db.session.execute(update(AccountLink).where(AccountLink.user_id == user_id,
                                                     AccountLink.purpose == purpose,
                                                     AccountLink.used_at.is_(None)).values(used_at=now))
    token = secrets.token_urlsafe(32)
    db.session.add(AccountLink(purpose=purpose, token_hash=_hash(token), user_id=user_id,
                               organisation_id=organisation_id, email=email, data=data or {},
                               created_by=created_by, created_at=now, expires_at=now + LIFETIMES[purpose]))
    return token


def link_url(base_url: str, purpose: str, token: str) -> str:
    """The address to put in a mail (``base_url``: the GREENLIST_PUBLIC_URL setting)."""
    return f"{base_url.rstrip('/')}{PATHS[purpose]}{token}"


def without_tokens(text: str, *, mark: str = "…") -> str:
    """``text`` with the token of every link address in it replaced by ``mark``: whoever reads a log or a sent
    mail's copy afterwards must not be able to use the link."""
    return _TOKEN_IN_PATH.sub(lambda found: found.group(1) + mark, text)


def peek(token: str, purpose: str) -> AccountLink:
    """The live link (for showing its page), or LinkInvalid saying why it cannot be used."""
    link = db.session.scalar(select(AccountLink).where(AccountLink.token_hash == _hash(token or "")))
    name = PURPOSE_NAMES.get(purpose, "链接")
    if link is None or link.purpose != purpose:
        raise LinkInvalid(f"{name}链接无效，请核对邮件中的链接")
    if link.used_at is not None:
        raise LinkInvalid(f"{name}链接已使用过，每个链接只能使用一次")
    if link.expires_at <= utcnow():
        raise LinkInvalid(f"{name}链接已过期，请重新申请")
    return link


def redeem(token: str, purpose: str) -> AccountLink:
    """Spend the link: the same checks as ``peek``, then marked used by a conditional update, so a
    concurrent second use finds nothing to update and is refused."""
    link = peek(token, purpose)
    spent = db.session.execute(update(AccountLink).where(AccountLink.id == link.id, AccountLink.used_at.is_(None))
                               .values(used_at=utcnow()).execution_options(synchronize_session=False))
    if spent.rowcount != 1:
        raise LinkInvalid(f"{PURPOSE_NAMES.get(purpose, '链接')}链接已使用过，每个链接只能使用一次")
    db.session.refresh(link)
    return link
