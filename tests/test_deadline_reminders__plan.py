"""The worker asks for deadline reminders every round. With a million applications in review that must read the
few days' tasks falling due (the due date's index, migration 0044), skipping those reminded already through the
notification key's index: never every open task, on SQLite and on PostgreSQL alike."""
from datetime import datetime, timezone

from sqlalchemy import select

from service.commands.worker import queue_reminders
from service.notify.models import Notification
from service.notify.outbox import unreminded_due
from service.platform.extensions import db
from tests.plans import plan, scans
from tests.scenario import Scenario

FRIDAY = datetime(2024, 6, 7, 1, tzinfo=timezone.utc)  # the declaration's review is due Mon 10 Jun
NEXT_WEDNESDAY = datetime(2024, 6, 12, 16, tzinfo=timezone.utc)


def test_the_tasks_falling_due_are_read_through_the_due_date_index():
    found = plan(unreminded_due(FRIDAY, NEXT_WEDNESDAY))
    assert "ix_work_item_due" in found
    assert not scans(found, "work_item") and not scans(found, "notification")


def test_a_task_falling_due_is_reminded_once_then_skipped_by_the_query(users, round_, clock):
    Scenario(users, round_, clock).start().declare()
    clock.set(FRIDAY)
    assert [item.bpmn_id for item, _ in db.session.execute(unreminded_due(FRIDAY, NEXT_WEDNESDAY))] \
        == ["Task_city_review"]
    assert queue_reminders() == 1
    db.session.remove()
    assert db.session.execute(unreminded_due(FRIDAY, NEXT_WEDNESDAY)).all() == []  # reminded: not read again
    assert queue_reminders() == 0
    keys = db.session.scalars(select(Notification.idempotency_key).where(Notification.kind == "deadline_soon")).all()
    assert len(keys) == 1 and keys[0].startswith("deadline_soon:")
