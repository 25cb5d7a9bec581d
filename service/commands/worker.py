"""The worker: fires due timers, queues deadline reminders, delivers the notification outbox.

Every unit of work is its own transaction. Several workers may run at once: PostgreSQL
rows are claimed with FOR UPDATE SKIP LOCKED; SQLite serialises writers; unique keys on
timer firings and notifications make a duplicate impossible either way.
"""
from __future__ import annotations

import logging

from sqlalchemy.orm.exc import StaleDataError

from service.applications.commands import due_timer_applications, fire_timers_for
from service.audit.chain import write_anchor
from service.platform.errors import ServiceError
from service.platform.extensions import db
from service.notify.outbox import claim_pending, queue_deadline_reminders, record_attempt
from service.platform.timeutil import to_shanghai, utcnow
from service.platform.transactions import transaction
from service.rounds.calendar import current_calendar
from service.rounds.calendar_watch import queue_calendar_reminders

log = logging.getLogger(__name__)


TIMER_BATCH = 100
NOTIFICATION_BATCH = 50


def run_due_timers(limit: int = TIMER_BATCH) -> int:
    """Fire what is due now; returns how many applications moved."""
    candidates = due_timer_applications(limit)
    db.session.rollback()  # end the read; each application gets its own transaction
    moved = 0
    for application_id in candidates:
        try:
            with transaction():
                if fire_timers_for(application_id):
                    moved += 1
        except StaleDataError:
            log.info("application %s changed concurrently; its timers are retried next round", application_id)
        except ServiceError as err:
            log.error("timer of application %s failed: %s", application_id, err.message)
    return moved


def queue_reminders() -> int:
    try:
        with transaction():
            calendar = current_calendar()
            return queue_deadline_reminders(calendar) + \
                queue_calendar_reminders(calendar, to_shanghai(utcnow()).date())
    except ServiceError as err:  # another worker queued the same reminder first
        log.info("reminders left to the next round: %s", err.message)
        return 0


def deliver_notifications(sender, limit: int = NOTIFICATION_BATCH) -> int:
    """Send pending notifications; each is marked in the transaction that claimed it."""
    sent = 0
    with transaction():
        for notification in claim_pending(limit):
            try:
                sender.send(notification)
            except Exception as err:  # a sender failure is recorded and retried with backoff
                log.warning("notification %s failed: %s", notification.idempotency_key, err)
                record_attempt(notification, f"{type(err).__name__}: {err}")
            else:
                record_attempt(notification, None)
                sent += 1
    return sent


def anchor_today() -> None:
    """Once a day (Asia/Shanghai) the heads of all audit chains are anchored."""
    try:
        with transaction():
            write_anchor(to_shanghai(utcnow()).date())
    except ServiceError as err:  # another worker wrote it first
        log.info("anchor left to another worker: %s", err.message)


def run_once(sender) -> dict:
    """One round of every job; ``busy`` says a batch was full, so the next round should follow at once."""
    anchor_today()
    done = {"applications": run_due_timers(), "reminders": queue_reminders(),
            "notifications": deliver_notifications(sender)}
    # More is due after a round that moved something: go on. A timer that keeps failing moves
    # nothing, so it cannot keep the worker spinning.
    more_timers = done["applications"] > 0 and bool(due_timer_applications(1))
    db.session.rollback()
    done["busy"] = more_timers or done["notifications"] >= NOTIFICATION_BATCH
    return done


def drain(sender) -> dict:
    """Rounds until no batch is full: 10,000 timers falling due at once (the city deadline) are fired
    back to back instead of a batch per interval."""
    total = {"applications": 0, "reminders": 0, "notifications": 0}
    while True:
        done = run_once(sender)
        for key in total:
            total[key] += done[key]
        if not done["busy"]:
            return total
