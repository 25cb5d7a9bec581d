"""The deployment's roles: the built-ins and those the administrator adds (for example 技术支撑单位).

A role's scope is the one fact the rest of the service needs to let its holders work its tasks (see
applications/access.py): lanes name roles, accounts hold them, and nothing else about a new role is code.
Roles are added, never renamed or removed: deployed diagrams name them and accounts hold them.
"""
from __future__ import annotations

import re

from sqlalchemy import or_, select

from service.accounts.models import Role
from service.audit import chain as audit
from service.platform.errors import Invalid
from service.platform.extensions import db
from service.platform.inputs import text_problem

SCOPES = {"none": "不限范围（全部该角色账号）", "city": "按市州（本市州的任务）",
          "organisation": "按单位（本单位的任务）", "assignee": "仅指定办理人"}
ADDABLE_SCOPES = ("none", "city", "organisation")  # assignee-only works through an assignee expression (expert)
KEY = re.compile(r"^[a-z][a-z0-9_]{2,31}$")
NAME_LIMIT = 30


BUILT_IN_ORDER = ("applicant", "province_staff", "city_reviewer", "expert", "auditor", "admin")


def all_roles() -> list[Role]:
    """Every role, built-ins first, then in the order added."""
    roles = db.session.scalars(select(Role)).all()
    return sorted(roles, key=lambda role: (not role.built_in, BUILT_IN_ORDER.index(role.key)
                                           if role.key in BUILT_IN_ORDER else 0, role.created_at, role.key))


def role_names() -> dict[str, str]:
    """key -> Chinese name of every role."""
    return {role.key: role.name for role in all_roles()}


def lane_roles() -> dict[str, str]:
    """Chinese name -> key of every role that works tasks: what a lane may be named (or by the key)."""
    return {role.name: role.key for role in all_roles() if role.works_tasks}


# key -> (scope, works_tasks, name), read once per process: a role never changes once made, so only a key
# not seen yet (added since, perhaps by another process) sends the lookup back to the table.
_known: dict[str, tuple[str, bool, str]] = {}


def _know(keys) -> None:
    if set(keys) - _known.keys():
        rows = db.session.execute(select(Role.key, Role.scope, Role.works_tasks, Role.name)).all()
        _known.update({key: (scope, works, name) for key, scope, works, name in rows})


def scopes_of(keys) -> dict[str, str]:
    """key -> scope of those of ``keys`` that work tasks (no query once the process knows them)."""
    keys = set(keys or [])
    _know(keys)
    return {key: _known[key][0] for key in keys if key in _known and _known[key][1]}


def name_of(key: str) -> str | None:
    """A role's Chinese name (no query once the process knows it)."""
    _know([key])
    return _known[key][2] if key in _known else None


def forget_roles() -> None:
    """For tests, which wipe the added roles and may add one of the same key with another scope."""
    _known.clear()


def scope_of(key: str) -> str | None:
    return scopes_of([key]).get(key)


def role_problems(values: dict) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    key, name, scope = values.get("key"), values.get("name"), values.get("scope")
    if not key:
        errors["key"] = ["必填项"]
    elif not isinstance(key, str) or not KEY.match(key):
        errors["key"] = ["角色代码应为 3–32 位小写字母、数字或下划线，以字母开头（如 tech_support）"]
    if not name:
        errors["name"] = ["必填项"]
    elif not isinstance(name, str) or text_problem(name):
        errors["name"] = [text_problem(name) if isinstance(name, str) else "应为文字"]
    elif len(name) > NAME_LIMIT:
        errors["name"] = [f"不能超过 {NAME_LIMIT} 个字符"]
    if scope not in ADDABLE_SCOPES:
        errors["scope"] = [f"应为 {'、'.join(f'{k}（{SCOPES[k]}）' for k in ADDABLE_SCOPES)} 之一"]
    if errors:
        return errors
    for role in db.session.scalars(select(Role).where(or_(Role.key.in_([key, name]), Role.name.in_([key, name])))):
        if key in (role.key, role.name):
            errors.setdefault("key", []).append(f"“{key}”已是角色“{role.name}”的代码或名称")
        if name in (role.key, role.name):
            errors.setdefault("name", []).append(f"“{name}”已是角色“{role.name}”的代码或名称")
    return errors


def add_role(*, actor: str, values: dict) -> Role:
    """Add a role after checking it; audited on the system chain."""
    values = {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()}
    values["works_tasks"] = values.get("works_tasks", True) is not False
    errors = role_problems(values)
    if errors:
        raise Invalid("角色信息未通过校验，请按各项的提示修改", fields=errors)
    role = Role(key=values["key"], name=values["name"], scope=values["scope"], works_tasks=values["works_tasks"],
                built_in=False, created_by=actor)
    db.session.add(role)
    db.session.flush()
    audit.append(audit.SYSTEM_CHAIN, actor=actor, action="role_added",
                 data={"key": role.key, "name": role.name, "scope": role.scope, "works_tasks": role.works_tasks})
    return role
