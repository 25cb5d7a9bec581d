"""Accounts the administrator manages: province staff, city reviewers, experts, auditors, administrators.

One set of rules for the API, the pages, the xlsx import, `create-admin` and the demo seed: every account
is created, changed, deactivated and reactivated here, and every change goes on the system audit chain
with the changed fields before and after (never a password or its hash).
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, or_, select

from service.accounts import links
from service.accounts.models import User, UserRole
from service.accounts.passwords import password_problem
from service.accounts.roles import all_roles
from service.accounts.service import change_password, deactivate_user
from service.audit import chain as audit
from service.notify.outbox import queue_mail
from service.platform.errors import Conflict, Invalid, NotFound
from service.platform.extensions import db
from service.platform.inputs import text_problem
from service.platform.reference import CITIES
from service.versions.categories import known_categories

CITY_ROLES = ("expert", "applicant")  # built-ins for which a city means something besides their scope
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,63}$")
EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
MOBILE = re.compile(r"^1[3-9][0-9]{9}$")  # [0-9], not \d: \d also matches other scripts' digits
LANDLINE = re.compile(r"^0[0-9]{2,3}-?[0-9]{7,8}(-[0-9]{1,6})?$")
# GB/T 4754-2017: section letter, then division … class digits; the letter is often left off (3670), and
# the panels match codes with or without it.
INDUSTRY_CODE = re.compile(r"^[A-T]?[0-9]{2,4}$")
# Fields an account carries and the audit records; ``active`` and the password have their own commands.
PROFILE = ("display_name", "roles", "city_code", "email", "phone", "employer", "specialties", "industry_codes")
FIELD_NAMES = {"username": "用户名", "display_name": "姓名", "roles": "账号类型", "city_code": "所在市州",
               "email": "邮箱", "phone": "手机", "employer": "工作单位", "specialties": "专业类别",
               "industry_codes": "行业代码", "unit_name": "单位名称"}
TEXT_LIMITS = {"display_name": 100, "employer": 200, "email": 200, "phone": 30, "unit_name": 200}


@dataclass
class Created:
    """A new account and how its owner gets in: a link mailed to ``user.email``, or ``temporary_password``
    shown to the administrator once (the owner must change it at first login), or neither (a preset one)."""

    user: User
    temporary_password: str | None = None
    link_sent: bool = False


def get_account_or_404(account_id: int) -> User:
    user = db.session.get(User, account_id)
    if user is None:
        raise NotFound(f"账号 {account_id} 不存在")
    return user


def _as_list(value) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = re.split(r"[\s,，、;；]+", value)
    return [str(item).strip() for item in value if str(item).strip()]


def normalise(values: dict) -> dict:
    """Stripped text (empty → None) and lists, as the rules below expect them."""
    clean = {}
    for key, value in values.items():
        if key in ("roles", "specialties", "industry_codes"):
            clean[key] = list(dict.fromkeys(_as_list(value)))  # each once, in the order given
        elif isinstance(value, str):
            clean[key] = value.strip() or None
        else:
            clean[key] = value
    if clean.get("industry_codes"):
        clean["industry_codes"] = list(dict.fromkeys(code.upper() for code in clean["industry_codes"]))
    return clean


def account_kinds() -> dict[str, str]:
    """key -> name of the kinds of account an administrator makes: every role of the deployment's table
    but the applicant's (applicants register themselves, see organisations)."""
    return {role.key: role.name for role in all_roles() if role.key != "applicant"}


def account_problems(values: dict, *, roles_allowed=None, unit_code: str | None = None) -> dict[str, list[str]]:
    """Every field of a whole account (normalised) that breaks a rule: {field: [中文原因]}. ``roles_allowed``
    defaults to every role of the deployment; ``unit_code`` is the account's unit, if it belongs to one."""
    errors: dict[str, list[str]] = {}
    roles = all_roles()
    if roles_allowed is None:
        roles_allowed = tuple(role.key for role in roles)
    values = {**values, "_roles": {role.key: role for role in roles}, "_unit_code": unit_code}

    def bad(field, reason):
        errors.setdefault(field, []).append(reason)

    for check in (_text_problems, _role_problems, _contact_problems, _expert_problems):
        check(values, bad, roles_allowed)
    return errors


def _text_problems(values, bad, _roles_allowed) -> None:
    for field, limit in TEXT_LIMITS.items():
        text = values.get(field)
        if text is not None and (not isinstance(text, str) or text_problem(text)):
            bad(field, text_problem(text) if isinstance(text, str) else "应为文字")
        elif text and len(text) > limit:
            bad(field, f"不能超过 {limit} 个字符")
    username = values.get("username")
    if not username:
        bad("username", "必填项")
    elif not isinstance(username, str) or not USERNAME.match(username):
        bad("username", "用户名应为 3–64 位字母、数字或 _ . -，以字母或数字开头")
    if not values.get("display_name"):
        bad("display_name", "必填项")


def _role_problems(values, bad, roles_allowed) -> None:
    roles, city, known = values.get("roles") or [], values.get("city_code"), values["_roles"]
    if not roles:
        bad("roles", "请选择账号类型")
    choices = "、".join(known[k].name for k in roles_allowed if k in known and k != "applicant")
    for role in roles:
        if role not in roles_allowed or role not in known:
            bad("roles", f"未知的账号类型“{role}”，可选：{choices}")
    scoped = [known[role] for role in roles if role in known]
    if city is not None and city not in CITIES:
        bad("city_code", f"“{city}”不是吉林省的市州代码（如 220100 长春市）")
    elif not city and any(role.scope == "city" for role in scoped):
        bad("city_code", f"{'、'.join(r.name for r in scoped if r.scope == 'city')}账号必须选择所在市州")
    elif city and roles and not any(role.key in CITY_ROLES or role.scope == "city" for role in scoped):
        bad("city_code", "该类账号不设所在市州，请留空")
    if not values["_unit_code"] and any(r.scope == "organisation" and r.key != "applicant" for r in scoped):
        bad("roles", f"{'、'.join(r.name for r in scoped if r.scope == 'organisation' and r.key != 'applicant')}"
                     f"按单位办理，只能授予已关联单位的账号")


def _contact_problems(values, bad, _roles_allowed) -> None:
    email, phone = values.get("email"), values.get("phone")
    if email and (len(email) > 200 or not EMAIL.match(email)):
        bad("email", "邮箱格式不正确（如 name@example.com）")
    if phone and not (MOBILE.match(phone) or LANDLINE.match(phone)):
        bad("phone", "应为 11 位手机号，或带区号的固定电话（如 0431-88888888）")


def _expert_problems(values, bad, _roles_allowed) -> None:
    specialties, codes = values.get("specialties") or [], values.get("industry_codes") or []
    known = known_categories() if specialties else {}
    for key in specialties:
        if key not in known:
            bad("specialties", f"未知的专业类别“{key}”，可选：{'、'.join(known.values())}")
    for code in codes:
        if not INDUSTRY_CODE.match(code):
            bad("industry_codes", f"“{code}”不是国民经济行业代码（GB/T 4754，如 C3670 或 3670：门类字母加 2–4 位数字，字母可省略）")
    if len(codes) > 30:
        bad("industry_codes", "最多填写 30 个行业代码")
    if (specialties or codes) and "expert" not in (values.get("roles") or []):
        bad("specialties" if specialties else "industry_codes", "仅评审专家填写专业类别和行业代码")


def taken_usernames(usernames) -> set[str]:
    """Which of ``usernames`` exist already, asked in chunks (an import names hundreds at once)."""
    wanted, taken = sorted(set(usernames)), set()
    for start in range(0, len(wanted), 500):
        taken.update(db.session.scalars(select(User.username).where(User.username.in_(wanted[start:start + 500]))))
    return taken


def _snapshot(user: User, fields=PROFILE) -> dict:
    return {field: getattr(user, field) for field in fields}


def _record(actor: str, action: str, user: User, before: dict, after: dict) -> None:
    audit.append(audit.SYSTEM_CHAIN, actor=actor, action=action,
                 data={"account_id": user.id, "username": user.username, "before": before, "after": after})


def create_account(*, actor: str, values: dict, base_url: str | None = None, roles_allowed=None,
                   preset_password: str | None = None) -> Created:
    """Create one account from ``values`` (username, display_name, roles, city_code, email, phone, employer,
    specialties, industry_codes; unit_name for an applicant) after checking every field.

    With an e-mail the owner gets a single-use set-password link at ``base_url`` (GREENLIST_PUBLIC_URL);
    without one, a temporary password comes back for the administrator to hand over once.
    ``preset_password`` (never exposed by the API or pages) is stored as given, with no link and no policy
    check here: `create-admin` passes the password it read and checked, the demo seed its "demo"; the
    account is validated and audited like any other.
    """
    unknown = set(values) - set(FIELD_NAMES)
    if unknown:  # a caller's mistake (the edges only pass these): never drop what it meant to set
        raise ValueError(f"create_account takes {sorted(FIELD_NAMES)}, not {sorted(unknown)}")
    values = normalise(values)
    errors = account_problems(values, roles_allowed=roles_allowed)
    if not errors.get("username") and taken_usernames([values["username"]]):
        errors["username"] = [f"用户名“{values['username']}”已被使用"]
    if errors:
        raise Invalid("账号信息未通过校验，请按各项的提示修改", fields=errors)
    return insert_checked(actor=actor, values=values, base_url=base_url, preset_password=preset_password)


def insert_checked(*, actor: str, values: dict, base_url: str | None, preset_password: str | None = None) -> Created:
    """Write an account whose values ``account_problems`` and ``taken_usernames`` have passed."""
    user = User(username=values["username"], display_name=values["display_name"], roles=list(values["roles"]),
                city_code=values.get("city_code"), unit_name=values.get("unit_name"), email=values.get("email"),
                phone=values.get("phone"), employer=values.get("employer"),
                specialties=list(values.get("specialties") or []),
                industry_codes=list(values.get("industry_codes") or []), active=True)
    created = Created(user)
    if preset_password is not None:
        user.set_password(preset_password)
    elif user.email:
        user.password_hash = "!"  # no password can match until the owner sets one through the link
        user.must_change_password = False
    else:
        created.temporary_password = temporary_password(user.username)
        user.set_password(created.temporary_password)
        user.must_change_password = True
    db.session.add(user)
    db.session.flush()
    after = {"username": user.username, **_snapshot(user), "active": True,
             "must_change_password": user.must_change_password}
    _record(actor, "account_created", user, {}, after)
    if preset_password is None and user.email:
        send_set_password_link(user, base_url=base_url, actor=actor)
        created.link_sent = True
    return created


def temporary_password(username: str) -> str:
    while True:
        candidate = secrets.token_urlsafe(9)  # 12 characters, ~72 bits
        if password_problem(candidate, username=username) is None:
            return candidate


def send_set_password_link(user: User, *, base_url: str | None, actor: str) -> None:
    if not base_url:
        raise ValueError("base_url (GREENLIST_PUBLIC_URL) is needed to mail a set-password link")
    token = links.issue("set_password", user_id=user.id, email=user.email, created_by=actor)
    url = links.link_url(base_url, "set_password", token)
    # The key outlives the mail's body (whose token is blanked once sent): it holds a digest, not the token.
    queue_mail(f"set_password:{hashlib.sha256(token.encode()).hexdigest()[:32]}", kind="set_password",
               to=[{"username": user.username, "email": user.email}],
               subject="【绿色制造】您的账号已开通，请设置密码",
               body=f"{user.display_name}，您好：\n管理员已为您开通吉林省省级绿色制造名单申报评审系统账号，"
                    f"用户名：{user.username}。\n请在 7 天内打开以下链接设置密码（链接只能使用一次）：\n{url}\n")


def reissue_access(user: User, *, actor: str, base_url: str | None) -> Created:
    """A way back in for someone who lost it: a new set-password link when the account has an e-mail (earlier
    links end), otherwise a new temporary password that ends every session and must be changed at login."""
    if user.username == actor:
        raise Conflict("不能为自己重新发放，请在个人设置中修改密码", code="own_account")
    if not user.active:
        raise Conflict(f"账号“{user.username}”已停用，请先重新启用", code="inactive_account")
    created = Created(user)
    if user.email:
        send_set_password_link(user, base_url=base_url, actor=actor)
        created.link_sent = True
    else:
        created.temporary_password = temporary_password(user.username)
        change_password(user, created.temporary_password)
        user.must_change_password = True
    audit.append(audit.SYSTEM_CHAIN, actor=actor, action="account_access_reissued",
                 data={"account_id": user.id, "username": user.username,
                       "by": "set_password_link" if created.link_sent else "temporary_password"})
    return created


def update_account(user: User, *, actor: str, changes: dict, roles_allowed=None) -> dict:
    """Change profile fields of ``user`` (username, active state and password have their own commands);
    returns {field: [before, after]} of what changed. Refuses an administrator taking away its own role."""
    unknown = set(changes) - set(PROFILE)
    if unknown:
        raise Invalid("不能修改这些字段", fields={field: ["不能通过编辑修改"] for field in sorted(unknown)})
    changes = normalise(changes)
    merged = {"username": user.username, "unit_name": user.unit_name, **_snapshot(user), **changes}
    allowed = None if roles_allowed is None else (*roles_allowed, *user.roles)
    errors = account_problems(merged, roles_allowed=allowed, unit_code=user.unit_code)
    if actor == user.username and user.has_role("admin") and "admin" not in (merged["roles"] or []):
        errors.setdefault("roles", []).append("不能取消自己的管理员身份")
    if errors:
        raise Invalid("账号信息未通过校验，请按各项的提示修改", fields=errors)
    before = _snapshot(user)
    for field, value in changes.items():
        setattr(user, field, list(value) if isinstance(value, list) else value)
    after = _snapshot(user)
    changed = {field: [before[field], after[field]] for field in PROFILE if before[field] != after[field]}
    if changed:
        _record(actor, "account_updated", user, {f: before[f] for f in changed}, {f: after[f] for f in changed})
    return changed


def deactivate_account(user: User, *, actor: str) -> None:
    """Stop the account: every web session and token it has ends now (accounts.service.deactivate_user)."""
    if user.username == actor:
        raise Conflict("不能停用自己的账号", code="own_account")
    if not user.active:
        raise Conflict(f"账号“{user.username}”已是停用状态", code="already_inactive")
    deactivate_user(user)
    _record(actor, "account_deactivated", user, {"active": True}, {"active": False})


def reactivate_account(user: User, *, actor: str) -> None:
    if user.active:
        raise Conflict(f"账号“{user.username}”已是启用状态", code="already_active")
    user.active = True
    _record(actor, "account_reactivated", user, {"active": False}, {"active": True})


def account_query(*, role: str | None = None, city: str | None = None, active: bool | None = None,
                  q: str | None = None):
    """Accounts matching the filters, by id; the role goes through the user_role index."""
    query = select(User)
    if role:
        query = query.join(UserRole, UserRole.user_id == User.id).where(UserRole.role == role)
    if city:
        query = query.where(User.city_code == city)
    if active is not None:
        query = query.where(User.active.is_(active))
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(User.username.ilike(pattern, escape="\\"),
                                User.display_name.ilike(pattern, escape="\\")))
    return query


def list_accounts(*, page: int = 1, page_size: int = 20, **filters) -> dict:
    query = account_query(**filters)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    items = db.session.scalars(query.order_by(User.id).limit(page_size).offset((page - 1) * page_size)).all()
    return {"items": items, "total": total, "page": page, "page_size": page_size}
