"""Rehearsal: run a draft, without deploying it, through the standard paths of the round and through
the paths that real applications of an earlier round took (their audit trails replayed in order).

Everything happens in memory on a private clock: no application, task, timer or audit row is written.
A path either reaches the same end as before, ends differently, or gets stuck at the element where the
draft can no longer follow the recorded decisions.

The draft's code has not been reviewed, so the replays run in a confined child process (see
engine/confine.py); the database is read here, in the server, and only plain data crosses over.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from service.audit import chain as audit
from service.versions.samples import sample_declaration
from service.engine.bundle import Bundle
from service.engine.calendar import CalendarYearUnknown, WorkdayCalendar
from service.engine.clock import ManualClock
from service.engine.confine import ConfinedFailure, Limits, run_confined
from service.engine.definition import ProcessDefinition
from service.engine.round_settings import default_start_data
from service.engine.workflow import Engine, EngineError
from service.platform.errors import ServiceError
from service.platform.extensions import db
from service.applications.models import Application
from service.versions.models import ProcessVersion
from service.rounds.models import Round
from service.rounds.setting_values import start_data as round_start_data
from service.accounts.models import User
from service.rounds.calendar import current_calendar

# What a replay acts on; everything else in a trail is the engine's own consequence.
DECISIONS = ("task_completed", "batch_action", "objection_recorded", "timer_fired")
LIMITS = Limits(seconds=300, cpu_seconds=300, memory_mb=1024)


class RehearsalStopped(ServiceError):
    status, code = 422, "rehearsal_stopped"


@dataclass
class Event:
    """One recorded (or scripted) decision: who did what to which element, when, with which data."""

    action: str
    at: datetime
    element_id: str | None = None
    data: dict = field(default_factory=dict)
    actor: str = ""


@dataclass
class PathResult:
    label: str
    status: str  # same / different / stuck / running
    expected: str | None
    rehearsed: str | None
    diverged_at: str | None = None
    diverged_name: str | None = None
    reason: str | None = None
    application_id: int | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


@dataclass
class Replay:
    outcome: tuple[str, str] | None
    stuck_at: str | None = None
    reason: str | None = None
    applied: int = 0


def _name_of(definition: ProcessDefinition, element: str | None) -> str | None:
    if element is None:
        return None
    for wf_spec in (definition.spec, *definition.subprocess_specs.values()):
        for spec in wf_spec.task_specs.values():
            if spec.bpmn_id == element:
                return spec.bpmn_name or element
    return element


@dataclass
class RecordedPath:
    """One application of a round as the replay needs it: read in the server, replayed in the child."""

    label: str
    application_id: int
    start: dict
    events: list[Event]
    started_at: datetime
    expected: tuple[str, str] | None
    finished: bool


def replay(definition: ProcessDefinition, start_data: dict, events: list[Event], user_ids: dict[str, str], *,
           started_at: datetime, calendar: WorkdayCalendar) -> Replay:
    """Start an instance of ``definition`` and apply ``events`` in order; stop where it cannot follow."""
    clock = ManualClock(started_at)
    engine = Engine(definition, clock=clock, calendar=calendar)
    applied = 0
    try:
        # A setting the draft lists that the round never had: the draft's default, as a new round would get.
        wf, _ = engine.start({**default_start_data(definition.round_settings, started_at), **start_data})
        for event in events:
            clock.set(max(event.at, clock.now()))
            if event.action == "task_completed":
                ready = [t for t in engine.ready_tasks(wf) if t.bpmn_id == event.element_id]
                mine = [t for t in ready if t.assignee is not None and t.assignee == user_ids.get(event.actor)]
                if not ready:
                    return Replay(engine.outcome(wf), event.element_id, "草稿流程走到这里时没有这一环节可办理", applied)
                engine.complete(wf, (mine or ready)[0].id, event.data.get("form") or {})
            elif event.action == "batch_action":
                engine.send_message(wf, event.data["action"], {})
            elif event.action == "objection_recorded":
                engine.send_message(wf, "objection", {k: v for k, v in event.data.items() if k != "name"})
            elif event.action == "timer_fired":
                fired = engine.fire_timers(wf)
                if event.element_id and not any(step.element_id == event.element_id for step in fired):
                    return Replay(engine.outcome(wf), event.element_id, "草稿流程在这一时刻没有到期的这个定时器",
                                  applied)
            applied += 1
    except (EngineError, CalendarYearUnknown) as err:
        element = getattr(err, "element_id", None) or (event.element_id if events else None)
        return Replay(None, element, str(err), applied)
    return Replay(engine.outcome(wf), None, None, applied)


def _round_start_data(round_: Round, application_id: int, category: str, city: str) -> dict:
    return {"application_id": application_id, "category": category, "city": city, **round_start_data(round_)}


def recorded_events(application: Application) -> list[Event]:
    events = []
    for row in audit.trail(audit.application_chain(application.id)):
        if row.action in DECISIONS:
            events.append(Event(row.action, row.at, row.element_id, json.loads(row.data), row.actor))
    return events


def _compare(label: str, expected: tuple[str, str] | None, result: Replay, definition: ProcessDefinition,
             finished: bool, application_id: int | None = None) -> PathResult:
    rehearsed = result.outcome[1] if result.outcome else None
    expected_name = expected[1] if expected else None
    if result.stuck_at or result.reason:
        return PathResult(label, "stuck", expected_name, rehearsed, result.stuck_at,
                          _name_of(definition, result.stuck_at), result.reason, application_id)
    if not finished:
        status = "running" if result.outcome is None else "different"
    else:
        status = "same" if result.outcome and expected and result.outcome[0] == expected[0] else "different"
    return PathResult(label, status, expected_name, rehearsed, application_id=application_id)


def recorded_paths(round_id: int) -> tuple[list[RecordedPath], dict[str, str]]:
    """Every application of a round with its recorded decisions, and the ids of the users who made them."""
    round_ = db.session.get(Round, round_id)
    paths = []
    for application in db.session.scalars(select(Application).where(Application.round_id == round_id)
                                          .order_by(Application.id)):
        expected = (application.outcome_element, application.outcome) if application.outcome else None
        paths.append(RecordedPath(f"{application.id} {application.unit_name}", application.id,
                                  _round_start_data(round_, application.id, application.category,
                                                    application.city_code),
                                  recorded_events(application), application.created_at, expected,
                                  application.outcome is not None))
    actors = {event.actor for path in paths for event in path.events}
    user_ids = {name: str(user_id) for name, user_id in
                db.session.execute(select(User.username, User.id).where(User.username.in_(actors)))} if actors else {}
    return paths, user_ids


def rehearse_recorded(definition: ProcessDefinition, paths: list[RecordedPath], user_ids: dict[str, str],
                      calendar: WorkdayCalendar) -> list[PathResult]:
    """Replay every application of a round; compare each end with the end it really reached."""
    return [_compare(path.label, path.expected,
                     replay(definition, path.start, path.events, user_ids, started_at=path.started_at,
                            calendar=calendar),
                     definition, path.finished, path.application_id)
            for path in paths]


# -- the standard paths of the round ------------------------------------------------------
T0 = datetime(2024, 5, 6, 1, 0, tzinfo=timezone.utc)
SCENARIO_ROUND = {"city_deadline": datetime(2024, 6, 10, 16, 0, tzinfo=timezone.utc).isoformat(), "notice_days": 5,
                  "unit_deadline": datetime(2024, 6, 10, 16, 0, tzinfo=timezone.utc).isoformat(),
                  "expert_count": 3, "pass_score": 60.0}
EXPERTS = ["9001", "9002", "9003"]
CITY_OK = {"consult_ecology": "无环境违法记录", "consult_emergency": "无安全事故", "consult_market": "经营正常"}


def _script(*steps) -> list[Event]:
    """Scripted decisions a day apart (a timer a month later), with the actors the assignees expect."""
    events, at = [], T0
    for action, element, data, actor in steps:
        at += timedelta(days=30 if action == "timer_fired" else 1)
        events.append(Event(action, at, element, data, actor))
    return events


def _declare(exclusions=()):
    return ("task_completed", "Task_declare_factory", {"form": sample_declaration("factory", exclusions=exclusions)},
            "applicant")


def _city(decision):
    form = {**CITY_OK, "decision": decision}
    form.update({"recommend_rank": 1} if decision == "recommend" else {"comments": "意见"})
    return ("task_completed", "Task_city_review", {"form": form}, "city")


def _formal(decision="accept", site=False):
    form = {"materials_complete": True, "decision": decision, "require_site_inspection": site}
    form.update({"experts": EXPERTS} if decision == "accept" else {"comments": "材料不全"})
    return ("task_completed", "Task_formal_review", {"form": form}, "province")


def _experts(scores=(80, 75, 70), site=False):
    return [("task_completed", "Task_expert_review", {"form": {"score": s, "site_inspection": site and n == 0,
                                                               "opinion": "评审意见"}}, f"expert-{EXPERTS[n]}")
            for n, s in enumerate(scores)]


def _batch(action):
    return ("batch_action", None, {"action": action}, "province")


NOTICE_OVER = ("timer_fired", None, {}, "worker")
OBJECTION = ("objection_recorded", None, {"real_name": "陈某", "contact": "13900000000", "content": "异议内容",
                                          "evidence": "证明材料"}, "province")


def standard_paths() -> dict[str, list[Event]]:
    listed = [_declare(), _city("recommend"), _formal(), *_experts(), _batch("start_notice")]
    paths = {
        "列入名单": listed + [NOTICE_OVER, _batch("publish")],
        "退回修改后推荐": [_declare(), _city("send_back"), _declare(), _city("recommend"), _formal("reject")],
        "市州不予推荐": [_declare(), _city("reject")],
        "存在排除情形": [_declare(exclusions=("exc_dishonest",))],
        "形式审查未通过": [_declare(), _city("recommend"), _formal("reject")],
        "专家评分未达标": [_declare(), _city("recommend"), _formal(), *_experts((50, 40, 55))],
        "现场核查通过": [_declare(), _city("recommend"), _formal(site=True), *_experts(site=True),
                   ("task_completed", "Task_site_inspection", {"form": {"inspected_on": "2024-07-01", "inspectors": "王工",
                                                                        "findings": "核查情况", "decision": "pass"}},
                    "province"), _batch("start_notice"), NOTICE_OVER, _batch("publish")],
        "异议成立": listed + [OBJECTION, ("task_completed", "Task_objection",
                                        {"form": {"investigation": "已核实", "decision": "upheld", "reply": "已答复"}},
                                        "province")],
    }
    scripted = {label: _script(*steps) for label, steps in paths.items()}
    # Past the city deadline with nothing declared: the deadline ends it.
    scripted["逾期未推荐"] = [Event("timer_fired", datetime(2024, 6, 12, tzinfo=timezone.utc))]
    return scripted


def _scenario_start() -> dict:
    return {"application_id": 0, "category": "factory", "city": "220100", **SCENARIO_ROUND}


def rehearse_standard(draft: ProcessDefinition, baseline: ProcessDefinition,
                      calendar: WorkdayCalendar) -> list[PathResult]:
    """Each standard path on the baseline version and on the draft: the same end, another, or stuck."""
    actors = {f"expert-{e}": e for e in EXPERTS}
    results = []
    for label, events in standard_paths().items():
        before = replay(baseline, _scenario_start(), events, actors, started_at=T0, calendar=calendar)
        after = replay(draft, _scenario_start(), events, actors, started_at=T0, calendar=calendar)
        if before.reason:
            results.append(PathResult(label, "skipped", None, None, before.stuck_at, _name_of(baseline, before.stuck_at),
                                      f"当前版本也走不通此路径：{before.reason}"))
            continue
        results.append(_compare(label, before.outcome, after, draft, True))
    return results


def rehearse(bundle: Bundle, *, baseline_version: ProcessVersion, round_id: int | None = None) -> dict:
    """The report for one draft: the standard paths, and the recorded paths of ``round_id`` if given."""
    paths, user_ids = recorded_paths(round_id) if round_id is not None else ([], {})
    try:
        report = run_confined(_rehearse_confined, bundle.to_json(), baseline_version.bundle, current_calendar(),
                              paths, user_ids, limits=LIMITS)
    except ConfinedFailure as failure:
        raise RehearsalStopped(f"演练被强制停止：{failure.reason}；请检查草稿中的脚本和表达式") from None
    report["round_id"] = round_id
    return report


def _rehearse_confined(draft_json: str, baseline_json: str, calendar: WorkdayCalendar,
                       paths: list[RecordedPath], user_ids: dict[str, str]) -> dict:
    """In the confined child: parse both versions and run every path."""
    draft = ProcessDefinition(Bundle.from_json(draft_json))
    baseline = ProcessDefinition(Bundle.from_json(baseline_json))
    report = {"standard": [r.as_dict() for r in rehearse_standard(draft, baseline, calendar)],
              "recorded": [r.as_dict() for r in rehearse_recorded(draft, paths, user_ids, calendar)]}
    report["summary"] = {kind: _tally(report[kind]) for kind in ("standard", "recorded")}
    return report


def _tally(rows: list[dict]) -> dict:
    tally: dict[str, int] = {}
    for row in rows:
        tally[row["status"]] = tally.get(row["status"], 0) + 1
    return tally
