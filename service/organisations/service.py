"""Organisations (申报单位): the one place their records are written.

Registration, the administrator, the demo seed and migrations of old data all come through here, so a
credit code is checked the same way everywhere and every change lands on the system audit chain.
"""
from __future__ import annotations

import re

from sqlalchemy import select, update

from service.accounts.models import User
from service.applications.models import Application
from service.audit import chain as audit
from service.forms.credit_code import organisation_credit_code_error, registered_in_jilin
from service.organisations.models import KINDS, Organisation, OrganisationNameChange
from service.platform.errors import Conflict, Forbidden, Invalid, NotFound
from service.platform.extensions import db
from service.platform.inputs import text_problem
from service.platform.reference import CITIES
from service.platform.timeutil import utcnow

# field: (Chinese label, longest accepted, required)
FIELDS = {
    "credit_code": ("统一社会信用代码", 18, True),
    "name": ("单位名称", 200, True),
    "kind": ("单位类型", 20, True),
    "city_code": ("所在市州", 6, True),
    "county": ("所在县（市、区）", 100, True),
    "address": ("单位地址", 300, False),
    "legal_representative": ("法定代表人", 100, False),
    "contact_name": ("联系人", 100, True),
    "contact_phone": ("联系电话", 30, True),
    "contact_email": ("联系邮箱", 200, True),
}
PHONE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}$")


def normalise(values: dict) -> dict:
    """Stripped strings for the known fields (None and missing become ''); the credit code upper-cased."""
    clean = {name: (values.get(name) if isinstance(values.get(name), str) else "").strip() for name in FIELDS}
    clean["credit_code"] = clean["credit_code"].upper()
    return clean


def organisation_problems(values: dict, *, only: tuple[str, ...] | None = None) -> dict[str, list[str]]:
    """{field: [Chinese reason]} for normalised ``values`` (all fields, or ``only`` these)."""
    errors: dict[str, list[str]] = {}
    for name in only or FIELDS:
        label, longest, required = FIELDS[name]
        value = values.get(name, "")
        if not value:
            if required:
                errors[name] = [f"请填写{label}"]
            continue
        problem = text_problem(value) or (f"{label}不能超过 {longest} 个字符" if len(value) > longest else None)
        if problem is None and name == "credit_code":
            problem = organisation_credit_code_error(value)
        elif problem is None and name == "kind" and value not in KINDS:
            problem = f"单位类型应为{'或'.join(KINDS.values())}"
        elif problem is None and name == "city_code" and value not in CITIES:
            problem = "所在市州不在吉林省的 11 个推荐单位之列"
        elif problem is None and name == "contact_phone" and not PHONE.match(value):
            problem = "联系电话应为 11 位手机号或带区号的固定电话（如 0431-88880000）"
        elif problem is None and name == "contact_email" and not EMAIL.match(value):
            problem = "联系邮箱格式不正确"
        if problem:
            errors[name] = [problem]
    return errors


def get_organisation_or_404(organisation_id: int) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(f"单位 {organisation_id} 不存在")
    return organisation


def organisation_by_code(credit_code: str) -> Organisation | None:
    return db.session.scalar(select(Organisation).where(Organisation.credit_code == credit_code))


def create_organisation(values: dict, *, actor: str, status: str = "pending_email") -> Organisation:
    """A new organisation from form values; Invalid naming each bad field, Conflict for a known credit code.
    A code registered outside Jilin is accepted and flagged (``outside_jilin``) for the city to see."""
    clean = normalise(values)
    errors = organisation_problems(clean)
    if errors:
        raise Invalid("单位信息不正确", fields=errors)
    if organisation_by_code(clean["credit_code"]) is not None:
        raise Conflict("该统一社会信用代码已注册，请联系本单位已有的账号邀请您加入，或联系所在市州工信部门",
                       code="duplicate_credit_code", fields={"credit_code": ["该统一社会信用代码已注册"]})
    organisation = Organisation(**clean, outside_jilin=not registered_in_jilin(clean["credit_code"]),
                                status=status, created_at=utcnow())
    if status in ("confirmed", "refused"):
        organisation.decided_by, organisation.decided_at = actor, organisation.created_at
    db.session.add(organisation)
    db.session.flush()
    audit.append(audit.SYSTEM_CHAIN, actor=actor, action="organisation_created",
                 data={"organisation_id": organisation.id, **clean, "status": status,
                       "outside_jilin": organisation.outside_jilin})
    return organisation


def attach_account(user: User, organisation: Organisation) -> None:
    """Make ``user`` an account of ``organisation``: its applications are scoped by the credit code."""
    user.organisation_id = organisation.id
    user.unit_code = organisation.credit_code
    user.unit_name = organisation.name
    user.city_code = organisation.city_code
    if "applicant" not in (user.roles or []):
        user.roles = [*(user.roles or []), "applicant"]


def may_declare(user: User) -> Organisation:
    """The confirmed organisation ``user`` declares for, or Forbidden saying what is missing."""
    if not user.has_role("applicant") or user.organisation_id is None:
        raise Forbidden("只有已注册单位的账号可以申报")
    organisation = db.session.get(Organisation, user.organisation_id)
    if organisation is None or organisation.status != "confirmed":
        reasons = {"pending_email": "本单位注册尚未验证邮箱", "pending_city": "本单位注册正等待所在市州工信部门确认",
                   "refused": "本单位注册未通过所在市州工信部门确认"}
        raise Forbidden(f"{reasons.get(organisation.status if organisation else '', '本单位尚未确认')}，暂不能申报",
                        code="organisation_not_confirmed")
    return organisation


def rename_organisation(organisation: Organisation, new_name: str, *, reason: str, actor: str) -> None:
    """A change of name, kept in the history; the unit's applications still under way show the new name."""
    new_name = (new_name or "").strip()
    reason = (reason or "").strip()
    errors = organisation_problems({"name": new_name}, only=("name",))
    if not reason:
        errors["reason"] = ["请说明更名原因（如营业执照变更）"]
    elif text_problem(reason) or len(reason) > 500:
        errors["reason"] = [text_problem(reason) or "更名原因不能超过 500 个字符"]
    if not errors and new_name == organisation.name:
        errors["name"] = ["新名称与现名称相同"]
    if errors:
        raise Invalid("单位更名信息不正确", fields=errors)
    old_name = organisation.name
    organisation.name = new_name
    db.session.add(OrganisationNameChange(organisation_id=organisation.id, old_name=old_name, new_name=new_name,
                                          reason=reason, changed_by=actor, changed_at=utcnow()))
    db.session.execute(update(User).where(User.organisation_id == organisation.id).values(unit_name=new_name))
    db.session.execute(update(Application).where(Application.applicant_unit == organisation.credit_code,
                                                 Application.outcome.is_(None)).values(unit_name=new_name)
                       .execution_options(synchronize_session=False))
    audit.append(audit.SYSTEM_CHAIN, actor=actor, action="organisation_renamed",
                 data={"organisation_id": organisation.id, "before": old_name, "after": new_name, "reason": reason})


def check_may_manage(user: User, organisation: Organisation) -> None:
    """Who may act on an organisation's record: its own accounts, its city bureau, the province."""
    if user.has_role("admin") or user.has_role("province_staff"):
        return
    if user.has_role("city_reviewer") and user.city_code == organisation.city_code:
        return
    if user.organisation_id == organisation.id:
        return
    raise Forbidden("无权查看或修改其他单位的信息")
