"""A round's values for the settings its process version lists (processes/settings.json), and the start data
the diagram reads them from.

The settings every round has always had keep their columns (unit_deadline, city_deadline, notice_days,
expert_count, pass_score); any other setting a version lists is kept in ``Round.extra_settings`` by name, a
date as the day it ends ("YYYY-MM-DD"). A date setting is a deadline: the diagram gets the midnight that ends
that day (Asia/Shanghai) as an ISO instant, and it may be extended once applications run, moving their timers.
"""
from __future__ import annotations

from datetime import date

from service.engine.round_settings import COLUMNS, RoundSetting, check_value
from service.platform.inputs import text_problem
from service.rounds.models import Round
from service.rounds.settings import deadline_day, deadline_end_of_day
from service.versions.deploy import loaded_version


def listed(process_version_id: int) -> tuple[RoundSetting, ...]:
    """The settings a version's diagram reads, in the order the version lists them."""
    return loaded_version(process_version_id).definition.round_settings


def extras(process_version_id: int) -> tuple[RoundSetting, ...]:
    """The listed settings that are not one of the round's own columns."""
    return tuple(s for s in listed(process_version_id) if s.name not in COLUMNS)


def labels(process_version_id: int) -> dict[str, str]:
    return {s.name: s.label for s in listed(process_version_id)}


def stored_value(setting: RoundSetting, raw):
    """A value as extra_settings holds it, typed (a date setting's day as a date)."""
    if raw is None:
        return None
    if setting.type == "date":
        try:
            return date.fromisoformat(raw)
        except (TypeError, ValueError):
            return None
    return raw


def to_stored(setting: RoundSetting, value):
    return value.isoformat() if setting.type == "date" and isinstance(value, date) else value


def extra_values(round_: Round) -> dict:
    """name → typed value of every extra setting of the round's version (the default where none is stored)."""
    stored = round_.extra_settings or {}
    return {s.name: (stored_value(s, stored[s.name]) if s.name in stored else s.default_for(round_.year))
            for s in extras(round_.process_version_id)}


def check_extras(specs: tuple[RoundSetting, ...], given: dict, *, year: int, fill_defaults: bool) -> tuple[dict, dict]:
    """(typed values, field → reasons) for the extra settings in ``given``; with ``fill_defaults`` a setting
    not given takes its default (one without a default is then missing)."""
    values, errors = {}, {}
    for setting in specs:
        if setting.name not in given or given[setting.name] is None:
            if not fill_defaults:
                continue
            default = setting.default_for(year)
            if default is None:
                errors[setting.name] = [f"{setting.label}为必填项"]
            else:
                values[setting.name] = default
            continue
        value, problem = check_value(setting, given[setting.name])
        if problem is None and setting.type == "text" and text_problem(value):
            problem = f"{setting.label}{text_problem(value)}"
        if problem:
            errors[setting.name] = [problem]
        else:
            values[setting.name] = value
    return values, errors


def unknown_names(specs: tuple[RoundSetting, ...], given: dict | None) -> dict:
    """A name the version does not list is refused (under ``extra_settings``: the name itself may be anything)."""
    known = {s.name for s in specs}
    unknown = [name for name in (given or {}) if name not in known]
    if not unknown:
        return {}
    listed_names = "、".join(sorted(known)) or "（无）"
    return {"extra_settings": [f"流程版本没有这些设置项：{len(unknown)} 个；可用的设置项为 {listed_names}"]}


def check_listed_columns(specs: tuple[RoundSetting, ...], values: dict) -> dict:
    """Bounds a version's list gives the column settings (their fixed rules are checked in settings.py)."""
    errors = {}
    for setting in specs:
        if setting.name in COLUMNS and setting.type != "date" and values.get(setting.name) is not None:
            _, problem = check_value(setting, values[setting.name])
            if problem:
                errors[setting.name] = [problem]
    return errors


def start_data(round_: Round) -> dict:
    """The round's settings as the diagram reads them at start: every column setting as always, and every
    extra setting of the version (deadlines as the ISO instant that ends their day)."""
    data = {"city_deadline": round_.city_deadline.isoformat(), "unit_deadline": round_.unit_deadline.isoformat(),
            "notice_days": round_.notice_days, "expert_count": round_.expert_count, "pass_score": round_.pass_score}
    for name, value in extra_values(round_).items():
        data[name] = deadline_end_of_day(value).isoformat() if isinstance(value, date) else value
    return data


def form_values(round_: Round) -> dict:
    """Every listed setting as the round form shows it (deadlines as the day they end)."""
    columns = {"unit_deadline": deadline_day(round_.unit_deadline), "city_deadline": deadline_day(round_.city_deadline),
               "notice_days": round_.notice_days, "expert_count": round_.expert_count, "pass_score": round_.pass_score}
    return {**columns, **extra_values(round_)}
