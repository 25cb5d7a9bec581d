"""The administrator-maintained part of the working-day calendar.

``chinesecalendar`` knows the State Council's arrangement for the years it was released with. For a later
year the administrator enters the days (one at a time, or by pasting the notice's lines) and confirms the
year; every change goes on the system audit chain with what the day was before and after.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, Integer, func, null, select, union_all

from service.audit import chain as audit
from service.engine.calendar import CalendarYearUnknown, WorkdayCalendar, library_days, library_knows
from service.platform.errors import Conflict, Invalid
from service.platform.extensions import db
from service.rounds.holiday_notice import parse_notice
from service.rounds.models import CalendarOverride, CalendarYear

FIRST_YEAR, LAST_YEAR = 2004, 2100
NOTE_MAX = 200


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


def check_year(year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Invalid(f"年份应在 {FIRST_YEAR} 至 {LAST_YEAR} 之间", fields={"year": ["年份超出范围"]})
    return year


def _state(row: CalendarOverride | None) -> dict | None:
    return None if row is None else {"is_workday": row.is_workday, "note": row.note}


def set_day(day: date, *, is_workday: bool, note: str, actor: str) -> CalendarOverride:
    """Declare ``day`` a working day or a day off (audited with the entry it replaces)."""
    row = db.session.get(CalendarOverride, day)
    before = _state(row)
    row = row or CalendarOverride(day=day)
    row.is_workday, row.note, row.updated_by = is_workday, note[:NOTE_MAX], actor
    db.session.add(row)
    audit.append(audit.SYSTEM_CHAIN, actor=actor, action="calendar_changed",
                 data={"day": day.isoformat(), "before": before, "after": _state(row),
                       "is_workday": is_workday, "note": row.note})
    return row


def clear_day(day: date, *, actor: str) -> bool:
    """Remove the administrator's entry for ``day`` (the library's or the weekday rule applies again)."""
    row = db.session.get(CalendarOverride, day)
    if row is None:
        return False
    audit.append(audit.SYSTEM_CHAIN, actor=actor, action="calendar_changed",
                 data={"day": day.isoformat(), "before": _state(row), "after": None})
    db.session.delete(row)
    return True


def _overrides_of(year: int) -> list[CalendarOverride]:
    return list(db.session.scalars(select(CalendarOverride).where(
        CalendarOverride.day >= date(year, 1, 1), CalendarOverride.day <= date(year, 12, 31))
        .order_by(CalendarOverride.day)))


def year_view(year: int) -> dict:
    """The year's days that break the weekday rule (from the library and the administrator's entries,
    an entry winning over the library) and whether the year is known and confirmed."""
    check_year(year)
    days = {day: {"day": day, "is_workday": workday, "note": note, "source": "library", "library": workday}
            for day, (workday, note) in library_days(year).items()}
    for row in _overrides_of(year):
        base = days.get(row.day, {"library": None})
        days[row.day] = {"day": row.day, "is_workday": row.is_workday, "note": row.note, "source": "override",
                         "library": base["library"], "updated_by": row.updated_by, "updated_at": row.updated_at}
    confirmed = db.session.get(CalendarYear, year)
    listed = [days[d] for d in sorted(days)]
    return {"year": year, "library": library_knows(year), "confirmed": confirmed is not None,
            "confirmed_by": confirmed.confirmed_by if confirmed else None,
            "confirmed_at": confirmed.confirmed_at if confirmed else None,
            "known": library_knows(year) or confirmed is not None, "days": listed,
            "holidays": sum(1 for d in listed if not d["is_workday"] and d["day"].weekday() < 5),
            "workdays": sum(1 for d in listed if d["is_workday"] and d["day"].weekday() >= 5)}


def preview_notice(year: int, text: str) -> dict:
    """What saving the pasted notice would enter, day by day with what each day is now, and every line
    that cannot be read (with its number and reason)."""
    check_year(year)
    days, problems = parse_notice(text, year)
    entries = {row.day: row for row in db.session.scalars(select(CalendarOverride).where(
        CalendarOverride.day.in_([d.day for d in days])))} if days else {}
    known = WorkdayCalendar(overrides={day: row.is_workday for day, row in entries.items()},
                            confirmed_years=frozenset(db.session.scalars(select(CalendarYear.year))))
    rows = []
    for item in days:
        entry = entries.get(item.day)
        try:
            now = known.is_workday(item.day)
        except CalendarYearUnknown:
            now = None
        rows.append({"day": item.day, "is_workday": item.is_workday, "note": item.note, "line": item.line,
                     "now": now, "changes": entry is None or entry.is_workday != item.is_workday
                     or entry.note != item.note})
    return {"year": year, "days": rows, "problems": [p.as_dict() for p in problems]}


def save_notice(year: int, text: str, *, actor: str) -> int:
    """Enter the pasted notice's days; refused (naming each bad line) unless every line was read."""
    preview = preview_notice(year, text)
    if preview["problems"]:
        raise Invalid("通知中有无法识别的内容，请修改后重新预览",
                      fields={"text": [f"第{p['line']}行：{p['reason']}" for p in preview["problems"]]},
                      details=preview["problems"])
    changed = [row for row in preview["days"] if row["changes"]]
    for row in changed:
        set_day(row["day"], is_workday=row["is_workday"], note=row["note"], actor=actor)
    return len(changed)


def confirm_year(year: int, *, actor: str) -> CalendarYear:
    """Declare that every holiday and make-up workday of ``year`` has been entered."""
    check_year(year)
    row = db.session.get(CalendarYear, year)
    if row is not None:
        return row
    entered = db.session.scalar(select(func.count()).select_from(CalendarOverride).where(
        CalendarOverride.day >= date(year, 1, 1), CalendarOverride.day <= date(year, 12, 31)))
    if not entered and not library_knows(year):
        raise Conflict(f"{year}年还没有录入任何节假日或调休上班日，不能确认：请先粘贴国务院办公厅的节假日安排通知",
                       code="calendar_year_empty")
    row = CalendarYear(year=year, confirmed_by=actor)
    db.session.add(row)
    audit.append(audit.SYSTEM_CHAIN, actor=actor, action="calendar_year_confirmed",
                 data={"year": year, "before": {"confirmed": False}, "after": {"confirmed": True},
                       "entries": entered})
    return row
