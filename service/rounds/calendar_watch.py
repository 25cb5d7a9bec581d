"""Warnings, weeks ahead, that a round's deadlines or its public notice may fall in a year whose holidays
nobody has entered: the round page shows them, and the worker mails the administrators once per year."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from service.accounts.models import User, UserRole
from service.engine.calendar import WorkdayCalendar
from service.notify.outbox import queue_mail
from service.platform.extensions import db
from service.platform.timeutil import to_shanghai
from service.rounds.models import Round

# The notice follows the city deadline by the province's review: expect it within this much.
NOTICE_MARGIN = timedelta(days=180)
# The reminder goes out when the first day at risk is this close.
WARN_AHEAD = timedelta(weeks=8)


@dataclass(frozen=True)
class YearAtRisk:
    year: int
    round_name: str
    what: tuple[str, ...]  # 单位申报截止日 / 市州推荐截止日 / 公示期
    first_day: date  # the first day of the round's span that falls in the year

    @property
    def message(self) -> str:
        return (f"{self.year}年的法定节假日安排尚未录入并确认：批次“{self.round_name}”的{'、'.join(self.what)}"
                f"可能落在{self.year}年，届时按工作日计算的期限（如公示期）将无法计算。"
                f"请在“工作日历”中粘贴{self.year}年的节假日安排通知并确认该年度。")


def years_at_risk(round_: Round, calendar: WorkdayCalendar) -> list[YearAtRisk]:
    """The years the round's deadlines or its notice may reach that the calendar does not know."""
    unit, city = to_shanghai(round_.unit_deadline).date(), to_shanghai(round_.city_deadline).date()
    start, end = min(unit, city), city + NOTICE_MARGIN
    found = []
    for year in range(start.year, end.year + 1):
        if calendar.knows_year(year):
            continue
        what = tuple(label for label, day in (("单位申报截止日", unit), ("市州推荐截止日", city))
                     if day.year == year) + ("公示期",)
        found.append(YearAtRisk(year, round_.name, what, max(start, date(year, 1, 1))))
    return found


def round_warnings(round_: Round, calendar: WorkdayCalendar) -> list[dict]:
    """What the round page shows: {year, message} for each unknown year an open round may reach."""
    if round_.status != "open":
        return []
    return [{"year": risk.year, "message": risk.message} for risk in years_at_risk(round_, calendar)]


def _admins() -> list[dict]:
    users = (select(User).join(UserRole, UserRole.user_id == User.id)
             .where(UserRole.role == "admin", User.active.is_(True)).order_by(User.id).limit(200))
    return [{"username": u.username, "email": u.email} for u in db.session.scalars(users)]


def queue_calendar_reminders(calendar: WorkdayCalendar, today: date) -> int:
    """One mail per unknown year to the administrators, once any open round's span reaches within
    WARN_AHEAD of that year; the outbox key makes it once per year however often the worker runs."""
    due: dict[int, list[YearAtRisk]] = {}
    for round_ in db.session.scalars(select(Round).where(Round.status == "open").order_by(Round.id).limit(100)):
        for risk in years_at_risk(round_, calendar):
            if risk.first_day - today <= WARN_AHEAD:
                due.setdefault(risk.year, []).append(risk)
    queued = 0
    for year, risks in sorted(due.items()):
        admins = _admins()
        if not admins:
            continue
        queued += queue_mail(f"calendar_unconfirmed:{year}", kind="calendar_unconfirmed", to=admins,
                             subject=f"【绿色制造】请录入并确认{year}年的法定节假日安排",
                             body="\n".join(risk.message for risk in risks))
    return queued
