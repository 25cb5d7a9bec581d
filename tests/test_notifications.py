"""The outbox: notices queued with the state change, once per key, delivered at least once."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from service.platform.errors import Forbidden

from service.platform.extensions import db
from service.notify.models import Notification
from service.notify.senders import LogSender
from service.platform.timeutil import utcnow
from service.commands.worker import deliver_notifications, queue_reminders
from tests.scenario import Scenario


def notices(kind=None):
    db.session.remove()
    query = select(Notification).order_by(Notification.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return db.session.scalars(query).all()


def test_new_tasks_send_backs_and_outcomes_are_queued_with_the_state(users, round_, clock):
    s = Scenario(users, round_, clock).start()
    assigned = notices("task_assigned")
    assert [n.recipients for n in assigned] == [[{"username": "applicant", "email": None}]]
    s.declare()
    review = notices("task_assigned")[-1]
    assert review.subject == "【绿色制造】市州初审推荐有新的待办"
    assert [r["username"] for r in review.recipients] == ["changchun"]  # not Jilin's reviewer
    s.city_review("send_back")
    sent_back = notices("sent_back")
    assert len(sent_back) == 1 and "被退回" in sent_back[0].subject
    s.declare().city_review("reject")
    outcome = notices("outcome")
    assert len(outcome) == 1 and outcome[0].subject == "【绿色制造】申报结果：市州不予推荐"


def test_a_refused_change_queues_nothing(users, round_, clock):
    s = Scenario(users, round_, clock).start().declare()
    before = len(notices())
    with pytest.raises(Forbidden):
        s.city_review("send_back", who="jilin")  # Jilin's reviewer on a Changchun application
    assert len(notices()) == before


def test_deadline_reminder_is_queued_once(users, round_, clock):
    Scenario(users, round_, clock).start().declare()
    clock.set(datetime(2024, 6, 5, 1, tzinfo=timezone.utc))  # Wed; due Mon 10 Jun 24:00 is 3 working days ahead
    assert queue_reminders() == 0
    clock.set(datetime(2024, 6, 7, 1, tzinfo=timezone.utc))  # Fri: due within Fri, Tue(11th)… window
    assert queue_reminders() == 1
    assert queue_reminders() == 0  # same key: never twice
    reminder = notices("deadline_soon")[0]
    assert "即将到期" in reminder.subject and "截止 2024-06-10（含）。" in reminder.body  # the last day, not the midnight after it


class FlakySender:
    def __init__(self, failures):
        self.failures, self.sent = failures, []

    def send(self, notification):
        if self.failures:
            self.failures -= 1
            raise ConnectionError("SMTP 不可用")
        self.sent.append(notification.idempotency_key)


def test_delivery_retries_with_backoff_until_sent(users, round_, clock):
    Scenario(users, round_, clock).start()
    sender = FlakySender(failures=1)
    assert deliver_notifications(sender) == 0
    failed = notices()[0]
    assert failed.attempts == 1 and failed.sent_at is None and "SMTP 不可用" in failed.last_error
    assert failed.next_attempt_at > utcnow()
    key = failed.idempotency_key
    assert deliver_notifications(sender) == 0  # not due again yet
    clock.advance(minutes=2)
    assert deliver_notifications(sender) == 1
    assert notices()[0].sent_at is not None and sender.sent == [key]
    assert deliver_notifications(sender) == 0  # sent once


def test_log_sender_writes_one_line_per_notice(users, round_, clock, caplog):
    Scenario(users, round_, clock).start()
    with caplog.at_level("INFO", logger="greenlist.notifications"):
        assert deliver_notifications(LogSender()) == 1
    assert "task_assigned:" in caplog.text and "填报绿色工厂申报书" in caplog.text
