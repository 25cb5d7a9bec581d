"""站内消息: every notice about an application also lands in the recipients' message centre.

Messages are posted by the outbox (outbox.py ``_queue``) in the same transaction as the notification, so
a state change that rolls back leaves neither. Reading is per person: a list a page at a time, newest
first, and an unread count for the header that walks at most ``UNREAD_CAP`` index entries, whatever
the backlog (the province's staff hear of every task of theirs: thousands in a round).
"""
from __future__ import annotations

from sqlalchemy import func, select, update

from service.accounts.models import User
from service.notify.models import Message
from service.platform.errors import NotFound
from service.platform.extensions import db
from service.platform.timeutil import utcnow

UNREAD_CAP = 100  # the header says "99+" beyond this

KIND_NAMES = {"task_assigned": "新待办", "sent_back": "退回修改", "deadline_soon": "即将到期", "outcome": "申报结果",
              "task_urged": "催办", "application_copied": "抄送", "task_handed_over": "转办",
              "task_called_off": "待办撤销", "package_sent": "推荐材料寄送", "package_received": "推荐材料签收"}


def post(user_ids, *, application_id: int | None, kind: str, subject: str, body: str) -> int:
    """One message per distinct person, in the caller's transaction."""
    ids = sorted({int(i) for i in user_ids})
    if ids:
        db.session.execute(Message.__table__.insert(), [
            {"user_id": i, "application_id": application_id, "kind": kind, "subject": subject, "body": body,
             "created_at": utcnow()} for i in ids])
    return len(ids)


def unread_count(user: User, cap: int = UNREAD_CAP) -> int:
    """Unread messages, counted up to ``cap`` (one index range, bounded)."""
    capped = select(Message.id).where(Message.user_id == user.id, Message.read_at.is_(None)).limit(cap).subquery()
    return db.session.scalar(select(func.count()).select_from(capped)) or 0


def unread_label(count: int, cap: int = UNREAD_CAP) -> str:
    return f"{cap - 1}+" if count >= cap else str(count)


def message_list(user: User, *, page: int, page_size: int, unread: bool = False) -> dict:
    query = select(Message).where(Message.user_id == user.id)
    if unread:
        query = query.where(Message.read_at.is_(None))
    total = db.session.scalar(query.with_only_columns(func.count(Message.id)))
    items = db.session.scalars(query.order_by(Message.id.desc()).offset((page - 1) * page_size)
                               .limit(page_size)).all()
    return {"items": items, "total": total, "page": page, "page_size": page_size,
            "unread_count": unread_count(user)}


def mark_read(user: User, message_id: int) -> Message:
    """Mark one of the caller's messages read (again is fine); someone else's is 404, as if absent."""
    message = db.session.scalar(select(Message).where(Message.id == message_id, Message.user_id == user.id))
    if message is None:
        raise NotFound(f"消息 {message_id} 不存在", code="message_not_found")
    if message.read_at is None:
        message.read_at = utcnow()
    return message


def mark_all_read(user: User) -> int:
    """Every unread message of the caller read; how many there were."""
    result = db.session.execute(update(Message).where(Message.user_id == user.id, Message.read_at.is_(None))
                                .values(read_at=utcnow()).execution_options(synchronize_session=False))
    return result.rowcount or 0
