"""Notifications through an outbox: rows written in the state change's transaction, sent by the worker.

Each row has an idempotency key (unique), so a state change or a worker that runs twice
cannot queue the same notice twice; delivery is at least once (a crash after sending and
before marking re-sends it, with the same key for the receiver to drop the duplicate).
"""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import String, exists, literal, select

from service.accounts.links import without_tokens
from service.applications.access import unit_accounts, workers_for
from service.engine.calendar import CalendarYearUnknown, WorkdayCalendar
from service.platform.extensions import db
from service.platform.reference import CITIES
from service.versions.categories import category_label
from service.applications.models import Application, WorkItem
from service.accounts.models import User
from service.notify import messages
from service.notify.models import Notification
from service.platform.timeutil import last_day_text, utcnow

log = logging.getLogger(__name__)
RETRY_AFTER = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
MAX_ATTEMPTS = 8
# The token of a single-use link (set or reset a password, verify an address, join a unit) opens an account:
# the outbox keeps it only until the mail is sent.
SENT_LINK = "[链接已发送，不再保存]"
REMINDER = "deadline_soon:"  # a deadline reminder's key: this and the task id, one reminder per task


def _mail_to(users) -> list[dict]:
    """Task notices go to those who want e-mail (个人信息 → receive_email); account mails (queue_mail) to all."""
    return [{"username": u.username, "email": u.email} for u in users if u.receive_email is not False]


def _queue(key: str, *, application: Application | None, kind: str, subject: str, body: str, recipients=None,
           users=None, fresh_key: bool = False) -> bool:
    """Queue one notice. ``users``: the people it is for (User rows): e-mail goes to those who take it, and
    every one of them gets it in the message centre. ``recipients`` ([{"username", "email"}]) instead
    reaches only the listed addresses and their accounts' message centres. A notice about an application
    always becomes messages too; an account mail (queue_mail: links, registrations) never does."""
    if not fresh_key and db.session.scalar(select(exists().where(Notification.idempotency_key == key))):
        return False
    if users is not None:
        recipients = _mail_to(users)
    db.session.add(Notification(application_id=application.id if application else None, kind=kind,
                                idempotency_key=key, recipients=recipients or [], subject=subject, body=body))
    if application is not None:
        if users is not None:
            people = [u.id for u in users]
        else:  # one query for the accounts the addresses belong to
            names = [r["username"] for r in recipients or [] if r.get("username")]
            people = db.session.scalars(select(User.id).where(User.username.in_(names))).all() if names else []
        messages.post(people, application_id=application.id, kind=kind, subject=subject, body=body)
    return True


def queue_mail(key: str, *, kind: str, to: list[dict], subject: str, body: str) -> bool:
    """A notice about an account or organisation (no application): registration, links, confirmations.
    ``to``: [{"username", "email"}]; written in the caller's transaction like every other notice."""
    return _queue(key, application=None, kind=kind, recipients=to, subject=subject, body=body)


def _label(application: Application) -> str:
    number = f"{application.number} " if application.number else ""
    return f"{number}{application.unit_name}（{CITIES.get(application.city_code, '')}，{category_label(application.category, application.process_version_id)}）"


def notify_new_work(application: Application, items: list[WorkItem], *, done_before: set[str]) -> None:
    """A new open task: tell who may work on it; 'sent back' when its step was done before
    (``done_before``: the elements the engine has completed in this instance)."""
    for item in items:
        again = item.bpmn_id in done_before
        kind = "sent_back" if again else "task_assigned"
        verb = "被退回，请修改后重新提交" if again else "有新的待办"
        due = f"，办理期限 {last_day_text(item.due_at)}" if item.due_at else ""
        # A new task id makes a new key: no need to look for an earlier notice.
        _queue(f"{kind}:{item.task_id}", application=application, kind=kind, users=workers_for(item),
               subject=f"【绿色制造】{item.name}{verb}",
               body=f"申报：{_label(application)}\n环节：{item.name}{due}。", fresh_key=True)


def notify_task_moved(application: Application, item: WorkItem, *, key: str, why: str) -> None:
    """A task given to other people (an expert's conflict to the province, then to a substitute): the
    task keeps its id, so the notice is keyed by the change (``key``)."""
    _queue(key, application=application, kind="task_assigned", users=workers_for(item),
           subject=f"【绿色制造】{item.name}有新的待办", body=f"申报：{_label(application)}\n环节：{item.name}。{why}",
           fresh_key=True)


def notify_handed_over(application: Application, item: WorkItem, colleague, *, by, reason: str, key: str) -> None:
    """转办: the colleague the task was handed to hears who gave it to them and why."""
    _queue(key, application=application, kind="task_handed_over", users=[colleague],
           subject=f"【绿色制造】{by.display_name}转办给您：{item.name}",
           body=f"申报：{_label(application)}\n环节：{item.name}\n转办人：{by.display_name}\n转办原因：{reason}", fresh_key=True)


def notify_urged(application: Application, item: WorkItem, owners, *, by, note: str | None, key: str) -> None:
    """催办: the task's owner (who claimed it, else everyone who may work on it) is asked to finish it."""
    due = f"\n办理期限：{last_day_text(item.due_at)}" if item.due_at else ""
    _queue(key, application=application, kind="task_urged", users=list(owners),
           subject=f"【绿色制造】催办：{item.name}",
           body=f"申报：{_label(application)}\n环节：{item.name}{due}\n催办人：{by.display_name}"
                + (f"\n催办说明：{note}" if note else ""), fresh_key=True)


def notify_copied(application: Application, colleague, *, by, note: str | None, key: str) -> None:
    """抄送: the colleague may now read the application."""
    _queue(key, application=application, kind="application_copied", users=[colleague],
           subject=f"【绿色制造】{by.display_name}抄送给您一项申报",
           body=f"申报：{_label(application)}\n抄送人：{by.display_name}" + (f"\n说明：{note}" if note else ""),
           fresh_key=True)


def notify_work_called_off(application: Application, items: list[WorkItem], *, why: str, key: str) -> None:
    """Open tasks removed by the applicant (撤回, 放弃申报): whoever could work on them hears why."""
    for item in items:
        _queue(f"{key}:{item.task_id}", application=application, kind="task_called_off",
               users=workers_for(item), subject=f"【绿色制造】{item.name}已撤销",
               body=f"申报：{_label(application)}\n环节：{item.name}\n{why}", fresh_key=True)


def notify_package(key: str, *, kind: str, users, subject: str, body: str) -> None:
    """A city's recommendation package (no single application): mail as configured, and a message in each
    person's message centre, in the caller's transaction."""
    users = list(users)
    if _queue(key, application=None, kind=kind, users=users, subject=subject, body=body):
        messages.post([u.id for u in users], application_id=None, kind=kind, subject=subject, body=body)


def notify_outcome(application: Application) -> None:
    _queue(f"outcome:{application.id}", application=application, kind="outcome",
           users=unit_accounts(application.applicant_unit),
           subject=f"【绿色制造】申报结果：{application.outcome}",
           body=f"申报：{_label(application)}\n结果：{application.outcome}。{_reasons_text(application)}")


def _reasons_text(application: Application) -> str:
    reasons = application.outcome_reasons or []
    return "".join(["\n原因：", *(f"\n{n}. {reason}" for n, reason in enumerate(reasons, 1))]) if reasons else ""


def queue_deadline_reminders(calendar: WorkdayCalendar) -> int:
    """Open tasks due within the next 3 working days get one reminder each."""
    now = utcnow()
    try:
        horizon = calendar.window_end(now, 3)
    except CalendarYearUnknown as err:
        log.warning("deadline reminders skipped: %s", err)
        return 0
    queued = 0
    for item, application in db.session.execute(unreminded_due(now, horizon)).all():
        queued += _queue(f"{REMINDER}{item.task_id}", application=application, kind="deadline_soon",
                         users=workers_for(item), subject=f"【绿色制造】{item.name}即将到期",
                         body=f"申报：{_label(application)}\n环节：{item.name}，截止 "
                              f"{last_day_text(item.due_at)}。")
    return queued


def unreminded_due(now, horizon):
    """The open tasks due in (now, horizon] without a reminder yet, with their applications. The worker asks every
    round: the due date's index gives a few days' tasks, never the whole backlog, and the notification key's
    unique index drops those reminded already (no query per task for them)."""
    reminded = exists().where(Notification.idempotency_key == literal(REMINDER, String).concat(WorkItem.task_id))
    return (select(WorkItem, Application).join(Application, Application.id == WorkItem.application_id)
            .where(WorkItem.due_at > now, WorkItem.due_at <= horizon, ~reminded).order_by(WorkItem.due_at, WorkItem.id))


def claim_pending(limit: int = 50) -> list[Notification]:
    """Unsent notifications that are due; on PostgreSQL rows another worker holds are skipped."""
    return list(db.session.scalars(
        select(Notification).where(Notification.sent_at.is_(None), Notification.next_attempt_at <= utcnow(),
                                   Notification.attempts < MAX_ATTEMPTS)
        .order_by(Notification.id).limit(limit).with_for_update(skip_locked=True)))


def record_attempt(notification: Notification, error: str | None) -> None:
    notification.attempts += 1
    if error is None:
        notification.sent_at, notification.last_error = utcnow(), None
        notification.body = without_tokens(notification.body, mark=SENT_LINK)
        return
    notification.last_error = error[:2000]
    delay = RETRY_AFTER[min(notification.attempts - 1, len(RETRY_AFTER) - 1)]
    notification.next_attempt_at = utcnow() + delay
