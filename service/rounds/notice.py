"""The public notice (公示) and the published list (认定名单) as documents: who issues them, when, for how long,
which units, and where objections go.

A round may start its public notice on more than one day (a late application, a re-examined one); each day's
batches make one notice with its own period: from that day to the last of its ``notice_days`` working days.
Everything is read from the audit trail (the batch actions each application received), in one query.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from service.applications.models import Application
from service.audit.models import AuditEvent, batch_events
from service.engine.calendar import CalendarYearUnknown
from service.platform.extensions import db
from service.platform.reference import CITIES
from service.platform.timeutil import to_shanghai
from service.rounds.calendar import current_calendar
from service.rounds.models import Round
from service.rounds.setting_values import extra_values
from service.versions.categories import category_label

DEFAULT_ISSUER = "吉林省工业和信息化厅"
# The contact lines of 吉工信资源〔2024〕98号, offered when a round is made (the notice gives no postal address).
NOTICE_CHANNEL = {"objection_phone": "0431-88914475", "objection_email": "jlzy8904578@163.com"}


@dataclass
class ListedUnit:
    """One line of a public list: nothing personal (no contact, no person's name)."""

    application_id: int
    unit_name: str
    credit_code: str
    category: str
    city: str
    city_code: str


@dataclass
class NoticeBatch:
    """One notice (or one publication): its date, its period and its units."""

    batch_id: str
    started_at: datetime
    period_from: date
    period_to: date | None  # None when the holiday arrangement of that year is not known yet
    units: list[ListedUnit] = field(default_factory=list)


def issuer(round_: Round) -> str:
    """发布机关: the round's setting when its version lists one, else the department of the notice."""
    return str(extra_values(round_).get("notice_issuer") or DEFAULT_ISSUER)


def objection_contact(round_: Round) -> str:
    return str(extra_values(round_).get("notice_contact") or "")


def _units_by_batch(round_id: int, action: str, *, city: str | None = None) -> dict[str, tuple[datetime, list[int]]]:
    """day (YYYY-MM-DD) → (first batch time, application ids) of the round's applications that received ``action``."""
    rows = db.session.execute(round_batch_events(round_id, city=city)).all()
    batches: dict[str, tuple[datetime, list[int]]] = {}
    for application_id, at, data in rows:
        payload = json.loads(data)
        if payload.get("action") != action:
            continue
        # Batches started on the same day make one notice (one period), as a clerk would publish them.
        key = f"{to_shanghai(at).date():%Y-%m-%d}"
        batches.setdefault(key, (at, []))[1].append(application_id)
    return batches


def round_batch_events(round_id: int, *, city: str | None = None):
    """(application id, time, data) of the batch events of the round's applications (of ``city``), oldest first:
    a public page, so through the batch events' partial index, not every event of every application."""
    applications = select(Application.id).where(Application.round_id == round_id)
    if city:
        applications = applications.where(Application.city_code == city)
    return (select(AuditEvent.application_id, AuditEvent.at, AuditEvent.data)
            .where(batch_events(), AuditEvent.application_id.in_(applications))
            .order_by(AuditEvent.at, AuditEvent.application_id))


def _units(ids: list[int], *, finished_only: bool) -> list[ListedUnit]:
    if not ids:
        return []
    query = select(Application).where(Application.id.in_(ids))
    if finished_only:
        query = query.where(Application.completed_at.is_not(None))
    found = db.session.scalars(query.order_by(Application.category, Application.city_code, Application.id)).all()
    return [ListedUnit(a.id, a.unit_name, a.credit_code or "", category_label(a.category, a.process_version_id),
                       CITIES.get(a.city_code, a.city_code), a.city_code) for a in found]


def notice_batches(round_: Round) -> list[NoticeBatch]:
    """Every public notice the round started, oldest first, each with its period in working days."""
    calendar = current_calendar()
    found = []
    for batch_id, (at, ids) in _units_by_batch(round_.id, "start_notice").items():
        try:
            period_to = to_shanghai(calendar.window_end(at, round_.notice_days)).date() - timedelta(days=1)
        except CalendarYearUnknown:
            period_to = None
        found.append(NoticeBatch(batch_id, at, to_shanghai(at).date(), period_to, _units(ids, finished_only=False)))
    return found


def publications(round_: Round, *, city: str | None = None) -> list[NoticeBatch]:
    """Every publication of the round (the publish batches), each with the units it listed."""
    found = []
    for batch_id, (at, ids) in _units_by_batch(round_.id, "publish", city=city).items():
        units = _units(ids, finished_only=True)
        if units:
            found.append(NoticeBatch(batch_id, at, to_shanghai(at).date(), None, units))
    return found


def objection_channel(round_: Round) -> dict:
    """How to object, as the notice prints it (the round's settings)."""
    return {"contact": objection_contact(round_), "address": round_.objection_address,
            "phone": round_.objection_phone, "email": round_.objection_email}
