"""Rehearsal: run a draft, without deploying it, through the standard paths of the round and through
the paths that real applications of an earlier round took (their audit trails replayed in order).

Everything happens in memory on a private clock: no application, task, timer or audit row is written.
A path either reaches the same end as before, ends differently, or gets stuck at the element where the
draft can no longer follow the recorded decisions. Forms follow the draft: the standard paths fill the
draft's own forms (standard_paths.py), and a field the draft newly requires that a recorded application
never answered is a finding, named with the applications, not a reason to call the path stuck.

The draft's code has not been reviewed, so the replays run in a confined child process (see
engine/confine.py); the database is read here, in the server, and only plain data crosses over.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from service.accounts.roles import lane_roles
from service.audit import chain as audit
from service.engine.bundle import Bundle
from service.engine.calendar import WorkdayCalendar
from service.engine.confine import ConfinedFailure, Limits, run_confined
from service.engine.definition import ProcessDefinition
from service.platform.errors import ServiceError
from service.platform.extensions import db
from service.applications.models import Application
from service.versions.models import ProcessVersion
from service.rounds.models import Round
from service.rounds.setting_values import start_data as round_start_data
from service.accounts.models import User
from service.rounds.calendar import current_calendar
from service.versions.formfill import TaskForms
from service.versions.replay import Event, PathResult, compare, replay
from service.versions.standard_paths import CLEAR_REGISTER, rehearse_standard

# What a replay acts on; everything else in a trail is the engine's own consequence.
DECISIONS = ("task_completed", "batch_action", "objection_recorded", "timer_fired", "city_package_received")
LIMITS = Limits(seconds=300, cpu_seconds=300, memory_mb=1024)


class RehearsalStopped(ServiceError):
    status, code = 422, "rehearsal_stopped"


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


def _round_start_data(round_: Round, application_id: int, category: str, city: str, register: dict) -> dict:
    return {"application_id": application_id, "category": category, "city": city, **round_start_data(round_),
            **CLEAR_REGISTER, **register}


def recorded_events(application: Application) -> tuple[list[Event], dict]:
    """The recorded decisions, and what the provincial register said about the unit when it started."""
    events, register = [], {}
    for row in audit.trail(audit.application_chain(application.id)):
        if row.action in DECISIONS:
            events.append(Event(row.action, row.at, row.element_id, json.loads(row.data), row.actor))
        elif row.action == "application_started":
            register = json.loads(row.data).get("register") or {}
    return events, register


def recorded_paths(round_id: int) -> tuple[list[RecordedPath], dict[str, str]]:
    """Every application of a round with its recorded decisions, and the ids of the users who made them."""
    round_ = db.session.get(Round, round_id)
    paths = []
    for application in db.session.scalars(select(Application).where(Application.round_id == round_id)
                                          .order_by(Application.id)):
        expected = (application.outcome_element, application.outcome) if application.outcome else None
        events, register = recorded_events(application)
        paths.append(RecordedPath(f"{application.id} {application.unit_name}", application.id,
                                  _round_start_data(round_, application.id, application.category,
                                                    application.city_code, register),
                                  events, application.created_at, expected,
                                  application.outcome is not None))
    actors = {event.actor for path in paths for event in path.events}
    user_ids = {name: str(user_id) for name, user_id in
                db.session.execute(select(User.username, User.id).where(User.username.in_(actors)))} if actors else {}
    return paths, user_ids


def rehearse_recorded(definition: ProcessDefinition, paths: list[RecordedPath], user_ids: dict[str, str],
                      calendar: WorkdayCalendar) -> list[PathResult]:
    """Replay every application of a round; compare each end with the end it really reached."""
    forms = TaskForms(definition.bundle, definition.user_tasks)
    return [compare(path.label, path.expected,
                    replay(definition, path.start, path.events, user_ids, started_at=path.started_at,
                           calendar=calendar, forms=forms),
                    definition, path.finished, path.application_id)
            for path in paths]


def findings(new: list[dict], recorded: list[PathResult]) -> list[dict]:
    """Each field the draft newly requires (or that recorded forms left unanswered), with the recorded
    applications that reached its step and never answered it: what to settle before deploying."""
    by_field = {(item["element_id"], item["key"]): {**item, "unanswered_by": []} for item in new}
    for row in recorded:
        for item in row.findings:
            entry = by_field.setdefault((item["element_id"], item["key"]), {**item, "unanswered_by": []})
            if row.application_id not in entry["unanswered_by"]:
                entry["unanswered_by"].append(row.application_id)
    return list(by_field.values())


def rehearse(bundle: Bundle, *, baseline_version: ProcessVersion, round_id: int | None = None) -> dict:
    """The report for one draft: the standard paths, and the recorded paths of ``round_id`` if given."""
    paths, user_ids = recorded_paths(round_id) if round_id is not None else ([], {})
    try:
        report = run_confined(_rehearse_confined, bundle.to_json(), baseline_version.bundle, current_calendar(),
                              paths, user_ids, lane_roles(), limits=LIMITS)
    except ConfinedFailure as failure:
        raise RehearsalStopped(f"演练被强制停止：{failure.reason}；请检查草稿中的脚本和表达式") from None
    report["round_id"] = round_id
    if round_id is not None:  # the draft's priority rule against the round's reviewed applications
        from service.rounds.ranking import ranking_preview

        report["ranking"] = ranking_preview(bundle, round_id)
    return report


def _rehearse_confined(draft_json: str, baseline_json: str, calendar: WorkdayCalendar,
                       paths: list[RecordedPath], user_ids: dict[str, str], roles: dict[str, str]) -> dict:
    """In the confined child: parse both versions and run every path."""
    draft = ProcessDefinition(Bundle.from_json(draft_json), roles)
    baseline = ProcessDefinition(Bundle.from_json(baseline_json), roles)
    standard, coverage = rehearse_standard(draft, baseline, calendar)
    recorded = rehearse_recorded(draft, paths, user_ids, calendar)
    report = {"standard": [r.as_dict() for r in standard], "recorded": [r.as_dict() for r in recorded],
              "coverage": coverage, "findings": findings(coverage["new_requirements"], recorded)}
    report["summary"] = {kind: _tally(report[kind]) for kind in ("standard", "recorded")}
    return report


def _tally(rows: list[dict]) -> dict:
    tally: dict[str, int] = {}
    for row in rows:
        tally[row["status"]] = tally.get(row["status"], 0) + 1
    return tally
