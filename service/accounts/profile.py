"""Self-service: a user's own password and 个人信息 (name, phone, e-mail, whether to receive e-mail)."""
from __future__ import annotations

import re
import secrets

from service.accounts.models import User
from service.accounts.passwords import password_problem
from service.accounts.service import authenticate, change_password
from service.audit import chain as audit
from service.notify.outbox import queue_mail
from service.platform.errors import Invalid
from service.platform.inputs import text_problem
from service.platform.timeutil import utcnow

PROFILE_FIELDS = ("display_name", "phone", "email", "receive_email")
MOBILE = re.compile(r"1[3-9]\d{9}")
LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}(-\d{1,6})?")
EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
PHONE_HINT = "请填写 11 位手机号，或带区号的固定电话（如 0431-88888888）"


def change_own_password(user: User, *, current: str, new: str, remote_addr: str) -> bool:
    """Change ``user``'s password after checking the current one; False (with the failure recorded for the
    login throttle, which the caller commits before refusing) when the current password is wrong.

    Every session and token of the user ends (accounts.change_password); the caller may start a new one
    for the request that made the change. A forced change at first login is over.
    """
    problem = password_problem(new, username=user.username, credit_code=user.unit_code or "")
    if not problem and user.check_password(new):
        problem = "新密码不能与当前密码相同"
    if problem:
        raise Invalid(problem, fields={"new_password": [problem]})
    # The same check as a login, so guessing the current password from a left-open session is throttled.
    if authenticate(user.username, current or "", remote_addr=remote_addr) is None:
        return False
    forced = user.must_change_password
    change_password(user, new)
    user.must_change_password = False
    audit.append(audit.SYSTEM_CHAIN, actor=user.username, action="password_changed",
                 data={"user": user.username, "forced": bool(forced)})
    return True


def profile_problems(changes: dict) -> tuple[dict, dict]:
    """(clean values, {field: [中文原因]}) for the 个人信息 fields present in ``changes``."""
    clean, errors = {}, {}
    for field, check in (("display_name", _display_name), ("phone", _phone), ("email", _email),
                         ("receive_email", _receive_email)):
        if field in changes:
            value, problem = check(changes[field])
            if problem:
                errors[field] = [problem]
            else:
                clean[field] = value
    return clean, errors


def update_profile(user: User, changes: dict) -> dict:
    """Apply the 个人信息 ``changes`` (any of PROFILE_FIELDS) all or none; returns {field: (before, after)}.

    A new e-mail address is not verified yet; the old address is told about the change, so a session
    someone else holds cannot quietly redirect the account's password-reset mails.
    """
    clean, errors = profile_problems(changes)
    if errors:
        raise Invalid("个人信息未通过校验", fields=errors)
    changed = {field: (getattr(user, field), value) for field, value in clean.items() if getattr(user, field) != value}
    if not changed:
        return {}
    old_email = user.email
    for field, (_, value) in changed.items():
        setattr(user, field, value)
    if "email" in changed:
        user.email_verified_at = None
        if old_email:
            queue_mail(f"email_changed:{user.id}:{secrets.token_hex(8)}", kind="email_changed",
                       to=[{"username": user.username, "email": old_email}], subject="【绿色制造】账号邮箱已更改",
                       body=f"{user.display_name}，您好：\n\n账号 {user.username} 的邮箱已于 "
                            f"{utcnow():%Y-%m-%d %H:%M} (UTC) 由 {old_email} 改为 {user.email or '（空）'}。\n"
                            "如果不是您本人操作，请立即联系管理员。")
    audit.append(audit.SYSTEM_CHAIN, actor=user.username, action="profile_changed",
                 data={"user": user.username, "before": {f: before for f, (before, _) in changed.items()},
                       "after": {f: after for f, (_, after) in changed.items()}})
    return changed


def _display_name(value):
    if not isinstance(value, str) or not value.strip():
        return None, "请填写姓名"
    value = value.strip()
    if len(value) > 100:
        return None, "姓名不能超过 100 个字符"
    return value, text_problem(value)


def _phone(value):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if not isinstance(value, str):
        return None, PHONE_HINT
    value = value.strip().replace(" ", "")
    if not (MOBILE.fullmatch(value) or LANDLINE.fullmatch(value)):
        return None, PHONE_HINT
    return value, None


def _email(value):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if not isinstance(value, str):
        return None, "邮箱格式不正确，如 name@example.com"
    value = value.strip().lower()
    if len(value) > 200:
        return None, "邮箱不能超过 200 个字符"
    if text_problem(value) or not EMAIL.fullmatch(value):
        return None, "邮箱格式不正确，如 name@example.com"
    return value, None


def _receive_email(value):
    if not isinstance(value, bool):
        return None, "应为是或否"
    return value, None
