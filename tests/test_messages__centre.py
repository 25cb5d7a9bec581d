"""站内消息: every notice about an application also reaches the recipients' message centre (e-mail or
not); each person reads, pages through and marks their own messages; the header's count stays cheap."""
from datetime import datetime, timezone

from sqlalchemy import select

from service.accounts.models import User
from service.commands.worker import queue_reminders
from service.notify import messages
from service.notify.models import Message
from service.notify.outbox import _queue
from service.platform.extensions import db
from service.platform.transactions import transaction
from tests.api import ApiClient, ok, refused
from tests.pages import Visitor, text
from tests.scenario import Scenario


def inbox_of(users, name):
    db.session.remove()
    return db.session.scalars(select(Message).where(Message.user_id == users[name]).order_by(Message.id)).all()


def test_task_sent_back_deadline_and_outcome_messages(users, round_, clock):
    with transaction():  # no e-mail for the city's reviewer: the message centre still tells them
        db.session.get(User, users["changchun"]).receive_email = False
    s = Scenario(users, round_, clock).start()
    assert [m.kind for m in inbox_of(users, "applicant")] == ["task_assigned"]
    s.declare()
    review = inbox_of(users, "changchun")
    assert [m.kind for m in review] == ["task_assigned"] and review[0].subject == "【绿色制造】市州初审推荐有新的待办"
    assert s.application.number in review[0].body and review[0].application_id == s.application_id
    assert inbox_of(users, "jilin") == []  # another city's reviewer hears nothing
    clock.set(datetime(2024, 6, 7, 1, tzinfo=timezone.utc))
    assert queue_reminders() == 1
    assert [m.kind for m in inbox_of(users, "changchun")] == ["task_assigned", "deadline_soon"]
    assert queue_reminders() == 0 and len(inbox_of(users, "changchun")) == 2  # never twice
    s.city_review("send_back")
    assert inbox_of(users, "applicant")[-1].kind == "sent_back"
    s.declare().city_review("reject")
    outcome = inbox_of(users, "applicant")[-1]
    assert outcome.kind == "outcome" and "市州不予推荐" in outcome.subject


def test_a_notice_queued_by_addresses_reaches_those_accounts_too(users, round_, clock):
    """Another part of the service may queue by address list (催办, 抄送): its accounts get the message."""
    s = Scenario(users, round_, clock).start()
    with transaction():
        _queue("urged:test", application=s.application, kind="task_urged", subject="【绿色制造】催办",
               body="请尽快办理", recipients=[{"username": "staff", "email": None}])
        _queue("urged:test", application=s.application, kind="task_urged", subject="【绿色制造】催办",
               body="请尽快办理", recipients=[{"username": "staff", "email": None}])  # same key: once
    assert [m.kind for m in inbox_of(users, "staff")] == ["task_urged"]


def test_the_unread_count_is_bounded(users):
    with transaction():
        messages.post([users["staff"]] * 3, application_id=None, kind="task_assigned", subject="x", body="y")
        for _ in range(150):
            messages.post([users["staff2"]], application_id=None, kind="task_assigned", subject="x", body="y")
    staff, staff2 = db.session.get(User, users["staff"]), db.session.get(User, users["staff2"])
    assert messages.unread_count(staff) == 1  # one per person, however often a list names them
    assert messages.unread_count(staff2) == messages.UNREAD_CAP
    assert messages.unread_label(messages.unread_count(staff2)) == "99+"


def test_the_api_lists_counts_and_marks_read(app, users, demo_passwords, round_, clock):
    s = Scenario(users, round_, clock).start().declare()
    s.city_review("send_back")
    api = ApiClient(app.test_client())
    assert ok(api.get("/api/messages/unread-count", "applicant")) == {"unread_count": 2}
    page = ok(api.get("/api/messages?page_size=1", "applicant"))
    assert page["total"] == 2 and page["unread_count"] == 2
    newest = page["items"][0]
    assert newest["kind"] == "sent_back" and newest["kind_name"] == "退回修改" and newest["read_at"] is None
    assert ok(api.get("/api/messages?page_size=1&page=2", "applicant"))["items"][0]["kind"] == "task_assigned"
    refused(api.post(f"/api/messages/{newest['id']}/read", "changchun"), 404, "message_not_found")  # not theirs
    assert ok(api.post(f"/api/messages/{newest['id']}/read", "applicant"))["read_at"] is not None
    assert ok(api.get("/api/messages/unread-count", "applicant"))["unread_count"] == 1
    assert ok(api.get("/api/messages?unread=true", "applicant"))["total"] == 1
    assert ok(api.post("/api/messages/read-all", "applicant")) == {"marked": 1}
    assert ok(api.post("/api/messages/read-all", "applicant")) == {"marked": 0}
    assert ok(api.get("/api/messages/unread-count", "applicant"))["unread_count"] == 0
    assert api.get("/api/messages/unread-count").status_code == 401


def test_the_page_shows_the_count_and_marks_read(app, users, demo_passwords, round_, clock):
    s = Scenario(users, round_, clock).start().declare()
    visitor = Visitor(app)
    visitor.login("changchun")
    inbox = text(visitor.get("/inbox"))
    assert 'id="unread-count"' in inbox and "未读 1 条" in inbox
    page = text(visitor.get("/messages"))
    assert "市州初审推荐有新的待办" in page and s.application.number in page
    message_id = inbox_of(users, "changchun")[0].id
    response = visitor.post(f"/messages/{message_id}/read", {"open": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/applications/{s.application_id}")
    assert 'id="unread-count"' not in text(visitor.get("/messages"))
    assert visitor.post("/messages/999999/read").status_code == 302  # someone else's or none: a message, no change
    assert "消息 999999 不存在" in text(visitor.get("/messages"))
    assert "没有未读消息" in text(visitor.get("/messages?unread=1"))
