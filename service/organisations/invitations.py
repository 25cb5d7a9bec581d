"""Colleagues (several 经办人 per unit): a confirmed unit's account invites one by e-mail; the link lets them
choose a username and password and join the unit, without another confirmation by the city."""
from __future__ import annotations

from sqlalchemy import func, select, update

from service.accounts import links
from service.accounts.models import AccountLink, User
from service.audit import chain as audit
from service.notify.outbox import queue_mail
from service.organisations.models import Organisation
from service.organisations.registration import mail_key, account_problems, refuse_taken_username
from service.organisations.service import EMAIL, attach_account, may_declare
from service.platform.errors import Conflict, Invalid, NotFound
from service.platform.extensions import db
from service.platform.timeutil import utcnow

MAX_PENDING = 20


def pending_invitations(organisation_id: int, *, limit: int = 100) -> list[AccountLink]:
    """The unit's invitations not yet accepted, revoked or expired, newest first."""
    return db.session.scalars(select(AccountLink).where(
        AccountLink.organisation_id == organisation_id, AccountLink.purpose == "invite",
        AccountLink.used_at.is_(None), AccountLink.expires_at > utcnow())
        .order_by(AccountLink.id.desc()).limit(limit)).all()


def invite(user: User, email: str, *, public_url: str) -> AccountLink:
    """Mail a single-use link to join ``user``'s unit, which must be confirmed (may_declare says so)."""
    organisation = may_declare(user)
    email = (email if isinstance(email, str) else "").strip()
    if not email or not EMAIL.match(email) or len(email) > 200:
        raise Invalid("邮箱不正确", fields={"email": ["请填写同事的有效邮箱"]})
    now = utcnow()
    # Inviting the same address again replaces the earlier link: only the newest mail works.
    db.session.execute(update(AccountLink).where(
        AccountLink.organisation_id == organisation.id, AccountLink.purpose == "invite",
        AccountLink.email == email, AccountLink.used_at.is_(None)).values(used_at=now)
        .execution_options(synchronize_session=False))
    waiting = db.session.scalar(select(func.count()).select_from(AccountLink).where(
        AccountLink.organisation_id == organisation.id, AccountLink.purpose == "invite",
        AccountLink.used_at.is_(None), AccountLink.expires_at > now))
    if waiting >= MAX_PENDING:
        raise Conflict(f"本单位待接受的邀请已有 {MAX_PENDING} 个，请先撤销不需要的邀请", code="too_many_invitations")
    token = links.issue("invite", organisation_id=organisation.id, email=email, created_by=user.username,
                        data={"invited_by": user.username, "invited_by_name": user.display_name})
    queue_mail(mail_key("invite", organisation.id), kind="invite", to=[{"username": "", "email": email}],
               subject=f"【绿色制造】{user.display_name}邀请您加入{organisation.name}",
               body=f"{organisation.name}的{user.display_name}邀请您作为本单位经办人使用吉林省省级绿色制造名单申报评审系统。\n"
                    f"请在 7 天内打开以下链接设置用户名和密码（只能使用一次）：\n"
                    f"{links.link_url(public_url, 'invite', token)}\n如与您无关，请忽略本邮件。")
    db.session.flush()
    link = db.session.scalar(select(AccountLink).where(
        AccountLink.organisation_id == organisation.id, AccountLink.purpose == "invite", AccountLink.email == email,
        AccountLink.used_at.is_(None)).order_by(AccountLink.id.desc()).limit(1))
    audit.append(audit.SYSTEM_CHAIN, actor=user.username, action="invitation_sent",
                 data={"organisation_id": organisation.id, "invitation_id": link.id, "email": email})
    return link


def revoke_invitation(user: User, invitation_id: int) -> None:
    link = db.session.get(AccountLink, invitation_id)
    if (link is None or link.purpose != "invite" or user.organisation_id is None
            or link.organisation_id != user.organisation_id or link.used_at is not None):
        raise NotFound(f"邀请 {invitation_id} 不存在或已失效")
    link.used_at = utcnow()
    link.data = {**(link.data or {}), "revoked_by": user.username}
    audit.append(audit.SYSTEM_CHAIN, actor=user.username, action="invitation_revoked",
                 data={"organisation_id": link.organisation_id, "invitation_id": link.id, "email": link.email})


def invitation_for(token: str) -> tuple[AccountLink, Organisation]:
    """The live invitation behind a link and its unit (for the join page), or LinkInvalid."""
    link = links.peek(token, "invite")
    organisation = db.session.get(Organisation, link.organisation_id)
    if organisation is None or organisation.status != "confirmed":
        raise links.LinkInvalid("邀请所属单位当前不能接受新成员，请联系邀请人")
    return link, organisation


def join(token: str, values: dict) -> User:
    """Accept an invitation: a new applicant account of the inviting unit, its address verified by the mail."""
    link, organisation = invitation_for(token)
    text = {name: (values.get(name) if isinstance(values.get(name), str) else "").strip()
            for name in ("username", "display_name", "phone")}
    password = values.get("password") if isinstance(values.get("password"), str) else ""
    errors = account_problems(username=text["username"], password=password, credit_code=organisation.credit_code,
                              display_name=text["display_name"])
    if len(text["phone"]) > 30:
        errors["phone"] = ["电话不能超过 30 个字符"]
    if errors:
        raise Invalid("账号信息不正确，请按提示修改", fields=errors)
    refuse_taken_username(text["username"])
    links.redeem(token, "invite")
    now = utcnow()
    user = User(username=text["username"], display_name=text["display_name"], roles=["applicant"],
                email=link.email, email_verified_at=now, phone=text["phone"] or None, active=True, created_at=now)
    user.set_password(password)
    attach_account(user, organisation)
    db.session.add(user)
    db.session.flush()
    audit.append(audit.SYSTEM_CHAIN, actor=user.username, action="invitation_accepted",
                 data={"organisation_id": organisation.id, "invitation_id": link.id, "user_id": user.id,
                       "username": user.username, "invited_by": (link.data or {}).get("invited_by")})
    return user
