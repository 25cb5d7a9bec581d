"""The standard paths of a round, scripted as decisions only: who decides what at which step.

Everything else a form asks is filled from the version's own form definition when the path runs (see
formfill.py), so a draft that adds a required field or an exclusion question still passes, and a step the
draft adds is completed on the way. Each path runs on the baseline version and on the draft; the report
says whether the draft ends the same way, which steps and categories the paths covered, and which fields
the draft newly requires.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from service.engine.calendar import WorkdayCalendar
from service.engine.definition import ProcessDefinition
from service.versions.formfill import TaskForms, exclusion_keys, is_exclusion
from service.forms.schema import input_components
from service.versions.replay import Event, PathResult, compare, name_of, replay

T0 = datetime(2024, 5, 6, 1, 0, tzinfo=timezone.utc)
SCENARIO_ROUND = {"city_deadline": datetime(2024, 6, 10, 16, 0, tzinfo=timezone.utc).isoformat(), "notice_days": 5,
                  "unit_deadline": datetime(2024, 6, 10, 16, 0, tzinfo=timezone.utc).isoformat(),
                  "expert_count": 3, "pass_score": 60.0}
EXPERTS = ["9001", "9002", "9003"]
CLEAR_REGISTER = {"register_removed": "no", "register_removed_note": ""}
FIRST_CATEGORY = "factory"


def _script(*steps) -> list[Event]:
    """Scripted decisions a day apart (a timer a month later), with the actors the assignees expect."""
    events, at = [], T0
    for action, element, data, actor in steps:
        at += timedelta(days=30 if action == "timer_fired" else 1)
        events.append(Event(action, at, element, data, actor))
    return events


def _task(element: str, actor: str, **decisions):
    return ("task_completed", element, {"form": decisions, "fill": True}, actor)


def _declare(step: str, excluded=False, given=None):
    """The applicant fills its category's declaration (``step``: the category's declaration task), with
    ``given`` answers typed over what the form's own rules would fill."""
    step = ("task_completed", step, {"form": dict(given or {}), "fill": True}, "applicant")
    if excluded:
        step[2]["answer_yes"] = "first"
    return step


def _city(decision, **verified):
    """The city's decision; a recommendation then goes through the city's package (frozen, sent, received)."""
    city = _task("Task_city_review", "city", decision=decision, **verified)
    return [city, PACKAGE_RECEIVED] if decision == "recommend" else [city]


PACKAGE_RECEIVED = ("city_package_received", None, {}, "province")


def _formal(decision="accept", site=False):
    decisions = {"decision": decision, "require_site_inspection": site}
    return _task("Task_formal_review", "province", **({**decisions, "experts": EXPERTS} if decision == "accept"
                                                      else decisions))


def _experts(scores=(80, 75, 70), site=False):
    return [_task("Task_expert_review", f"expert-{EXPERTS[n]}", score=s, site_inspection=site and n == 0)
            for n, s in enumerate(scores)]


def _batch(action):
    return ("batch_action", None, {"action": action}, "province")


NOTICE_OVER = ("timer_fired", None, {}, "worker")
OBJECTION = ("objection_recorded", None, {"real_name": "陈某", "contact": "13900000000", "content": "异议内容",
                                          "evidence": "证明材料"}, "province")


def _listed(step: str):
    return [_declare(step), *_city("recommend"), _formal(), *_experts(), _batch("start_notice")]


def categories_of(*definitions: ProcessDefinition) -> dict:
    """The categories the versions declare (categories.json, or the standard three), the first version's
    first: key → Category (its Chinese name and declaration step)."""
    found = {}
    for definition in definitions:
        for key, category in definition.categories.items():
            found.setdefault(key, category)
    return dict(sorted(found.items(), key=lambda item: item[0] != FIRST_CATEGORY))


def standard_paths(categories: dict) -> dict[str, tuple[str, list[Event]]]:
    """label → (category key, scripted events)."""
    first = next(iter(categories))
    declare = categories[first].step
    listed = _listed(declare)
    paths = {
        "列入名单": listed + [NOTICE_OVER, _batch("publish")],
        "退回修改后推荐": [_declare(declare), *_city("send_back"), _declare(declare), *_city("recommend"),
                     _formal("reject")],
        "市州不予推荐": [_declare(declare), *_city("reject")],
        # The unit declared "no", the city's check finds a dishonest debtor: the verified answers decide.
        "核查存在排除情形": [_declare(declare), *_city("reject", verified_exc_dishonest="yes")],
        "存在排除情形": [_declare(declare, excluded=True)],
        # A software company (GB/T 4754 I6510) declaring a green factory: outside the notice's 申报范围.
        "不符合申报范围": [_declare(declare, given={"industry_codes": "I6510"})],
        "形式审查未通过": [_declare(declare), *_city("recommend"), _formal("reject")],
        "专家评分未达标": [_declare(declare), *_city("recommend"), _formal(), *_experts((50, 40, 55))],
        "现场核查通过": [_declare(declare), *_city("recommend"), _formal(site=True), *_experts(site=True),
                   _task("Task_site_inspection", "province", decision="pass"), _batch("start_notice"),
                   NOTICE_OVER, _batch("publish")],
        "异议成立": listed + [OBJECTION, _task("Task_objection", "province", decision="upheld")],
    }
    scripted = {label: (first, _script(*steps)) for label, steps in paths.items()}
    for key, category in categories.items():
        if key != first:
            scripted[f"列入名单（{category.name}）"] = (key, _script(*_listed(category.step), NOTICE_OVER,
                                                                   _batch("publish")))
    # Past the city deadline with nothing declared: the deadline ends it.
    scripted["逾期未推荐"] = (first, [Event("timer_fired", datetime(2024, 6, 12, tzinfo=timezone.utc))])
    return scripted


def _start(category: str) -> dict:
    # A unit the provincial register holds nothing against (the exclusion path answers "yes" itself).
    return {"application_id": 0, "category": category, "city": "220100", **SCENARIO_ROUND, **CLEAR_REGISTER}


def rehearse_standard(draft: ProcessDefinition, baseline: ProcessDefinition,
                      calendar: WorkdayCalendar) -> tuple[list[PathResult], dict]:
    """Each standard path on the baseline version and on the draft: the same end, another, or stuck; and
    which of the draft's steps and categories the paths covered."""
    actors = {f"expert-{e}": e for e in EXPERTS}
    draft_forms = TaskForms(draft.bundle, draft.user_tasks)
    baseline_forms = TaskForms(baseline.bundle, baseline.user_tasks)
    known = frozenset(baseline.user_tasks)
    results, covered, listed_end = [], set(), None
    for label, (category, events) in standard_paths(categories_of(draft, baseline)).items():
        start = _start(category)
        after = replay(draft, start, events, actors, started_at=T0, calendar=calendar, forms=draft_forms,
                       known_steps=known)
        covered |= after.completed
        new_category = category not in baseline.categories
        before = None if new_category else replay(baseline, start, events, actors, started_at=T0, calendar=calendar,
                                                  forms=baseline_forms, known_steps=known)
        if before is not None and before.reason:
            results.append(PathResult(label, "skipped", None, None, before.stuck_at,
                                      name_of(baseline, before.stuck_at), f"当前版本也走不通此路径：{before.reason}"))
            continue
        if label == "列入名单":
            listed_end = before.outcome
        # A category the baseline lacks is expected to end as the first category's listed path did.
        results.append(compare(label, listed_end if new_category else before.outcome, after, draft, True))
    return results, coverage(draft, baseline, covered)


def coverage(draft: ProcessDefinition, baseline: ProcessDefinition, covered: set) -> dict:
    """The draft's categories and steps, the steps no standard path reached, and what the draft's forms
    newly require compared with the baseline's (each a finding: new required field or new exclusion)."""
    return {"categories": [{"key": key, "name": c.name} for key, c in categories_of(draft).items()],
            "steps": len(draft.user_tasks),
            "steps_not_covered": [{"element_id": e, "name": info.name} for e, info in draft.user_tasks.items()
                                  if e not in covered],
            "new_requirements": new_requirements(draft, baseline)}


def _required_keys(definition: ProcessDefinition, exclusions: set[str]) -> dict[str, dict]:
    found = {}
    for element, info in definition.user_tasks.items():
        if not info.form or info.form not in definition.bundle.forms:
            continue
        for component in input_components(definition.bundle.form(info.form)):
            exclusion = is_exclusion(component, exclusions)
            if exclusion or (component.get("validate") or {}).get("required"):
                found.setdefault((element, component["key"]), {
                    "element_id": element, "step": info.name, "key": component["key"],
                    "label": component.get("label") or component["key"],
                    "kind": "exclusion" if exclusion else "required_field"})
    return found


def new_requirements(draft: ProcessDefinition, baseline: ProcessDefinition) -> list[dict]:
    """Required fields and exclusion questions of the draft's steps that the baseline's same steps lack."""
    exclusions = exclusion_keys(draft.bundle)
    before = _required_keys(baseline, exclusion_keys(baseline.bundle))
    return [item for pair, item in _required_keys(draft, exclusions).items()
            if pair not in before and pair[0] in baseline.user_tasks]
