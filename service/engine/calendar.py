"""Working days under China's statutory calendar, with administrator overrides.

``chinesecalendar`` knows the State Council's holiday and make-up-workday
arrangements only for the years it was released with. For any other year an
administrator enters the arrangement (each holiday and make-up day) and confirms
the year; until then a working-day computation for that year fails with
:class:`CalendarYearUnknown` rather than silently treating every weekday as a
working day.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import chinese_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


class CalendarYearUnknown(Exception):
    def __init__(self, year: int):
        self.year = year
        super().__init__(
            f"{year}年的法定节假日安排未知：请管理员在工作日历中录入{year}年的节假日和调休上班日并确认该年度"
        )


@dataclass(frozen=True)
class WorkdayCalendar:
    """``overrides`` maps a date to True (working day) or False (day off);
    ``confirmed_years`` are years whose overrides an administrator declared complete."""

    overrides: dict[date, bool] = field(default_factory=dict)
    confirmed_years: frozenset[int] = frozenset()

    def is_workday(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        # The library first: confirming a year it knows must not turn its holidays into working days.
        if library_knows(day.year):
            return chinese_calendar.is_workday(day)
        if day.year in self.confirmed_years:
            return day.weekday() < 5
        raise CalendarYearUnknown(day.year)

    def knows_year(self, year: int) -> bool:
        return library_knows(year) or year in self.confirmed_years

    def nth_workday(self, start: date, n: int) -> date:
        """The n-th working day counting ``start`` itself as the first when it is one."""
        if n < 1:
            raise ValueError("n must be at least 1")
        day, count = start, 0
        while True:
            if self.is_workday(day):
                count += 1
                if count == n:
                    return day
            day += timedelta(days=1)

    def window_end(self, start: datetime, working_days: int) -> datetime:
        """End (exclusive, UTC) of a window of ``working_days`` working days opening at ``start``.

        The window runs in Asia/Shanghai: the opening day counts when it is a working
        day, and the window closes at midnight after its last working day.
        """
        local_day = start.astimezone(SHANGHAI).date()
        last = self.nth_workday(local_day, working_days)
        closes = datetime.combine(last + timedelta(days=1), time(0, 0), SHANGHAI)
        return closes.astimezone(timezone.utc)


@lru_cache(maxsize=64)
def library_knows(year: int) -> bool:
    """Whether the installed ``chinesecalendar`` carries the State Council's arrangement for ``year``."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
        return True
    except NotImplementedError:
        return False


def library_days(year: int) -> dict[date, tuple[bool, str]]:
    """The library's days of ``year`` that break the weekday rule: holidays on weekdays and make-up
    workdays on weekends, each with the holiday's Chinese name; {} for a year it does not know."""
    if not library_knows(year):
        return {}
    found, day = {}, date(year, 1, 1)
    while day.year == year:
        workday = chinese_calendar.is_workday(day)
        if workday != (day.weekday() < 5):
            holiday, name = chinese_calendar.get_holiday_detail(day)
            label = _HOLIDAY_NAMES.get(name, name or "")
            found[day] = (workday, f"{label}调休上班" if workday and label else label)
        day += timedelta(days=1)
    return found


_HOLIDAY_NAMES = {h.value: h.chinese for h in chinese_calendar.Holiday}
