"""The audit trail: append-only events, hash-chained so any edit or deletion shows.

Each event's hash is SHA-256 over a canonical JSON encoding of its content and the
previous event's hash. ``data`` is stored as that canonical text, so the database
cannot reorder or reformat what was hashed.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass

from sqlalchemy import String, cast, event, func, literal, select
from sqlalchemy.orm import Session

from service.platform.extensions import db
from service.audit.models import AuditAnchor, AuditEvent
from service.platform.timeutil import utcnow

GENESIS = "0" * 64
log = logging.getLogger("greenlist.audit")


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


def head_columns(application_id_column):
    """The seq and hash of an application chain's last event, as two columns to read along with the
    application row (a state change then appends without a query of its own)."""
    chain = literal("application:", String).concat(cast(application_id_column, String))
    last = (select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.chain == chain)
            .order_by(AuditEvent.seq.desc()).limit(1))
    return (last.with_only_columns(AuditEvent.seq).scalar_subquery().label("head_seq"),
            last.with_only_columns(AuditEvent.hash).scalar_subquery().label("head_hash"))


def know_head(chain: str, seq: int | None, hash_: str | None) -> None:
    """Remember a head read elsewhere in this transaction (see head_columns)."""
    db.session().info.setdefault(_HEADS, {})[chain] = (seq, hash_) if seq is not None else (0, GENESIS)


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
    return verify_events(chain, trail(chain))


def verify_events(chain: str, events: list[AuditEvent]) -> ChainReport:
    """Check a chain's events, already read in order."""
    prev = GENESIS
    for expected_seq, row in enumerate(events, start=1):
        if row.seq != expected_seq:
            return ChainReport(chain, len(events), False, expected_seq, f"缺少第 {expected_seq} 条事件（可能被删除）")
        if row.prev_hash != prev:
            return ChainReport(chain, len(events), False, row.seq, "前一事件的哈希不符（前面的事件被修改或删除）")
        actual = event_hash(chain=row.chain, seq=row.seq, at=row.at, actor=row.actor, action=row.action,
                            element_id=row.element_id, data_text=row.data, prev_hash=row.prev_hash)
        if actual != row.hash:
            return ChainReport(chain, len(events), False, row.seq, "事件内容与哈希不符（该事件被修改）")
        prev = row.hash
    return ChainReport(chain, len(events), True)


def trail(chain: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)))


def chain_heads() -> dict[str, list]:
    """chain -> [seq, hash] of its last event, for every chain."""
    last = select(AuditEvent.chain, func.max(AuditEvent.seq).label("seq")).group_by(AuditEvent.chain).subquery()
    rows = db.session.execute(select(AuditEvent.chain, AuditEvent.seq, AuditEvent.hash)
                              .join(last, (last.c.chain == AuditEvent.chain) & (last.c.seq == AuditEvent.seq)))
    return {row.chain: [row.seq, row.hash] for row in rows}


def write_anchor(day) -> AuditAnchor:
    """The day's anchor: every chain's head, hashed together; also written to the log (idempotent per day)."""
    existing = db.session.scalar(select(AuditAnchor).where(AuditAnchor.day == day))
    if existing is not None:
        return existing
    heads = chain_heads()
    digest = hashlib.sha256(canonical(heads).encode("utf-8")).hexdigest()
    anchor = AuditAnchor(day=day, heads=heads, digest=digest)
    db.session.add(anchor)
    log.info("audit anchor %s: %s chains, digest %s", day.isoformat(), len(heads), digest)
    return anchor


def verify_anchors() -> list[str]:
    """Problems found by comparing the chains with every stored anchor (deleted or rewritten chains)."""
    problems = []
    for anchor in db.session.scalars(select(AuditAnchor).order_by(AuditAnchor.day)):
        if hashlib.sha256(canonical(anchor.heads).encode("utf-8")).hexdigest() != anchor.digest:
            problems.append(f"{anchor.day} 的锚点本身被修改")
            continue
        for chain, (seq, expected) in anchor.heads.items():
            event = db.session.scalar(select(AuditEvent).where(AuditEvent.chain == chain, AuditEvent.seq == seq))
            if event is None:
                whole = db.session.scalar(select(func.count()).select_from(AuditEvent)
                                          .where(AuditEvent.chain == chain)) == 0
                problems.append(f"{chain}: {anchor.day} 锚定的第 {seq} 条事件不存在"
                                + ("（整条链已被删除）" if whole else "（链被截断）"))
            elif event.hash != expected:
                problems.append(f"{chain}: 第 {seq} 条事件与 {anchor.day} 的锚点不符（链被改写）")
    return problems
