"""Passwords through single-use links: a new account's first password, a forgotten one reset by e-mail.

Asking for a reset answers the same whatever was asked (an account, none, a deactivated one, one that
asked too often), so the form tells nobody which usernames or addresses exist; only the mailbox of the
account hears about it.
"""
from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import func, or_, select

from service.accounts import links
from service.accounts.models import AccountLink, User
from service.accounts.passwords import password_problem
from service.accounts.service import change_password
from service.audit import chain as audit
from service.notify.outbox import queue_mail
from service.platform.errors import Invalid
from service.platform.extensions import db
from service.platform.timeutil import utcnow

RESET_MAILS_PER_HOUR = 3
# One address may serve a few colleagues' accounts; never more than this many mails for one request.
ACCOUNTS_PER_ADDRESS = 5
RESET_REQUESTED = "如果该用户名或邮箱对应一个有效账号，我们已向其邮箱发送重置密码的链接（30 分钟内有效，只能使用一次）。请查收邮件。"
ACTIONS = {"set_password": "password_set", "reset_password": "password_reset"}


def request_reset(identifier: str, *, public_url: str) -> None:
    """Queue a reset mail to each active account with an address named by ``identifier`` (username or
    e-mail), unless it already had RESET_MAILS_PER_HOUR in the last hour. Says nothing either way."""
    for user in _accounts_named(identifier.strip()):
        if _resets_in_last_hour(user) >= RESET_MAILS_PER_HOUR:
            continue
        token = links.issue("reset_password", user_id=user.id, email=user.email)
        url = links.link_url(public_url, "reset_password", token)
        queue_mail(f"reset_password:{_key(token)}", kind="reset_password",
                   to=[{"username": user.username, "email": user.email}],
                   subject="【绿色制造】重置密码",
                   body=f"{user.display_name}，您好：\n\n有人（可能是您本人）申请重置账号 {user.username} 的密码。"
                        f"请在 30 分钟内打开下面的链接设置新密码，链接只能使用一次：\n\n{url}\n\n"
                        "如果不是您本人申请，请忽略本邮件，您的密码不会改变。")


def _accounts_named(identifier: str) -> list[User]:
    if not identifier or len(identifier) > 200:
        return []
    named = or_(User.username == identifier, User.email.in_({identifier, identifier.lower()}))
    return list(db.session.scalars(select(User).where(named, User.active.is_(True), User.email.is_not(None),
                                                      User.email != "")
                                   .order_by(User.id).limit(ACCOUNTS_PER_ADDRESS)))


def _resets_in_last_hour(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(AccountLink).where(
        AccountLink.user_id == user.id, AccountLink.purpose == "reset_password",
        AccountLink.created_at > utcnow() - timedelta(hours=1)))


def _key(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:32]


def link_account(purpose: str, token: str) -> User:
    """The account a live link of ``purpose`` sets the password of (for its page), or LinkInvalid."""
    link = links.peek(token, purpose)
    return _account_of(link)


def _account_of(link: AccountLink) -> User:
    user = db.session.get(User, link.user_id) if link.user_id is not None else None
    if user is None or not user.active:
        raise links.LinkInvalid("该账号不存在或已停用，链接不能使用；请联系管理员")
    return user


def set_password_with_link(purpose: str, token: str, password: str) -> User:
    """Use a set_password or reset_password link: the password is set, the link spent (single use), a
    forced change is over, the address the link went to counts as verified, and every session and token
    of the account ends. A password the policy refuses leaves the link unspent."""
    if purpose not in ACTIONS:
        raise ValueError(f"not a password link: {purpose!r}")
    link = links.peek(token, purpose)
    user = _account_of(link)
    problem = password_problem(password, username=user.username, credit_code=user.unit_code or "")
    if problem:
        raise Invalid(problem, fields={"password": [problem]})
    links.redeem(token, purpose)
    change_password(user, password)
    user.must_change_password = False
    verified = False
    if user.email_verified_at is None and user.email and link.email in (None, user.email):
        user.email_verified_at, verified = utcnow(), True
    audit.append(audit.SYSTEM_CHAIN, actor=user.username, action=ACTIONS[purpose],
                 data={"user": user.username, "link_id": link.id, "email_verified": verified})
    return user
