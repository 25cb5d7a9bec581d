"""Round statistics for province staff: where applications stand, and how long each step takes."""
from __future__ import annotations

import json
import statistics as stats
from collections import defaultdict
from datetime import datetime

from sqlalchemy import func, select

from service.platform.extensions import db
from service.applications.models import Application
from service.audit.models import AuditEvent
from service.rounds.models import Round
from service.versions.deploy import loaded_version


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(share * len(ordered))) - 1))]


def stage_counts(round_id: int) -> list[dict]:
    """How many of the round's applications stand at each stage, per city and category."""
    rows = db.session.execute(
        select(Application.stage, Application.city_code, Application.category, func.count())
        .where(Application.round_id == round_id)
        .group_by(Application.stage, Application.city_code, Application.category)).all()
    return [{"stage": stage, "city_code": city, "category": category, "count": count}
            for stage, city, category, count in rows]


def _time_limits(round_id: int) -> dict[str, int]:
    """Each step's time limit (办理时限, working days) in the round's process version."""
    version_id = db.session.scalar(select(Round.process_version_id).where(Round.id == round_id))
    if version_id is None:
        return {}
    tasks = loaded_version(version_id).definition.user_tasks.values()
    return {task.bpmn_id: task.time_limit_days for task in tasks if task.time_limit_days}


def round_statistics(round_id: int) -> dict:
    durations: dict[str, list[float]] = defaultdict(list)
    names: dict[str, str] = {}
    late: dict[str, int] = defaultdict(int)
    events = db.session.execute(select(AuditEvent, Application.process_version_id)
                                .join(Application, Application.id == AuditEvent.application_id)
                                .where(Application.round_id == round_id,
                                       AuditEvent.action.in_(("task_completed", "timer_fired")))).all()
    waits = {}  # per version: timers that are waits (end of public notice), not deadlines
    for event, version_id in events:
        data = json.loads(event.data)
        names.setdefault(event.element_id, data.get("name") or event.element_id)
        if event.action == "timer_fired":
            if version_id not in waits:
                catch = loaded_version(version_id).definition.catch_events
                waits[version_id] = {element for element, kind in catch.items() if kind == ("timer", None)}
            if event.element_id not in waits[version_id]:
                late[event.element_id] += 1  # a deadline on a step ran out
            continue
        if data.get("opened_at"):
            hours = (event.at - datetime.fromisoformat(data["opened_at"])).total_seconds() / 3600
            durations[event.element_id].append(max(hours, 0.0))
            if data.get("due_at") and event.at > datetime.fromisoformat(data["due_at"]):
                late[event.element_id] += 1
    limits = _time_limits(round_id)
    steps = [{"step": element, "name": names[element], "completed": len(values),
              "median_hours": round(stats.median(values), 2), "p90_hours": round(_percentile(values, 0.9), 2),
              "time_limit_days": limits.get(element)}
             for element, values in sorted(durations.items())]
    return {
        "by_stage": stage_counts(round_id),
        "steps": steps,
        "missed_deadlines": sorted(({"step": element, "name": names.get(element, element), "count": count}
                                    for element, count in late.items()), key=lambda row: -row["count"]),
    }
