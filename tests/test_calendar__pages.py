"""The working-day calendar in the pages: an administrator pastes the State Council's notice for 2027, sees
the bad lines named, previews, saves and confirms the year; a public notice started before the Labour Day
holiday then ends after it by working days. Every change is on the system audit chain with before and after;
the round page and the worker warn of a year nobody has confirmed."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from service.applications.models import Timer
from service.audit.models import AuditEvent
from service.engine.calendar import WorkdayCalendar
from service.notify.models import Notification
from service.platform.extensions import db
from service.platform.transactions import transaction
from service.rounds.calendar import current_calendar
from service.rounds.calendar_watch import queue_calendar_reminders
from service.rounds.holiday_notice import parse_notice
from tests.api import ApiScenario, first_version_id, ok, refused
from tests.conftest import OBJECTION_CHANNEL
from tests.pages import Visitor, text

NOTICE_2027 = """国务院办公厅关于2027年部分节假日安排的通知
一、元旦：1月1日（周五）至3日放假，共3天。
二、春节：2月5日（周五）至12日（周五）放假调休，共8天。2月20日（周六）上班。
三、清明节：4月3日至5日放假，共3天。
四、劳动节：5月1日（周六）至5日（周三）放假调休，共5天。4月25日（周日）、5月8日（周六）上班。
五、端午节：6月9日（周三）放假，共1天。
六、中秋节：9月15日（周三）放假，共1天。
七、国庆节：10月1日（周五）至7日（周四）放假调休，共7天。9月26日（周日）、10月9日（周六）上班。
"""
BAD_LINES = "八、植树节：2月30日放假。\n九、重阳节：10月14日（周五）放假。\n十月十日放假\n"


@pytest.fixture
def admin(app, api):
    visitor = Visitor(app)
    assert visitor.login("admin").status_code == 302
    return visitor


def system_events(action):
    return [json.loads(e.data) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.chain == "system", AuditEvent.action == action).order_by(AuditEvent.seq))]


def test_pasted_notice_confirmed_in_the_page_drives_a_notice_across_labour_day(admin, api, clock):
    page = text(admin.get("/admin/calendar/2027"))
    assert "2027年尚未确认" in page and "未确认" in page

    # Bad lines are named with their number and reason; nothing can be saved while any remain.
    preview = admin.post("/admin/calendar/2027/preview", {"text": NOTICE_2027 + BAD_LINES})
    shown = text(preview)
    assert preview.status_code == 200
    assert "第9行：“2月30日”不是有效日期" in shown
    assert "第10行：2027-10-14不是周五，请核对年份和日期" in shown
    assert "第11行：没有“一、元旦：”这样的节日名称" in shown
    assert 'id="save-notice"' not in shown
    refused_save = admin.post("/admin/calendar/2027/notice", {"text": NOTICE_2027 + BAD_LINES})
    assert refused_save.status_code == 422 and "第9行" in text(refused_save)
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "calendar_changed")).first() is None

    # The corrected text: a preview of every day, then saved as it was previewed.
    shown = text(admin.post("/admin/calendar/2027/preview", {"text": NOTICE_2027}))
    assert "将录入 33 天" in shown and 'id="save-notice"' in shown and "劳动节调休上班" in shown
    saved = admin.post("/admin/calendar/2027/notice", {"text": NOTICE_2027})
    assert saved.status_code == 302
    shown = text(admin.get(saved.headers["Location"]))
    assert "已保存：录入或更正 33 天" in shown and "2027-05-08" in shown and "工作日放假 18 天，周末调休上班 5 天" in shown
    changes = system_events("calendar_changed")
    assert len(changes) == 33
    assert changes[0] == {"day": "2027-01-01", "before": None, "after": {"is_workday": False, "note": "元旦"},
                          "is_workday": False, "note": "元旦"}

    # A correction of one day keeps what it replaced.
    assert admin.post("/admin/calendar/2027/day", {"day": "2027-06-09", "kind": "holiday", "note": "端午"}).status_code == 302
    assert system_events("calendar_changed")[-1]["before"] == {"is_workday": False, "note": "端午节"}
    assert admin.post("/admin/calendar/2027/confirm", {}).status_code == 302
    assert "2027年已由 系统管理员" in text(admin.get("/admin/calendar/2027"))  # by name, not login
    assert system_events("calendar_year_confirmed") == [{"year": 2027, "before": {"confirmed": False},
                                                         "after": {"confirmed": True}, "entries": 33}]

    # Thursday 29 April 2027: the notice counts 29 and 30 April, 6, 7 May and Saturday 8 May (made up).
    s = ApiScenario(api).start().declare().city_review("recommend").formal_review().expert_reviews()
    clock.set(datetime(2027, 4, 29, 2, 0, tzinfo=timezone.utc))
    s.batch("start-notice")
    due = db.session.scalars(select(Timer.due_at).where(Timer.application_id == s.application_id)).all()
    assert datetime(2027, 5, 8, 16, 0, tzinfo=timezone.utc) in due  # closes 9 May 00:00 in Changchun
    clock.set(datetime(2027, 5, 8, 15, 59, tzinfo=timezone.utc))
    assert s.run_worker() == 0
    clock.set(datetime(2027, 5, 8, 16, 0, 1, tzinfo=timezone.utc))
    assert s.run_worker() == 1


def test_a_day_entered_in_the_page_must_be_in_its_year_and_a_year_with_nothing_entered_cannot_be_confirmed(admin):
    response = admin.post("/admin/calendar/2028/day", {"day": "2027-05-01", "kind": "holiday", "note": "x"})
    assert response.status_code == 422 and "日期不在2028年" in text(response) and 'value="2027-05-01"' in text(response)
    response = admin.post("/admin/calendar/2028/confirm", {})
    assert response.status_code == 409 and "2028年还没有录入任何节假日" in text(response)
    assert admin.get("/admin/calendar/1900").status_code == 302


def test_the_api_previews_saves_corrects_and_confirms_a_year(api):
    preview = ok(api.post("/api/calendar/2027/preview", "admin", json={"text": NOTICE_2027 + BAD_LINES}))
    assert [(p["line"], p["reason"]) for p in preview["problems"]][0] == (9, "“2月30日”不是有效日期")
    refused(api.post("/api/calendar/2027/notice", "admin", json={"text": BAD_LINES}), 422, "validation_failed", "text")
    year = ok(api.post("/api/calendar/2027/notice", "admin", json={"text": NOTICE_2027}))
    assert (year["holidays"], year["workdays"], year["confirmed"], year["known"]) == (18, 5, False, False)
    year = ok(api.post("/api/calendar/2027/days", "admin", json={"day": "2027-05-08", "is_workday": None}))
    assert "2027-05-08" not in {d["day"] for d in year["days"]}
    assert system_events("calendar_changed")[-1]["after"] is None
    refused(api.post("/api/calendar/2027/days", "admin", json={"day": "2026-05-08", "is_workday": True}), 422,
            "validation_failed", "day")
    year = ok(api.post("/api/calendar/2027/confirm", "admin"))
    assert year["confirmed"] and year["known"] and year["confirmed_by"] == "admin"
    library = ok(api.get("/api/calendar/2026", "admin"))
    assert library["library"] and {"day": "2026-02-14", "is_workday": True, "note": "春节调休上班", "source": "library",
                                   "library": True} in library["days"]
    assert api.get("/api/calendar/2027", "province").status_code == 403


def test_the_round_page_and_one_mail_a_year_warn_of_a_round_reaching_an_unconfirmed_year(admin, api, clock):
    clock.set(datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc))
    admin.login("admin")  # the session of May 2024 has long expired
    created = ok(api.post("/api/rounds", "admin", json={
        "name": "2026年度第二批", "year": 2026, "categories": ["factory"], "unit_deadline": "2026-12-01",
        "city_deadline": "2026-12-20", "process_version_id": first_version_id(), **OBJECTION_CHANNEL}), 201)
    page = text(admin.get(f"/rounds/{created['id']}"))
    assert "2027年的法定节假日安排尚未录入并确认：批次“2026年度第二批”的公示期可能落在2027年" in page
    assert 'href="/admin/calendar/2027"' in page

    today = date(2026, 11, 20)
    with transaction():
        assert queue_calendar_reminders(current_calendar(), today) == 1
    with transaction():
        assert queue_calendar_reminders(current_calendar(), today) == 0  # once per year
    mail = db.session.scalars(select(Notification).where(Notification.kind == "calendar_unconfirmed")).one()
    assert mail.subject == "【绿色制造】请录入并确认2027年的法定节假日安排"
    assert "admin" in {r["username"] for r in mail.recipients} and "2026年度第二批" in mail.body

    ok(api.post("/api/calendar/2027/notice", "admin", json={"text": NOTICE_2027}))
    ok(api.post("/api/calendar/2027/confirm", "admin"))
    assert "尚未录入并确认" not in text(admin.get(f"/rounds/{created['id']}"))


def test_the_notice_lines_of_past_years_read_as_the_library_knows_them():
    notice_2026 = ("一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。\n"
                   "二、春节：2月15日（农历腊月二十八、周日）至23日（周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。")
    days, problems = parse_notice(notice_2026, 2026)
    assert problems == []
    library = WorkdayCalendar()
    assert all(library.is_workday(d.day) == d.is_workday for d in days)
    assert {d.day for d in days if d.is_workday} == {date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28)}
