"""Changing a round's settings: anything while no application has started, afterwards only later deadlines.

One function for the page and the API. Every change goes on the system audit chain with before and after;
a deadline change is also kept in round_deadline_change (the round page's history) and moves the timers of
the applications already running, in the same transaction.
"""
from __future__ import annotations

from sqlalchemy import select

from service.applications.deadlines import move_round_deadline
from service.applications.models import Application
from service.audit import chain as audit
from service.platform.errors import Conflict, Invalid, NotFound
from service.platform.extensions import db
from service.platform.inputs import text_problem
from service.versions.categories import version_categories
from service.platform.timeutil import utcnow
from service.rounds import setting_values, settings
from service.rounds.models import Round, RoundDeadlineChange
from service.rounds.service import past_extra_deadlines, settings_of
from service.rounds.settings import DEADLINES, LABELS
from service.versions.models import ProcessVersion

EDITABLE = ("name", "year", "categories", "unit_deadline", "city_deadline", "notice_days", "expert_count",
            "pass_score", "objection_address", "objection_phone", "objection_email", "process_version_id")


def has_started(round_id: int) -> bool:
    """Has any application in the round started? (One index lookup.)"""
    return db.session.scalar(select(Application.id).where(Application.round_id == round_id).limit(1)) is not None


def current_values(round_: Round) -> dict:
    """The round's settings in the shape they are entered: deadlines as the day they end; with them the
    other settings its version lists (settings.json), by name."""
    return {"name": round_.name, "year": round_.year, "categories": list(round_.categories),
            "unit_deadline": settings.deadline_day(round_.unit_deadline),
            "city_deadline": settings.deadline_day(round_.city_deadline), "notice_days": round_.notice_days,
            "expert_count": round_.expert_count, "pass_score": round_.pass_score,
            "objection_address": round_.objection_address, "objection_phone": round_.objection_phone,
            "objection_email": round_.objection_email, "process_version_id": round_.process_version_id,
            **setting_values.extra_values(round_)}


def deadline_settings(round_: Round) -> tuple[str, ...]:
    """The settings that are deadlines (extended, never brought forward, once applications run)."""
    return DEADLINES + tuple(s.name for s in setting_values.extras(round_.process_version_id) if s.is_deadline)


def deadline_history(round_id: int) -> list[RoundDeadlineChange]:
    return list(db.session.scalars(select(RoundDeadlineChange).where(RoundDeadlineChange.round_id == round_id)
                                   .order_by(RoundDeadlineChange.id)))


def update_round(round_id: int, *, changes: dict, actor: str, reason: str = "") -> Round:
    """Apply ``changes`` (a subset of EDITABLE; deadlines as dates). Before the first application: any setting.
    After it: only deadlines, only later, with a reason (409 names a setting that may no longer change)."""
    round_ = db.session.scalars(select(Round).where(Round.id == round_id).with_for_update()
                                .execution_options(populate_existing=True)).one_or_none()
    if round_ is None:
        raise NotFound(f"批次 {round_id} 不存在")
    current = current_values(round_)
    extra_specs = setting_values.extras(round_.process_version_id)
    labels = {**LABELS, **setting_values.labels(round_.process_version_id)}
    changed, typing_errors = _changed(current, changes, extra_specs, year=round_.year)
    if not changed and not typing_errors:
        return round_
    started = has_started(round_id)
    reason = (reason or "").strip()
    deadlines = deadline_settings(round_)
    if started:
        frozen = [field for field in {**changed, **typing_errors} if field not in deadlines]
        if frozen:
            named = [labels.get(f, "其他设置") for f in frozen]
            raise Conflict("本批次已有申报开始，只能延长截止日期，不能修改" + "、".join(named), code="round_started",
                           fields={f: [f"已有申报开始，不能再修改{name}"] for f, name in zip(frozen, named)})
    errors = {**_problems(current, changed, started=started, reason=reason, deadlines=deadlines, labels=labels,
                          round_=round_), **typing_errors}
    if errors:
        raise Invalid("批次设置不正确：" + "、".join(labels.get(f, f) for f in errors), fields=errors)
    if "name" in changed and db.session.scalar(select(Round.id).where(Round.name == changed["name"])) is not None:
        raise Conflict(f"批次“{changed['name']}”已存在", code="duplicate",
                       fields={"name": [f"批次名称“{changed['name']}”已被使用"]})
    before = settings_of(round_)
    moved = _apply(round_, changed, actor=actor, reason=reason, started=started, extra_specs=extra_specs)
    after = settings_of(round_)
    audit.append(audit.SYSTEM_CHAIN, actor=actor, action="round_deadline_extended" if started else "round_changed",
                 data={"round_id": round_.id, "name": round_.name, "reason": reason,
                       "before": {k: before[k] for k in changed}, "after": {k: after[k] for k in changed},
                       "applications_moved": moved})
    return round_


def _changed(current: dict, changes: dict, extra_specs, *, year: int) -> tuple[dict, dict]:
    """(the settings that differ from the round's, field → reasons for extra settings that are no value of
    their type). Extra settings come by name, as the page posts them or in the API's ``settings``."""
    changed = {}
    for field, value in changes.items():
        if field not in EDITABLE or value is None:
            continue
        if isinstance(value, str):
            value = value.strip()
        if field == "categories" and isinstance(value, list) and all(isinstance(v, str) for v in value):
            offered = _offered(changes.get("process_version_id") or current["process_version_id"])
            value = settings.ordered_categories(value, offered) if offered and set(value) <= set(offered) else value
        if value != current[field]:
            changed[field] = value
    given = {**(changes.get("extra_settings") or {}),
             **{s.name: changes[s.name] for s in extra_specs if s.name in changes}}
    typed, errors = setting_values.check_extras(extra_specs, given, year=year, fill_defaults=False)
    changed.update({name: value for name, value in typed.items() if value != current.get(name)})
    errors.update(setting_values.unknown_names(extra_specs, changes.get("extra_settings")))
    return changed, errors


def _offered(version_id) -> dict[str, str] | None:
    """key → name of the categories a version offers; None when there is no such version."""
    if not isinstance(version_id, int) or db.session.get(ProcessVersion, version_id) is None:
        return None
    return {key: c.name for key, c in version_categories(version_id).items()}


def _problems(current: dict, changed: dict, *, started: bool, reason: str, deadlines, labels, round_) -> dict:
    merged = {**current, **changed}
    values = {**changed, "unit_deadline": merged["unit_deadline"], "city_deadline": merged["city_deadline"]}
    offered = _offered(merged["process_version_id"])
    if offered is not None and ("categories" in changed or "process_version_id" in changed):
        values["categories"] = merged["categories"]  # the open ones must exist in the (new) version
    errors = settings.problems(values, now=utcnow(), check_past=tuple(f for f in DEADLINES if f in changed),
                               offered=offered)
    specs = setting_values.listed(merged["process_version_id"]) if offered is not None else ()
    for field, reasons in {**setting_values.check_listed_columns(specs, changed),
                           **past_extra_deadlines(specs, changed, names=set(changed))}.items():
        errors.setdefault(field, []).extend(reasons)
    if started:
        for field in deadlines:
            if field in changed and changed[field] < current[field]:
                errors.setdefault(field, []).append(
                    f"已有申报开始，{labels[field]}只能延后，不能提前（当前为 {current[field]:%Y-%m-%d}）")
        if not reason:
            errors["reason"] = ["已有申报开始，延长截止日期须说明原因"]
    if reason and (text_problem(reason) or len(reason) > 500):
        errors["reason"] = [f"原因{text_problem(reason) or '不能超过 500 个字'}"]
    if "process_version_id" in changed and db.session.get(ProcessVersion, changed["process_version_id"]) is None:
        errors["process_version_id"] = [f"流程版本 {changed['process_version_id']} 不存在"]
    return errors


def _apply(round_: Round, changed: dict, *, actor: str, reason: str, started: bool, extra_specs) -> dict:
    """Write the new settings; for each deadline, its history row and (once applications run) their timers."""
    moved = {}
    extras = {s.name: s for s in extra_specs}
    stored = dict(round_.extra_settings or {})
    for field, value in changed.items():
        if field in extras:
            before_day = setting_values.stored_value(extras[field], stored.get(field)) \
                or setting_values.extra_values(round_).get(field)
            stored[field] = setting_values.to_stored(extras[field], value)
            round_.extra_settings = dict(stored)  # a new dict: the JSON column sees the change
            if extras[field].is_deadline and before_day is not None:
                moved[field] = _moved(round_, field, settings.deadline_end_of_day(before_day),
                                      settings.deadline_end_of_day(value), actor=actor, reason=reason,
                                      started=started)
            continue
        if field not in DEADLINES:
            setattr(round_, field, value)
            continue
        before, after = getattr(round_, field), settings.deadline_end_of_day(value)
        setattr(round_, field, after)
        moved[field] = _moved(round_, field, before, after, actor=actor, reason=reason, started=started)
    return moved


def _moved(round_: Round, field: str, before, after, *, actor: str, reason: str, started: bool) -> int:
    """The history row of one deadline change, and the running applications' timers moved with it."""
    count = 0
    if started:
        count = move_round_deadline(round_.id, variable=field, before=before, after=after, actor=actor,
                                    reason=reason, label=setting_values.labels(round_.process_version_id).get(field))
    db.session.add(RoundDeadlineChange(round_id=round_.id, field=field, before=before, after=after,
                                       reason=reason, changed_by=actor, applications_moved=count))
    return count
