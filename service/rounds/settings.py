"""What a round's settings may be: one check for creating, editing and carrying a round over to next year.

Every problem names its field (the key) and says in Chinese what is wrong, with the field's Chinese name in
the reason, so an API client, the page and the person reading it all see which setting to fix.
"""
from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta, timezone

from service.engine.calendar import SHANGHAI
from service.platform.inputs import text_problem
from service.platform.timeutil import last_day_text
from service.engine.categories import STANDARD_CATEGORIES

LABELS = {"name": "批次名称", "year": "年度", "categories": "开放类别", "unit_deadline": "单位申报截止日",
          "city_deadline": "市州推荐截止日", "notice_days": "公示期", "expert_count": "评审专家人数",
          "pass_score": "合格分", "objection_address": "异议受理地址", "objection_phone": "异议受理电话",
          "objection_email": "异议受理邮箱", "process_version_id": "流程版本", "reason": "原因"}
DEADLINES = ("unit_deadline", "city_deadline")
OBJECTION_FIELDS = ("objection_address", "objection_phone", "objection_email")
TEXT_LIMITS = {"name": 200, "objection_address": 300, "objection_phone": 50, "objection_email": 200}
PHONE = re.compile(r"^[0-9+()\- ]+$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def deadline_end_of_day(day: date) -> datetime:
    """'By 10 June' means until midnight after 10 June, Asia/Shanghai (in UTC, as every stored time)."""
    return datetime.combine(day + timedelta(days=1), time(0, 0), SHANGHAI).astimezone(timezone.utc)


def deadline_day(moment: datetime) -> date:
    """The day a stored deadline ends (its midnight belongs to that day)."""
    return (moment.astimezone(SHANGHAI) - timedelta(seconds=1)).date()


def shown(moment: datetime) -> str:
    return last_day_text(moment)


def ordered_categories(keys, offered: dict[str, str]) -> list[str]:
    """The chosen categories, without repeats, in the order the version declares them."""
    chosen = set(keys)
    return [key for key in offered if key in chosen]


def problems(values: dict, *, now: datetime, check_past: tuple[str, ...] = DEADLINES,
             offered: dict[str, str] | None = None) -> dict[str, list[str]]:
    """Field → reasons for every given setting that may not be stored. Deadlines are dates (the day they end);
    ``check_past`` names the deadlines that must not have passed (an edit checks only the ones it changes);
    ``offered`` (key → name) are the categories of the round's version (the standard ones when not given)."""
    offered = offered if offered is not None else {c.key: c.name for c in STANDARD_CATEGORIES}
    errors: dict[str, list[str]] = {}

    def add(field: str, reason: str) -> None:
        errors.setdefault(field, []).append(reason)

    for field, limit in TEXT_LIMITS.items():
        if field not in values:
            continue
        text = values[field] if isinstance(values[field], str) else ""
        if not text.strip():
            add(field, f"{LABELS[field]}为必填项")
        elif text_problem(text):
            add(field, f"{LABELS[field]}{text_problem(text)}")
        elif len(text) > limit:
            add(field, f"{LABELS[field]}不能超过 {limit} 个字")
    phone, email = values.get("objection_phone"), values.get("objection_email")
    if "objection_phone" not in errors and phone and (not PHONE.match(phone) or sum(c.isdigit() for c in phone) < 7):
        add("objection_phone", "异议受理电话应为电话号码（数字，可含区号连字符），如 0431-88914475")
    if "objection_email" not in errors and email and not EMAIL.match(email.strip()):
        add("objection_email", "异议受理邮箱格式不正确，如 name@example.cn")
    if "year" in values and not 2000 <= values["year"] <= 2100:
        add("year", "年度应在 2000–2100 之间")
    if "categories" in values:
        categories = values["categories"]
        if not categories:
            add("categories", "开放类别至少选择一个")
        elif any(not isinstance(key, str) or key not in offered for key in categories):
            unknown = "、".join(str(key) for key in categories if not isinstance(key, str) or key not in offered)
            add("categories", f"流程版本中没有类别“{unknown}”；开放类别应为 {'、'.join(offered.values())} 中的一个或几个")
    if "notice_days" in values and not 1 <= values["notice_days"] <= 30:
        add("notice_days", "公示期应在 1–30 个工作日之间")
    if "expert_count" in values and not 1 <= values["expert_count"] <= 15:
        add("expert_count", "评审专家人数应在 1–15 之间")
    if "pass_score" in values and not (math.isfinite(values["pass_score"]) and 0 <= values["pass_score"] <= 100):
        add("pass_score", "合格分应在 0–100 之间")
    for field in DEADLINES:
        day = values.get(field)
        if day is not None and not 2000 <= day.year <= 2100:
            add(field, f"{LABELS[field]}应在 2000–2100 年之间")
        elif field in check_past and day is not None and deadline_end_of_day(day) <= now:
            add(field, f"{LABELS[field]}（{day:%Y-%m-%d}）已过，请选择今天或以后的日期")
    unit, city = values.get("unit_deadline"), values.get("city_deadline")
    if unit is not None and city is not None and unit > city:
        add("unit_deadline", f"单位申报截止日（{unit:%Y-%m-%d}）不能晚于市州推荐截止日（{city:%Y-%m-%d}）")
    return errors
