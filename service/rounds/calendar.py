"""The administrator-maintained part of the working-day calendar."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, Integer, null, select, union_all

from service.audit import chain as audit
from service.engine.calendar import WorkdayCalendar
from service.platform.extensions import db
from service.rounds.models import CalendarOverride, CalendarYear


def current_calendar() -> WorkdayCalendar:
    """Both tables in one statement: a submit that opens a task with a time limit (办理时限) reads them."""
    rows = db.session.execute(union_all(
        select(CalendarOverride.day, CalendarOverride.is_workday, null().cast(Integer)),
        select(null().cast(Date), null().cast(Boolean), CalendarYear.year))).all()
    overrides = {day: is_workday for day, is_workday, year in rows if year is None}
    years = frozenset(year for _, _, year in rows if year is not None)
    return WorkdayCalendar(overrides=overrides, confirmed_years=years)


class LazyCalendar:
    """The working-day calendar, read from the database only when a computation needs it: most steps
    compute no working days, so most submits read no calendar."""

    def __init__(self):
        self._calendar: WorkdayCalendar | None = None

    def __getattr__(self, name):
        if self._calendar is None:
            self._calendar = current_calendar()
        return getattr(self._calendar, name)


def set_day(day: date, *, is_workday: bool, note: str, actor: str) -> CalendarOverride:
    row = db.session.get(CalendarOverride, day) or CalendarOverride(day=day)
    row.is_workday, row.note, row.updated_by = is_workday, note, actor
    db.session.add(row)
    audit.append(audit.SYSTEM_CHAIN, actor=actor, action="calendar_changed",
                 data={"day": day.isoformat(), "is_workday": is_workday, "note": note})
    return row


def confirm_year(year: int, *, actor: str) -> CalendarYear:
    """Declare that every holiday and make-up workday of ``year`` has been entered."""
    row = db.session.get(CalendarYear, year) or CalendarYear(year=year, confirmed_by=actor)
    db.session.add(row)
    audit.append(audit.SYSTEM_CHAIN, actor=actor, action="calendar_year_confirmed", data={"year": year})
    return row
