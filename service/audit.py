"""The audit trail: append-only events, hash-chained so any edit or deletion shows.

Each event's hash is SHA-256 over a canonical JSON encoding of its content and the
previous event's hash. ``data`` is stored as that canonical text, so the database
cannot reorder or reformat what was hashed.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from .extensions import db
from .models import AuditEvent
from .timeutil import utcnow

GENESIS = "0" * 64


def canonical(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def application_chain(application_id: int) -> str:
    return f"application:{application_id}"


SYSTEM_CHAIN = "system"


def event_hash(*, chain, seq, at, actor, action, element_id, data_text, prev_hash) -> str:
    body = canonical({"chain": chain, "seq": seq, "at": at.isoformat(), "actor": actor, "action": action,
                      "element_id": element_id, "data": data_text, "prev_hash": prev_hash})
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


_HEADS = "greenlist_audit_heads"


@event.listens_for(Session, "after_transaction_end")
def _forget_heads(session, transaction):
    # Heads are only trusted inside the transaction that read or wrote them.
    if transaction.parent is None:
        session.info.pop(_HEADS, None)


def _head(session, chain: str) -> tuple[int, str]:
    heads = session.info.setdefault(_HEADS, {})
    if chain not in heads:
        last = session.execute(
            select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.chain == chain)
            .order_by(AuditEvent.seq.desc()).limit(1)
        ).first()
        heads[chain] = (last.seq, last.hash) if last else (0, GENESIS)
    return heads[chain]


def append(chain: str, *, actor: str, action: str, element_id: str | None = None, data: dict | None = None,
           application_id: int | None = None) -> AuditEvent:
    """Add one event to the end of ``chain`` in the current transaction.

    Two writers appending to one chain both claim the same ``seq``; the unique
    constraint on (chain, seq) makes the second transaction fail instead of forking the chain.
    """
    session = db.session()
    last_seq, prev = _head(session, chain)
    seq = last_seq + 1
    # Second precision survives every database unchanged; seq orders events within a second.
    at = utcnow().replace(microsecond=0)
    data_text = canonical(data or {})
    event = AuditEvent(chain=chain, application_id=application_id, seq=seq, at=at, actor=actor, action=action,
                       element_id=element_id, data=data_text, prev_hash=prev,
                       hash=event_hash(chain=chain, seq=seq, at=at, actor=actor, action=action,
                                       element_id=element_id, data_text=data_text, prev_hash=prev))
    session.add(event)
    session.info[_HEADS][chain] = (seq, event.hash)
    return event


@dataclass(frozen=True)
class ChainReport:
    chain: str
    events: int
    ok: bool
    broken_at: int | None = None
    reason: str | None = None


def verify_chain(chain: str) -> ChainReport:
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)).all()
    prev = GENESIS
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            return ChainReport(chain, len(events), False, expected_seq, f"缺少第 {expected_seq} 条事件（可能被删除）")
        if event.prev_hash != prev:
            return ChainReport(chain, len(events), False, event.seq, "前一事件的哈希不符（前面的事件被修改或删除）")
        actual = event_hash(chain=event.chain, seq=event.seq, at=event.at, actor=event.actor, action=event.action,
                            element_id=event.element_id, data_text=event.data, prev_hash=event.prev_hash)
        if actual != event.hash:
            return ChainReport(chain, len(events), False, event.seq, "事件内容与哈希不符（该事件被修改）")
        prev = event.hash
    return ChainReport(chain, len(events), True)


def trail(chain: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)))
