"""Rounds (年度批次): settings of one year's round, pinned to one process version."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from service.audit import chain as audit
from service.engine.calendar import SHANGHAI
from service.platform.errors import Conflict, Invalid, NotFound
from service.platform.extensions import db
from service.platform.inputs import text_problem
from service.rounds.models import Round
from service.versions.deploy import get_version_or_404, latest_version


def get_round_or_404(round_id: int) -> Round:
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise NotFound(f"批次 {round_id} 不存在")
    return round_


def deadline_end_of_day(day: date) -> datetime:
    """'By 10 June' means until midnight after 10 June, Asia/Shanghai."""
    return datetime.combine(day + timedelta(days=1), time(0, 0), SHANGHAI)


def open_round(*, name: str, year: int, city_deadline: date, actor: str, process_version_id: int | None = None,
               notice_days: int = 5, expert_count: int = 3, pass_score: float = 60.0) -> Round:
    errors = {}
    if not name.strip():
        errors["name"] = ["必填项"]
    elif text_problem(name):
        errors["name"] = [text_problem(name)]
    if not 1 <= notice_days <= 30:
        errors["notice_days"] = ["公示天数应在 1–30 个工作日之间"]
    if not 1 <= expert_count <= 15:
        errors["expert_count"] = ["专家人数应在 1–15 之间"]
    if not 0 <= pass_score <= 100:
        errors["pass_score"] = ["合格分应在 0–100 之间"]
    if errors:
        raise Invalid("批次设置不正确", fields=errors)
    if db.session.scalar(select(Round).where(Round.name == name)) is not None:
        raise Conflict(f"批次“{name}”已存在", code="duplicate")
    version = get_version_or_404(process_version_id) if process_version_id else latest_version()
    if version is None:
        raise NotFound("尚未部署任何流程版本，请先部署流程")
    round_ = Round(name=name, year=year, process_version_id=version.id,
                   city_deadline=deadline_end_of_day(city_deadline), notice_days=notice_days,
                   expert_count=expert_count, pass_score=pass_score, status="open")
    db.session.add(round_)
    db.session.flush()
    audit.append(audit.SYSTEM_CHAIN, actor=actor, action="round_opened",
                 data={"round_id": round_.id, "name": name, "process_version": version.number,
                       "city_deadline": round_.city_deadline.isoformat(), "notice_days": notice_days,
                       "expert_count": expert_count, "pass_score": pass_score})
    return round_


def next_round(round_id: int, *, process_version_id: int, actor: str, name: str | None = None) -> Round:
    """Next year's round from this one: the same settings, the deadline a year later, the chosen version."""
    previous = get_round_or_404(round_id)
    last_day = previous.city_deadline.astimezone(SHANGHAI).date() - timedelta(days=1)
    try:
        deadline = last_day.replace(year=last_day.year + 1)
    except ValueError:  # 29 February
        deadline = last_day.replace(year=last_day.year + 1, day=28)
    year = previous.year + 1
    return open_round(name=name or _next_name(previous.name, previous.year), year=year, city_deadline=deadline,
                      actor=actor, process_version_id=process_version_id, notice_days=previous.notice_days,
                      expert_count=previous.expert_count, pass_score=previous.pass_score)


def _next_name(name: str, year: int) -> str:
    return name.replace(str(year), str(year + 1)) if str(year) in name else f"{name}（{year + 1}）"
