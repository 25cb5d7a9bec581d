"""Rounds (年度批次): settings of one year's round, pinned to one process version."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from service.audit import chain as audit
from service.platform.errors import Conflict, Invalid, NotFound
from service.platform.extensions import db
from service.versions.categories import version_categories
from service.platform.timeutil import utcnow
from service.rounds import setting_values, settings
from service.rounds.models import Round
from service.rounds.settings import deadline_end_of_day  # noqa: F401  (callers import it from here)
from service.versions.deploy import get_version_or_404, latest_version


def get_round_or_404(round_id: int) -> Round:
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise NotFound(f"批次 {round_id} 不存在")
    return round_


def open_round(*, name: str, year: int, city_deadline: date, actor: str, process_version_id: int | None = None,
               notice_days: int = 5, expert_count: int = 3, pass_score: float = 60.0,
               categories: list[str] | None = None, unit_deadline: date | None = None, objection_address: str = "",
               objection_phone: str = "", objection_email: str = "", extra_settings: dict | None = None) -> Round:
    """A new round. Every category is open unless ``categories`` says otherwise; units file until the city
    deadline unless ``unit_deadline`` is earlier; the objection channel is required (the notice prints it).
    ``extra_settings``: values of the other settings the version lists (settings.json), each checked against
    the list; one not given takes the list's default."""
    version = get_version_or_404(process_version_id) if process_version_id else latest_version()
    if version is None:
        raise NotFound("尚未部署任何流程版本，请先部署流程")
    offered = {key: c.name for key, c in version_categories(version.id).items()}
    values = {"name": name, "year": year, "categories": list(offered) if categories is None else categories,
              "unit_deadline": unit_deadline or city_deadline, "city_deadline": city_deadline,
              "notice_days": notice_days, "expert_count": expert_count, "pass_score": pass_score,
              "objection_address": objection_address, "objection_phone": objection_phone,
              "objection_email": objection_email}
    errors = settings.problems(values, now=utcnow(), offered=offered)
    specs = setting_values.listed(version.id)
    extra, extra_errors = setting_values.check_extras(setting_values.extras(version.id), extra_settings or {},
                                                      year=year, fill_defaults=True)
    extra_errors.update(setting_values.check_listed_columns(specs, values))
    extra_errors.update(setting_values.unknown_names(setting_values.extras(version.id), extra_settings))
    extra_errors.update(past_extra_deadlines(specs, extra))
    for field, reasons in extra_errors.items():
        errors.setdefault(field, []).extend(reasons)
    if errors:
        names = {**settings.LABELS, **(setting_values.labels(version.id) if version is not None else {})}
        raise Invalid("批次设置不正确：" + "、".join(names.get(f, f) for f in errors), fields=errors)
    if db.session.scalar(select(Round).where(Round.name == name)) is not None:
        raise Conflict(f"批次“{name}”已存在", code="duplicate", fields={"name": [f"批次名称“{name}”已被使用"]})
    round_ = Round(name=name, year=year, process_version_id=version.id,
                   categories=settings.ordered_categories(values["categories"], offered),
                   unit_deadline=deadline_end_of_day(values["unit_deadline"]),
                   city_deadline=deadline_end_of_day(city_deadline), notice_days=notice_days,
                   expert_count=expert_count, pass_score=pass_score, status="open",
                   objection_address=objection_address.strip(), objection_phone=objection_phone.strip(),
                   objection_email=objection_email.strip(),
                   extra_settings={s.name: setting_values.to_stored(s, extra[s.name])
                                   for s in setting_values.extras(version.id) if s.name in extra})
    db.session.add(round_)
    db.session.flush()
    audit.append(audit.SYSTEM_CHAIN, actor=actor, action="round_opened",
                 data={"round_id": round_.id, "name": name, "process_version": version.number,
                       "after": settings_of(round_)})
    return round_


def settings_of(round_: Round) -> dict:
    """A round's settings as the audit chain records them (before/after of every change)."""
    return {"name": round_.name, "year": round_.year, "categories": list(round_.categories),
            "unit_deadline": round_.unit_deadline.isoformat(), "city_deadline": round_.city_deadline.isoformat(),
            "notice_days": round_.notice_days, "expert_count": round_.expert_count,
            "pass_score": round_.pass_score, "objection_address": round_.objection_address,
            "objection_phone": round_.objection_phone, "objection_email": round_.objection_email,
            "process_version_id": round_.process_version_id,
            **{name: value.isoformat() if isinstance(value, date) else value
               for name, value in setting_values.extra_values(round_).items()}}


def past_extra_deadlines(specs, values: dict, names=None) -> dict:
    """A date setting (a deadline) may not be a day already over; ``names``: only these (an edit)."""
    errors = {}
    for setting in specs:
        day = values.get(setting.name)
        if setting.type != "date" or setting.name in settings.DEADLINES or day is None:
            continue
        if names is not None and setting.name not in names:
            continue
        if not 2000 <= day.year <= 2100:
            errors[setting.name] = [f"{setting.label}应在 2000–2100 年之间"]
        elif deadline_end_of_day(day) <= utcnow():
            errors[setting.name] = [f"{setting.label}（{day:%Y-%m-%d}）已过，请选择今天或以后的日期"]
    return errors


def next_round(round_id: int, *, process_version_id: int, actor: str, name: str | None = None,
               extra_settings: dict | None = None, **overrides) -> Round:
    """Next year's round from this one: the same settings (categories, notice days, experts, pass score,
    objection channel, every setting the chosen version lists that this round had), each deadline a year
    later, the chosen version; ``overrides`` and ``extra_settings`` replace any of them."""
    previous = get_round_or_404(round_id)
    carried = {key: value for key, value in next_round_defaults(previous, process_version_id).items()
               if key != "name"}
    extras = {key: value for key, value in carried.items() if key not in _CARRIED_COLUMNS}
    carried = {key: value for key, value in carried.items() if key in _CARRIED_COLUMNS}
    carried.update({key: value for key, value in overrides.items() if value is not None})
    extras.update({key: value for key, value in (extra_settings or {}).items() if value is not None})
    return open_round(name=name or _next_name(previous.name, previous.year), year=previous.year + 1, actor=actor,
                      process_version_id=process_version_id, extra_settings=extras, **carried)


_CARRIED_COLUMNS = ("notice_days", "expert_count", "pass_score", "categories", "unit_deadline", "city_deadline",
                    "objection_address", "objection_phone", "objection_email")


def carried_categories(previous: Round, version_id: int) -> list[str]:
    """Next year's open categories: last year's that the new version still offers, and the ones it adds."""
    before, after = version_categories(previous.process_version_id), version_categories(version_id)
    return [key for key in after if key in previous.categories or key not in before]


def next_round_defaults(previous: Round, process_version_id: int | None = None) -> dict:
    """What next_round carries over (for the page that shows it before creating the round): last year's
    settings, deadlines a year later; a setting the chosen version lists that last year's round did not
    have takes the version's default for next year."""
    year = previous.year + 1
    categories = list(previous.categories)
    if process_version_id is not None:
        categories = carried_categories(previous, get_version_or_404(process_version_id).id)
    carried = {"name": _next_name(previous.name, previous.year), "categories": categories,
               "unit_deadline": _a_year_later_day(settings.deadline_day(previous.unit_deadline)),
               "city_deadline": _a_year_later_day(settings.deadline_day(previous.city_deadline)),
               "notice_days": previous.notice_days, "expert_count": previous.expert_count,
               "pass_score": previous.pass_score, "objection_address": previous.objection_address,
               "objection_phone": previous.objection_phone, "objection_email": previous.objection_email}
    last_year = setting_values.extra_values(previous)
    for setting in setting_values.extras(process_version_id or previous.process_version_id):
        value = last_year.get(setting.name)
        if value is None or (setting.type == "date") != isinstance(value, date):
            value = setting.default_for(year)
        elif setting.type == "date":
            value = _a_year_later_day(value)
        carried[setting.name] = value
    return carried


def _a_year_later_day(last_day: date) -> date:
    try:
        return last_day.replace(year=last_day.year + 1)
    except ValueError:  # 29 February
        return last_day.replace(year=last_day.year + 1, day=28)


def _next_name(name: str, year: int) -> str:
    return name.replace(str(year), str(year + 1)) if str(year) in name else f"{name}（{year + 1}）"


def check_open_for(round_: Round, category: str) -> None:
    """May a unit start a declaration in ``category`` of this round now? Raises, naming what stops it.

    Reads the round again under a shared lock (PostgreSQL FOR SHARE) so a concurrent settings change either
    finished before (its settings are the ones checked) or waits until this start commits (and then sees it).
    """
    round_ = db.session.scalars(select(Round).where(Round.id == round_.id).with_for_update(read=True)
                                .execution_options(populate_existing=True)).one()
    offered = version_categories(round_.process_version_id)
    if category in offered and category not in round_.categories:
        opened = "、".join(offered[key].name if key in offered else key for key in round_.categories)
        raise Invalid(f"批次“{round_.name}”未开放{offered[category].name}申报",
                      fields={"category": [f"本批次开放的类别：{opened}"]})
    if utcnow() >= round_.unit_deadline:
        raise Conflict(f"批次“{round_.name}”的单位申报截止日 {settings.shown(round_.unit_deadline)}已过，不能再开始申报",
                       code="unit_deadline_passed")
