"""One way to write a deadline: "6月10日前" is stored as the midnight that ends 10 June (Asia/Shanghai) and
shown as its last day, "2024-06-10（含）", on the pages and in the notices alike."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from service.notify.models import Notification
from service.platform.extensions import db
from service.platform.timeutil import last_day_text
from service.rounds.models import Round
from tests.api import ApiScenario

SHANGHAI = timezone(timedelta(hours=8))


def test_a_midnight_deadline_shows_the_day_it_ends_and_any_other_moment_shows_as_it_is():
    assert last_day_text(datetime(2026, 6, 11, 0, 0, tzinfo=SHANGHAI)) == "2026-06-10（含）"
    assert last_day_text(datetime(2026, 6, 10, 16, 0, tzinfo=timezone.utc)) == "2026-06-10（含）"  # the same moment
    assert last_day_text(datetime(2027, 1, 1, 0, 0, tzinfo=SHANGHAI)) == "2026-12-31（含）"  # across a year
    assert last_day_text(datetime(2026, 6, 10, 17, 30, tzinfo=SHANGHAI)) == "2026-06-10 17:30"  # not hidden
    assert last_day_text(datetime(2026, 6, 11, 0, 0, 1, tzinfo=SHANGHAI)) == "2026-06-11 00:00"  # a second later
    assert last_day_text(datetime(2026, 6, 11, 0, 0, tzinfo=timezone.utc)) == "2026-06-11 08:00"  # UTC midnight
    assert last_day_text(None) == ""


def test_the_inbox_and_the_task_page_show_the_demo_city_deadline_as_its_last_day(api, visitor):
    s = ApiScenario(api, "factory").start().declare()
    city_deadline = db.session.get(Round, s.round_id).city_deadline
    db.session.remove()
    assert city_deadline.astimezone(SHANGHAI).hour == 0  # the midnight that ends 10 June
    shown = "2024-06-10（含）"

    reviewer = visitor(s.reviewer)
    inbox = reviewer.get("/inbox").get_data(as_text=True)
    assert shown in inbox and "2024-06-11 00:00" not in inbox
    task_id = s.open_task(s.reviewer)
    page = reviewer.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert f"办理期限 {shown}" in page and "2024-06-11 00:00" not in page


def test_the_new_task_notice_names_the_last_day(api):
    ApiScenario(api, "factory").start().declare()
    review = db.session.scalars(select(Notification).where(Notification.kind == "task_assigned")
                                .order_by(Notification.id.desc())).first()
    db.session.remove()
    assert review.subject == "【绿色制造】市州初审推荐有新的待办"
    assert review.body.endswith("环节：市州初审推荐，办理期限 2024-06-10（含）。")
