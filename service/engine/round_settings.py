"""The round settings a process version reads: ``processes/settings.json`` in the bundle.

Each entry names a variable the diagram reads from its start data (``name``), its type (``date``, ``int``,
``number`` or ``text``), the Chinese label the round form shows, a default and bounds. A ``date`` is a
deadline: the diagram gets the midnight that ends that day in Changchun, as an ISO instant, like
``city_deadline``. A bundle without the file reads the built-in list, the settings every round has always had.

Only parsing and checking live here (no database): rounds/ stores the values and the round form is drawn
from this list.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from service.engine.bundle import SETTINGS_FILE
from service.engine.calendar import SHANGHAI

TYPES = {"date": "日期（截止日）", "int": "整数", "number": "数字", "text": "文字"}
NAME = re.compile(r"^[a-z][a-z0-9_]{0,19}$")
MAX_SETTINGS = 40
MAX_TEXT = 500
# Variables the service itself puts in the start data: a setting may not take their names.
RESERVED = {"application_id", "category", "city", "unit_name", "credit_code", "name", "year", "categories",
            "status", "process_version_id", "reason"}
RESERVED_PREFIXES = ("objection_",)


class SettingsListError(ValueError):
    """settings.json cannot be used; ``problems`` are (element, message) pairs, each saying how to fix it."""

    def __init__(self, problems: list[tuple[str | None, str]]):
        self.problems = problems
        super().__init__("；".join(message for _, message in problems))


@dataclass(frozen=True)
class RoundSetting:
    name: str
    type: str
    label: str
    default: object = None  # a date default is "MM-DD" (that day in the round's year)
    min: float | None = None
    max: float | None = None
    help: str = ""

    @property
    def is_deadline(self) -> bool:
        return self.type == "date"

    def default_for(self, year: int):
        """The default as a value of the setting's type, for a round of ``year`` (None: no default)."""
        if self.default is None:
            return None
        if self.type == "date":
            month, day = (int(part) for part in str(self.default).split("-"))
            return date(year, month, day)
        return self.default

    def as_dict(self) -> dict:
        return {"name": self.name, "type": self.type, "label": self.label, "default": self.default,
                "min": self.min, "max": self.max, "help": self.help}


# The settings of the shipped diagram and of every version deployed before settings.json existed.
BUILT_IN = (
    RoundSetting("unit_deadline", "date", "单位申报截止日", "06-10", help="当日 24 时（北京时间）为止；不能晚于市州推荐截止日"),
    RoundSetting("city_deadline", "date", "市州推荐截止日", "06-10", help="当日 24 时（北京时间）为止"),
    RoundSetting("notice_days", "int", "公示期（工作日）", 5, 1, 30),
    RoundSetting("expert_count", "int", "评审专家人数", 3, 1, 15),
    RoundSetting("pass_score", "number", "合格分", 60.0, 0, 100),
)
# Settings kept in the round's own columns (their rules in rounds/settings.py apply as well).
COLUMNS = {setting.name: setting for setting in BUILT_IN}


def parse_settings(text: str) -> tuple[RoundSetting, ...]:
    """The list in ``text``; raises SettingsListError naming every problem."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as err:
        raise SettingsListError([(None, f"JSON 格式错误：{getattr(err, 'msg', '嵌套层数过多')}")]) from None
    entries = data.get("settings") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise SettingsListError([(None, '应为 {"settings": [ {name, type, label, default, min, max}, … ]}')])
    if len(entries) > MAX_SETTINGS:
        raise SettingsListError([(None, f"设置项不能超过 {MAX_SETTINGS} 个")])
    problems, found, names = [], [], set()
    for index, entry in enumerate(entries):
        where = f"第 {index + 1} 项"
        if not isinstance(entry, dict):
            problems.append((where, "每一项应为对象 {name, type, label, …}"))
            continue
        name = entry.get("name")
        if isinstance(name, str) and NAME.match(name):
            where = f"{name}"
        setting, entry_problems = _setting(entry)
        problems += [(where, message) for message in entry_problems]
        if setting is not None:
            if setting.name in names:
                problems.append((where, f"设置项 {setting.name} 重复"))
            names.add(setting.name)
            found.append(setting)
    if problems:
        raise SettingsListError(problems)
    return tuple(found)


def _setting(entry: dict) -> tuple[RoundSetting | None, list[str]]:
    problems = []
    name, kind, label = entry.get("name"), entry.get("type"), entry.get("label")
    if not isinstance(name, str) or not NAME.match(name):
        problems.append("name 应为小写英文字母开头、由小写字母、数字、下划线组成的变量名（不超过 20 个字符）")
    elif name in RESERVED or name.startswith(RESERVED_PREFIXES):
        problems.append(f"name “{name}” 是服务自己使用的变量名，请换一个")
    if kind not in TYPES:
        problems.append("type 应为 date（截止日）、int（整数）、number（数字）或 text（文字）之一")
    elif isinstance(name, str) and name in COLUMNS and COLUMNS[name].type != kind:
        problems.append(f"{name} 的 type 应为 {COLUMNS[name].type}（该设置由批次本身保存）")
    if not isinstance(label, str) or not label.strip() or len(label) > 50:
        problems.append("label（中文名称）为必填项，不超过 50 个字")
    bounds = {}
    for key in ("min", "max"):
        value = entry.get(key)
        if value is None:
            continue
        if kind not in ("int", "number") or not _is_number(value):
            problems.append(f"{key} 只用于 int、number 类型，且应为数字")
        else:
            bounds[key] = value
    if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
        problems.append("min 不能大于 max")
    help_text = entry.get("help", "")
    if not isinstance(help_text, str) or len(help_text) > 200:
        problems.append("help 应为不超过 200 个字的说明")
    if problems:
        return None, problems
    setting = RoundSetting(name, kind, label.strip(), entry.get("default"), bounds.get("min"), bounds.get("max"),
                           help_text)
    default = setting.default
    if default is not None:
        if kind == "date":
            if not _month_day(default):
                problems.append("date 类型的 default 应为 “MM-DD”（批次年度中的这一天），如 “06-10”")
        else:
            value, problem = check_value(setting, default)
            if problem:
                problems.append(f"default 不合要求：{problem}")
            else:
                setting = RoundSetting(name, kind, setting.label, value, setting.min, setting.max, help_text)
    return (None if problems else setting), problems


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _month_day(value) -> bool:
    if not isinstance(value, str) or not re.fullmatch(r"\d{2}-\d{2}", value):
        return False
    try:
        date(2024, int(value[:2]), int(value[3:]))  # a leap year: 02-29 is a day
    except ValueError:
        return False
    return True


def check_value(setting: RoundSetting, value) -> tuple[object, str | None]:
    """(typed value, None) or (None, the Chinese reason naming the setting). Accepts what a form posts
    (text) and what JSON carries (numbers, "YYYY-MM-DD")."""
    label = setting.label
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, f"{label}为必填项"
    if setting.type == "date":
        if isinstance(value, date):
            return value, None
        try:
            return date.fromisoformat(value.strip()) if isinstance(value, str) else None, \
                None if isinstance(value, str) else f"{label}应为日期（YYYY-MM-DD）"
        except ValueError:
            return None, f"{label}应为日期（YYYY-MM-DD）"
    if setting.type == "text":
        if not isinstance(value, str):
            return None, f"{label}应为文字"
        if len(value) > MAX_TEXT:
            return None, f"{label}不能超过 {MAX_TEXT} 个字"
        return value.strip(), None
    number = _number(value, integer=setting.type == "int")
    if number is None:
        return None, f"{label}应为{'整数' if setting.type == 'int' else '数字'}"
    low, high = setting.min, setting.max
    if (low is not None and number < low) or (high is not None and number > high):
        span = f"{_shown(low) if low is not None else '…'}–{_shown(high) if high is not None else '…'}"
        return None, f"{label}应在 {span} 之间"
    return number, None


def _number(value, *, integer: bool):
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 30:
            return None
        try:
            value = int(text) if integer else float(text)
        except ValueError:
            return None
    if integer:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return value if isinstance(value, int) and abs(value) < 2 ** 31 else None
    if isinstance(value, (int, float)) and math.isfinite(value) and abs(value) < 1e15:
        return float(value)
    return None


def _shown(number) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def settings_problems(files: dict[str, str]) -> list[tuple[str | None, str]]:
    """Problems of the settings list among a bundle's process files (none when there is no list)."""
    if SETTINGS_FILE not in files:
        return []
    try:
        parse_settings(files[SETTINGS_FILE])
    except SettingsListError as err:
        return err.problems
    return []


def settings_of(files: dict[str, str]) -> tuple[RoundSetting, ...]:
    """The settings a bundle's diagram reads (its list, else the built-in one). Call on a valid bundle."""
    if SETTINGS_FILE not in files:
        return BUILT_IN
    return parse_settings(files[SETTINGS_FILE])


def deadline_instant(day: date) -> str:
    """A date setting as the diagram reads it: the midnight ending ``day`` in Changchun, ISO, in UTC."""
    return datetime.combine(day + timedelta(days=1), time(0, 0), SHANGHAI).astimezone(timezone.utc).isoformat()


def default_start_data(settings: tuple[RoundSetting, ...], when: datetime) -> dict:
    """Each listed setting's default as start data for a round of ``when``'s year (a rehearsal's start)."""
    data = {}
    for setting in settings:
        value = setting.default_for(when.astimezone(SHANGHAI).year)
        if value is not None:
            data[setting.name] = deadline_instant(value) if isinstance(value, date) else value
    return data
