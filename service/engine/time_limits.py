"""办理时限: a user task's time limit in working days (the modeler property ``time_limit_days``).

A task that arrives on a day has until midnight (Changchun) after the N-th working day that follows: the day
it arrives does not count, as an office counts "N working days from receipt". A boundary timer on the task,
when there is one, gives its due date instead (the round's deadline is the harder limit).
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from service.engine.calendar import SHANGHAI, WorkdayCalendar

TIME_LIMIT = "time_limit_days"
MAX_TIME_LIMIT = 365


def time_limit_days(value) -> int | None:
    """The property's value as a number of working days, or None when it is not a whole number 1–365."""
    text = str(value).strip() if value is not None else ""
    if not text.isdigit() or len(text) > 3:
        return None
    days = int(text)
    return days if 1 <= days <= MAX_TIME_LIMIT else None


def due_after(calendar: WorkdayCalendar, opened: datetime, working_days: int) -> datetime:
    """Midnight after the ``working_days``-th working day following the day ``opened`` falls on (Changchun)."""
    next_day = opened.astimezone(SHANGHAI).date() + timedelta(days=1)
    return calendar.window_end(datetime.combine(next_day, time(0, 0), SHANGHAI), working_days)
