"""Enterprise self-registration: a unit registers, verifies its e-mail, and its city bureau confirms or
refuses it with a reason. Every step is one transaction (the caller's): state, audit row and mails together.

States (Organisation.status): pending_email → pending_city → confirmed | refused; a refused unit may
correct its details and submit again (refused → pending_city), so a typo does not cost it its credit code.
"""
from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import func, select, update

from service.accounts import links
from service.accounts.admin import USERNAME  # one rule for every account
from service.accounts.models import User, UserRole
from service.accounts.passwords import password_problem
from service.audit import chain as audit
from service.notify.outbox import queue_mail
from service.organisations.models import STATUSES, Organisation, RegistrationAttempt
from service.organisations.service import (FIELDS, attach_account, create_organisation, normalise,
                                           organisation_by_code, organisation_problems, rename_organisation)
from service.platform.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited
from service.platform.extensions import db
from service.platform.inputs import text_problem
from service.platform.reference import CITIES
from service.platform.timeutil import utcnow

ATTEMPT_WINDOW = timedelta(hours=1)
MAX_ATTEMPTS_PER_ADDRESS = 10  # a park office registering its firms one after another still fits
ANONYMOUS = "anonymous"
PROVINCE = ("province_staff", "admin")


def account_problems(*, username: str, password: str, credit_code: str = "",
                     display_name: str | None = None) -> dict[str, list[str]]:
    """{field: [Chinese reason]} for a new account's username, password (the one policy) and name."""
    errors: dict[str, list[str]] = {}
    if not username:
        errors["username"] = ["请填写用户名"]
    elif not USERNAME.match(username):
        errors["username"] = ["用户名应为 3–64 位字母、数字或 _ . -，以字母或数字开头"]
    problem = password_problem(password, username=username, credit_code=credit_code)
    if problem:
        errors["password"] = [problem]
    if display_name is not None:
        if not display_name:
            errors["display_name"] = ["请填写姓名"]
        elif text_problem(display_name) or len(display_name) > 100:
            errors["display_name"] = [text_problem(display_name) or "姓名不能超过 100 个字符"]
    return errors


def refuse_taken_username(username: str) -> None:
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict("该用户名已被使用，请换一个", code="username_taken", fields={"username": ["该用户名已被使用"]})


def _count_attempt(remote_addr: str) -> None:
    address = (remote_addr or "unknown")[:64]
    since = utcnow() - ATTEMPT_WINDOW
    recent = db.session.scalar(select(func.count()).select_from(RegistrationAttempt)
                               .where(RegistrationAttempt.remote_addr == address, RegistrationAttempt.at >= since))
    if recent >= MAX_ATTEMPTS_PER_ADDRESS:
        raise RateLimited("本地址一小时内提交的注册过多，请稍后再试",
                          details={"retry_after": int(ATTEMPT_WINDOW.total_seconds())})
    db.session.add(RegistrationAttempt(remote_addr=address, at=utcnow()))


def mail_key(kind: str, *parts) -> str:
    return ":".join([kind, *map(str, parts), secrets.token_hex(6)])


def unit_recipients(organisation_id: int) -> list[dict]:
    """The unit's accounts with an address (a handful per unit, found by the organisation index)."""
    users = db.session.scalars(select(User).where(User.organisation_id == organisation_id, User.email.is_not(None))
                               .order_by(User.id).limit(200))
    return [{"username": u.username, "email": u.email} for u in users]


def city_reviewer_recipients(city_code: str) -> list[dict]:
    """The active city reviewers of one city who take e-mail, by the role index."""
    users = db.session.scalars(select(User).join(UserRole, UserRole.user_id == User.id)
                               .where(UserRole.role == "city_reviewer", User.city_code == city_code,
                                      User.active.is_(True), User.receive_email.is_(True),
                                      User.email.is_not(None)).order_by(User.id).limit(200))
    return [{"username": u.username, "email": u.email} for u in users]


def _describe(organisation: Organisation) -> str:
    flag = "\n注意：该统一社会信用代码的登记管理机关不在吉林省，请核实。" if organisation.outside_jilin else ""
    return (f"单位：{organisation.name}\n统一社会信用代码：{organisation.credit_code}\n"
            f"所在地：{CITIES.get(organisation.city_code, organisation.city_code)} {organisation.county}\n"
            f"联系人：{organisation.contact_name} {organisation.contact_phone} {organisation.contact_email}{flag}")


def register_unit(values: dict, *, remote_addr: str, public_url: str) -> Organisation | None:
    """A new unit and its first account, with a verification mail; Invalid naming each bad field.

    None when the credit code is already registered: the unit's accounts are told (someone tried to
    register their unit), which the caller commits before refusing with ``already_registered()``.
    """
    clean = normalise(values)
    username = (values.get("username") if isinstance(values.get("username"), str) else "").strip()
    password = values.get("password") if isinstance(values.get("password"), str) else ""
    errors = organisation_problems(clean)
    errors.update(account_problems(username=username, password=password, credit_code=clean["credit_code"]))
    if errors:
        raise Invalid("注册信息不正确，请按提示修改", fields=errors)
    _count_attempt(remote_addr)
    existing = organisation_by_code(clean["credit_code"])
    if existing is not None:
        _tell_unit_of_second_registration(existing, clean, remote_addr, public_url)
        return None
    refuse_taken_username(username)
    organisation = create_organisation(clean, actor=username, status="pending_email")
    user = User(username=username, display_name=clean["contact_name"], roles=["applicant"],
                email=clean["contact_email"], phone=clean["contact_phone"], created_at=utcnow(),
                active=False)  # may log in once the address is verified
    user.set_password(password)
    attach_account(user, organisation)
    db.session.add(user)
    db.session.flush()
    audit.append(audit.SYSTEM_CHAIN, actor=username, action="account_registered",
                 data={"user_id": user.id, "username": username, "organisation_id": organisation.id,
                       "roles": ["applicant"], "remote_addr": remote_addr})
    send_verification(user, organisation, public_url=public_url)
    return organisation


def send_verification(user: User, organisation: Organisation, *, public_url: str) -> None:
    """A verification link to the address the unit registered with (an earlier unused one stops working)."""
    token = links.issue("verify_email", user_id=user.id, organisation_id=organisation.id,
                        email=user.email, created_by=user.username)
    queue_mail(mail_key("verify_email", organisation.id), kind="verify_email",
               to=[{"username": user.username, "email": user.email}],
               subject="【绿色制造】请验证您的注册邮箱",
               body=f"您好，{organisation.name}已在吉林省省级绿色制造名单申报评审系统提交注册。\n"
                    f"请在 3 天内打开以下链接验证邮箱（只能使用一次）：\n"
                    f"{links.link_url(public_url, 'verify_email', token)}\n"
                    f"验证后由{CITIES[organisation.city_code]}工信部门确认，确认后即可申报。\n"
                    f"如非本单位操作，请忽略本邮件。")


def _tell_unit_of_second_registration(organisation: Organisation, attempt: dict, remote_addr: str,
                                      public_url: str) -> None:
    """Tell the unit's accounts; a unit that never verified its address (a lost mail) gets a fresh link
    at the address it registered with, not at the one typed this time."""
    if organisation.status == "pending_email":
        first = db.session.scalar(select(User).where(User.organisation_id == organisation.id,
                                                     User.email_verified_at.is_(None), User.email.is_not(None))
                                  .order_by(User.id).limit(1))
        if first is not None:
            send_verification(first, organisation, public_url=public_url)
    recipients = unit_recipients(organisation.id) or (
        [{"username": "", "email": organisation.contact_email}] if organisation.contact_email else [])
    audit.append(audit.SYSTEM_CHAIN, actor=ANONYMOUS, action="registration_duplicate_refused",
                 data={"organisation_id": organisation.id, "credit_code": organisation.credit_code,
                       "attempted_name": attempt["name"], "attempted_email": attempt["contact_email"],
                       "remote_addr": remote_addr})
    if recipients:
        queue_mail(mail_key("duplicate_registration", organisation.id), kind="duplicate_registration",
                   to=recipients, subject="【绿色制造】有人尝试用本单位的统一社会信用代码注册",
                   body=f"有人以统一社会信用代码 {organisation.credit_code} 再次提交注册（填写的单位名称：{attempt['name']}，"
                        f"联系邮箱：{attempt['contact_email']}），系统已拒绝。\n"
                        f"如是本单位同事，请登录系统在“我的单位”中邀请其加入；如非本单位人员，请留意账号安全。")


def already_registered() -> Conflict:
    return Conflict("该统一社会信用代码已注册，已通知该单位已有的账号。如您是该单位人员，请同事在“我的单位”中邀请您加入；"
                    "如本单位尚未验证邮箱，验证邮件已重新发往注册时填写的邮箱", code="duplicate_credit_code",
                    fields={"credit_code": ["该统一社会信用代码已注册"]})


def verify_email(token: str, *, public_url: str) -> Organisation:
    """Spend the verification link: the account may log in, the registration goes to its city's queue."""
    link = links.redeem(token, "verify_email")
    organisation = db.session.get(Organisation, link.organisation_id, with_for_update=True)
    user = db.session.get(User, link.user_id)
    if organisation is None or user is None:
        raise links.LinkInvalid("邮箱验证链接无效，请核对邮件中的链接")
    user.email_verified_at = utcnow()
    user.active = True
    if organisation.status != "pending_email":
        return organisation
    organisation.status = "pending_city"
    audit.append(audit.SYSTEM_CHAIN, actor=user.username, action="registration_email_verified",
                 data={"organisation_id": organisation.id, "user_id": user.id, "before": "pending_email",
                       "after": "pending_city"})
    _tell_city(organisation, public_url, "新的单位注册待确认")
    return organisation


def _tell_city(organisation: Organisation, public_url: str, what: str) -> None:
    recipients = city_reviewer_recipients(organisation.city_code)
    if recipients:
        queue_mail(mail_key("registration_waiting", organisation.id), kind="registration_waiting", to=recipients,
                   subject=f"【绿色制造】{what}：{organisation.name}",
                   body=f"{_describe(organisation)}\n请登录系统在“单位注册”中确认或退回："
                        f"{public_url.rstrip('/')}/registrations")


# -- the city's queue ------------------------------------------------------------------------------------

def _decides_everywhere(user: User) -> bool:
    return any(user.has_role(role) for role in PROVINCE)


def check_may_decide(user: User, organisation: Organisation) -> None:
    """Confirm, refuse or rename: the unit's city bureau, or the province."""
    if _decides_everywhere(user):
        return
    if user.has_role("city_reviewer") and user.city_code and user.city_code == organisation.city_code:
        return
    if user.has_role("city_reviewer"):
        raise Forbidden("只能办理本市州的单位注册", code="other_city")
    raise Forbidden("您的角色无权办理单位注册")


def registration_queue(user: User, *, status: str = "pending_city", city_code: str | None = None,
                       credit_code: str | None = None, page: int = 1, page_size: int = 20) -> dict:
    """One page of registrations in ``status``: a city reviewer sees its own city's only."""
    if status not in STATUSES:
        raise Invalid("状态不正确", fields={"status": [f"应为 {'、'.join(STATUSES)} 之一"]})
    if not _decides_everywhere(user):
        if not (user.has_role("city_reviewer") and user.city_code):
            raise Forbidden("您的角色无权查看单位注册")
        if city_code and city_code != user.city_code:
            raise Forbidden("只能查看本市州的单位注册", code="other_city")
        city_code = user.city_code
    where = [Organisation.status == status]
    if city_code:
        where.append(Organisation.city_code == city_code)
    if credit_code:
        where.append(Organisation.credit_code == credit_code.strip().upper())
    total = db.session.scalar(select(func.count()).select_from(Organisation).where(*where))
    items = db.session.scalars(select(Organisation).where(*where).order_by(Organisation.created_at, Organisation.id)
                               .offset((page - 1) * page_size).limit(page_size)).all()
    return {"items": items, "total": total, "page": page, "page_size": page_size}


def waiting_count(user: User) -> int | None:
    """How many registrations wait for ``user`` (None when they decide none): the inbox's tab."""
    query = waiting(user)
    return None if query is None else db.session.scalar(query)


def waiting(user: User):
    """The count of the registrations waiting for ``user``, by index (the province's by ix_organisation_status,
    a city's by ix_organisation_city_status): the inbox asks at every page. None when they decide none."""
    if _decides_everywhere(user):
        where = [Organisation.status == "pending_city"]
    elif user.has_role("city_reviewer") and user.city_code:
        where = [Organisation.status == "pending_city", Organisation.city_code == user.city_code]
    else:
        return None
    return select(func.count()).select_from(Organisation).where(*where)


def _reason_problem(reason: str) -> str | None:
    if not reason:
        return "请填写退回原因，单位将看到它"
    if text_problem(reason, multiline=True) or len(reason) > 500:
        return text_problem(reason, multiline=True) or "原因不能超过 500 个字符"
    return None


def decide_registration(user: User, organisation_id: int, *, confirm: bool, reason: str = "") -> Organisation:
    """The city's answer to a registration waiting for it: confirmed (the unit may declare) or refused
    with a reason the unit reads. Audited with before and after, mailed to the unit's accounts."""
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not confirm and _reason_problem(reason):
        raise Invalid("请说明退回原因", fields={"reason": [_reason_problem(reason)]})
    if confirm and reason and _reason_problem(reason):
        raise Invalid("备注不正确", fields={"reason": [_reason_problem(reason)]})
    organisation = db.session.get(Organisation, organisation_id, with_for_update=True)
    if organisation is None:
        raise NotFound(f"单位注册 {organisation_id} 不存在")
    check_may_decide(user, organisation)
    if organisation.status != "pending_city":
        raise Conflict(f"该注册当前为“{STATUSES.get(organisation.status)}”，不在待确认状态",
                       code="registration_not_pending")
    after = "confirmed" if confirm else "refused"
    organisation.status, organisation.status_reason = after, reason
    organisation.decided_by, organisation.decided_at = user.username, utcnow()
    audit.append(audit.SYSTEM_CHAIN, actor=user.username,
                 action="registration_confirmed" if confirm else "registration_refused",
                 data={"organisation_id": organisation.id, "credit_code": organisation.credit_code,
                       "before": "pending_city", "after": after, "reason": reason})
    city = CITIES.get(organisation.city_code, "")
    body = (f"{organisation.name}的注册已由{city}工信部门确认，本单位的账号现在可以申报。" if confirm else
            f"{organisation.name}的注册未通过{city}工信部门确认。\n原因：{reason}\n"
            f"请登录系统，在“我的单位”中按原因更正后重新提交。")
    queue_mail(mail_key("registration_decided", organisation.id), kind="registration_decided",
               to=unit_recipients(organisation.id),
               subject=f"【绿色制造】单位注册{'已确认' if confirm else '未通过'}", body=body)
    return organisation


# -- what a unit or its bureau may change afterwards ------------------------------------------------------

CORRECTABLE = tuple(name for name in FIELDS if name != "credit_code")


def resubmit(user: User, values: dict, *, public_url: str) -> Organisation:
    """A refused unit corrects its details (not its credit code) and goes back to its city's queue."""
    if user.organisation_id is None:
        raise NotFound("您的账号不属于任何申报单位")
    organisation = db.session.get(Organisation, user.organisation_id, with_for_update=True)
    if organisation.status != "refused":
        raise Conflict(f"本单位注册当前为“{STATUSES.get(organisation.status)}”，只有未通过的注册可以更正后重新提交",
                       code="registration_not_refused")
    current = {name: getattr(organisation, name) for name in FIELDS}
    given = {name: values[name] for name in CORRECTABLE if isinstance(values.get(name), str)}
    clean = normalise({**current, **given, "credit_code": organisation.credit_code})
    errors = organisation_problems(clean)
    if errors:
        raise Invalid("单位信息不正确，请按提示修改", fields=errors)
    changed = {name: {"before": current[name], "after": clean[name]} for name in CORRECTABLE
               if clean[name] != current[name]}
    if "name" in changed:
        rename_organisation(organisation, clean["name"], reason="注册未通过后更正", actor=user.username)
    for name in CORRECTABLE:
        if name != "name":
            setattr(organisation, name, clean[name])
    if "city_code" in changed:
        db.session.execute(update(User).where(User.organisation_id == organisation.id)
                           .values(city_code=clean["city_code"]))
    before_reason = organisation.status_reason
    organisation.status, organisation.status_reason = "pending_city", ""
    organisation.decided_by = organisation.decided_at = None
    audit.append(audit.SYSTEM_CHAIN, actor=user.username, action="registration_resubmitted",
                 data={"organisation_id": organisation.id, "before": "refused", "after": "pending_city",
                       "refusal_reason": before_reason, "changes": changed})
    _tell_city(organisation, public_url, "单位更正后重新提交注册")
    return organisation


def rename_by_bureau(user: User, organisation_id: int, *, name: str, reason: str) -> Organisation:
    """A change of name, made by the unit's city bureau or the province once the unit has shown its new
    business licence: the name reaches the public list, so the unit does not type it over itself."""
    organisation = db.session.get(Organisation, organisation_id, with_for_update=True)
    if organisation is None:
        raise NotFound(f"单位 {organisation_id} 不存在")
    check_may_decide(user, organisation)
    old_name, reason = organisation.name, (reason if isinstance(reason, str) else "").strip()
    rename_organisation(organisation, name if isinstance(name, str) else "", reason=reason, actor=user.username)
    queue_mail(mail_key("organisation_renamed", organisation.id), kind="organisation_renamed",
               to=unit_recipients(organisation.id), subject="【绿色制造】本单位名称已变更",
               body=f"本单位名称已由“{old_name}”变更为“{organisation.name}”（办理人：{user.display_name}）。\n"
                    f"原因：{reason}")
    return organisation
