"""Public notice length in working days, under China's statutory calendar and administrator overrides."""
from datetime import date, datetime, timezone

import pytest

from service.engine.calendar import CalendarYearUnknown, WorkdayCalendar
from service.platform.errors import Conflict
from service.platform.transactions import transaction
from service.rounds.calendar import confirm_year, set_day
from tests.scenario import Scenario


def test_notice_ends_after_exactly_five_working_days_across_national_day(users, round_, clock):
    s = Scenario(users, round_, clock).start().declare().city_review("recommend").formal_review()
    s.expert_review("expert1", 80).expert_review("expert2", 80)
    # Sunday 29 September 2024 is a make-up working day; 1–7 October are the National Day holiday.
    clock.set(datetime(2024, 9, 29, 2, 0, tzinfo=timezone.utc))
    s.batch("start_notice")
    # Working days: 29 Sep, 30 Sep, 8 Oct, 9 Oct, 10 Oct -> closes 11 Oct 00:00 in Changchun.
    closes = datetime(2024, 10, 10, 16, 0, tzinfo=timezone.utc)
    clock.set(datetime(2024, 10, 10, 15, 59, 59, tzinfo=timezone.utc))
    assert s.run_worker() == 0
    assert s.trail()[-1] == ("gateway_decision", "Gateway_notice_merge")
    clock.set(datetime(2024, 10, 10, 16, 0, 1, tzinfo=timezone.utc))
    assert s.run_worker() == 1
    fired = s.trail_events()[-1]
    assert (fired.action, fired.element_id, fired.actor) == ("timer_fired", "Event_notice_ended", "system:timer")
    assert datetime.fromisoformat(fired.payload["due_at"]) == closes
    assert s.run_worker() == 0  # fired exactly once


def test_window_counts_opening_day_only_when_it_is_a_working_day():
    calendar = WorkdayCalendar()
    # Opened on 1 October (holiday): first working day is 8 October.
    opened = datetime(2024, 10, 1, 2, 0, tzinfo=timezone.utc)
    assert calendar.window_end(opened, 1) == datetime(2024, 10, 8, 16, 0, tzinfo=timezone.utc)
    # Saturday 12 October 2024 is a make-up working day.
    assert calendar.is_workday(date(2024, 10, 12))
    assert calendar.window_end(datetime(2024, 10, 11, 2, tzinfo=timezone.utc), 2) == \
        datetime(2024, 10, 12, 16, 0, tzinfo=timezone.utc)


def test_unknown_year_is_an_error_not_a_guess():
    with pytest.raises(CalendarYearUnknown) as caught:
        WorkdayCalendar().window_end(datetime(2027, 3, 1, tzinfo=timezone.utc), 5)
    assert "2027年的法定节假日安排未知" in str(caught.value)


def test_confirmed_year_uses_the_administrators_days():
    calendar = WorkdayCalendar(overrides={date(2027, 3, 2): False}, confirmed_years=frozenset({2027}))
    # Mon 1 Mar, (Tue 2 Mar off), Wed 3, Thu 4, Fri 5, Mon 8 -> closes 9 Mar 00:00.
    assert calendar.window_end(datetime(2027, 3, 1, 1, tzinfo=timezone.utc), 5) == \
        datetime(2027, 3, 8, 16, 0, tzinfo=timezone.utc)


def test_override_corrects_a_known_year():
    calendar = WorkdayCalendar(overrides={date(2024, 10, 8): False})
    assert not calendar.is_workday(date(2024, 10, 8))


def test_notice_in_an_unknown_year_is_refused_until_the_year_is_entered(users, round_, clock):
    s = Scenario(users, round_, clock).start().declare().city_review("recommend").formal_review()
    s.expert_review("expert1", 80).expert_review("expert2", 80)
    clock.set(datetime(2027, 3, 1, 1, 0, tzinfo=timezone.utc))
    before = s.trail()
    with pytest.raises(Conflict) as caught:
        s.batch("start_notice")
    assert caught.value.code == "batch_refused"
    assert "2027年的法定节假日安排未知" in next(iter(caught.value.details.values()))
    assert s.trail() == before
    with transaction():
        set_day(date(2027, 3, 2), is_workday=False, note="示例假日", actor="admin")
        confirm_year(2027, actor="admin")
    s.batch("start_notice")
    clock.set(datetime(2027, 3, 8, 16, 0, 1, tzinfo=timezone.utc))
    assert s.run_worker() == 1
