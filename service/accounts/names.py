"""People by name: audit actors (login names) shown as 单位/科室 + 姓名, resolved with one query per page."""
from __future__ import annotations

from typing import Callable, Iterable

from sqlalchemy import select

from service.accounts.models import User
from service.platform.extensions import db
from service.platform.reference import CITIES

# Actors that are not accounts: the engine's clock and the seeding commands.
SYSTEM_ACTORS = {"system:timer": "系统（定时器）", "seed-demo": "系统（演示数据）", "create-admin": "系统（初始化管理员）"}
SYSTEM_PREFIXES = ("system:", "seed-")
# What the engine does by itself after someone's step (a gateway choosing its branch, a script, a rule, the
# end of a countersign): recorded under the account whose step set it off, shown as the system's own doing.
AUTOMATIC = "系统自动"
AUTOMATIC_ACTIONS = frozenset({"started", "ended", "gateway_decision", "rule_evaluated", "script_run",
                               "multi_instance_completed"})
UNKNOWN = "已删除的账户"  # an actor whose account no longer exists: never show its login name
PROVINCE = "省工信厅"


def office(user: User) -> str:
    """The office a person acts for: the unit for applicants, the city's 工信局 for city reviewers, the
    province for province staff, the employer for experts."""
    if user.has_role("applicant") and user.unit_name:
        return user.unit_name
    if user.has_role("city_reviewer") and user.city_code in CITIES:
        return f"{CITIES[user.city_code]}工信局"
    if user.has_role("province_staff"):
        return PROVINCE
    if user.has_role("expert"):
        return user.employer or ""
    return ""


def label(user: User) -> str:
    """``长春市工信局 张三``; just the name when it already says the office (``长春市工信局``)."""
    where, name = office(user), (user.display_name or "").strip()
    if not where or where in name:
        return name or where or UNKNOWN
    if name in where:
        return where
    return f"{where} {name}"


def system_label(actor: str) -> str | None:
    if actor == "system":
        return AUTOMATIC
    if actor in SYSTEM_ACTORS:
        return SYSTEM_ACTORS[actor]
    if actor.startswith(SYSTEM_PREFIXES):
        return "系统"
    return None


def event_actor_name(action: str, actor: str, names: dict[str, str]) -> str:
    """Who an audit event is shown as: the system for the engine's automatic steps, else the person."""
    return AUTOMATIC if action in AUTOMATIC_ACTIONS else names.get(actor, "")


def accounts_named(actors: Iterable[str | None]) -> dict[str, User]:
    """The accounts behind these login names: one SELECT … WHERE username IN (…), never all users."""
    wanted = {a for a in actors if a and system_label(a) is None}
    if not wanted:
        return {}
    return {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(sorted(wanted))))}


def display_names(actors: Iterable[str | None], alias: Callable[[User], str | None] = lambda _: None
                  ) -> dict[str, str]:
    """Each login name as people know it (see ``label``); system actors as 系统（…）. ``alias`` may give an
    account another name for this reader (an expert to someone not allowed to know who reviewed)."""
    actors = [a for a in actors if a]
    accounts = accounts_named(actors)
    names = {}
    for actor in actors:
        system = system_label(actor)
        if system is not None:
            names[actor] = system
        elif actor in accounts:
            names[actor] = alias(accounts[actor]) or label(accounts[actor])
        else:
            names[actor] = UNKNOWN
    return names


def account_names_by_id(ids: Iterable[int]) -> dict[int, str]:
    """Accounts a form recorded by id (an expert panel), by name: one SELECT … WHERE id IN (…)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {u.id: label(u) for u in db.session.scalars(select(User).where(User.id.in_(wanted)))}
