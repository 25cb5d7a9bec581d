"""Application ids known before the first write (SQLite, a start that takes the write lock late).

A start needs its application's id before the engine runs (the start data carries it). Taking it from the
table's own counter means inserting the row, which on SQLite takes the database's write lock for the whole
start. Instead each process reserves a block of ids in a short transaction of its own (one upsert on
``id_block``, above every id the table holds), and hands them out one per start. The application row is
then inserted with its id under the lock, after the engine ran. Should an id have been taken meanwhile
(a start run the usual way takes max(id) + 1), the insert hits the primary key and the start runs again
the usual way (transactions.write_lock_late). The business number is given under the lock, in the order the
starts commit. PostgreSQL never needs this (its sequence
hands out ids without a lock).
"""
from __future__ import annotations

import os
import threading

from sqlalchemy import func, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from service.applications.models import Application, IdBlock
from service.platform.extensions import db
from service.platform.transactions import lock_from_first_statement

# One id per reservation: the applications list shows the newest first by id, and blocks of several would
# interleave two processes' ids (a unit's later start listed below its earlier one). A reservation is one short
# upsert under the lock; the start's reads and engine run outside it either way.
BLOCK = 1
_NAME = "application"
_blocks: dict[tuple, list[int]] = {}  # (pid, database) → [next, end) of this process's block
_guard = threading.Lock()


def reserved_application_id() -> int:
    """An application id nobody else will be given by a reservation (SQLite only)."""
    key = (os.getpid(), str(db.engine.url))
    with _guard:
        block = _blocks.get(key)
        # The block is still ours if the counter moved past it: a database emptied or rebuilt since (tests,
        # bench) has forgotten it, and its ids may be handed out again.
        if block is not None and block[0] < block[1] and _counter() >= block[1]:
            block[0] += 1
            return block[0] - 1
        end = _reserve()
        _blocks[key] = [end - BLOCK + 1, end]
        return end - BLOCK


def _counter() -> int:
    return db.session.scalar(select(IdBlock.next_id).where(IdBlock.name == _NAME)) or 0


def _reserve() -> int:
    """Move the counter BLOCK ids past itself and past the table's highest id, in a transaction of its own
    (committed at once, whatever the start then does); the new end of the counter."""
    table = IdBlock.__table__
    floor = select(func.coalesce(func.max(Application.id), 0) + 1).scalar_subquery()
    statement = (sqlite_insert(table).values(name=_NAME, next_id=floor + BLOCK)
                 .on_conflict_do_update(index_elements=["name"],
                                        set_={"next_id": func.max(table.c.next_id, floor) + BLOCK})
                 .returning(table.c.next_id))
    with lock_from_first_statement(), db.engine.begin() as connection:
        return connection.execute(statement).scalar_one()
