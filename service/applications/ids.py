"""Application ids known before the first write (SQLite, a start that takes the write lock late).

A start needs its application's id before the engine runs (the start data carries it). Taking it from the
table's own counter means inserting the row, which on SQLite takes the database's write lock for the whole
start. Instead each start reserves its id in a short transaction of its own (one upsert on ``id_block``, past
every id the table holds); the application row is then inserted with that id under the lock, after the engine
ran. Should the id have been taken meanwhile (a start run the usual way takes max(id) + 1), the insert hits
the primary key and the start runs again the usual way (transactions.write_lock_late). One id per reservation,
not a block per process: the applications list shows the newest first by id, and blocks would interleave two
processes' starts. The business number is given under the lock, in the order the starts commit. PostgreSQL
never needs this (its sequence hands out ids without a lock).
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from service.applications.models import Application, IdBlock
from service.platform.extensions import db
from service.platform.transactions import lock_from_first_statement

_NAME = "application"


def reserved_application_id() -> int:
    """An application id no other reservation will be given (SQLite only): the counter moves one past itself
    and past the table's highest id, in a transaction committed at once, whatever the start then does."""
    table = IdBlock.__table__
    floor = select(func.coalesce(func.max(Application.id), 0) + 1).scalar_subquery()
    statement = (sqlite_insert(table).values(name=_NAME, next_id=floor + 1)
                 .on_conflict_do_update(index_elements=["name"],
                                        set_={"next_id": func.max(table.c.next_id, floor) + 1})
                 .returning(table.c.next_id))
    with lock_from_first_statement(), db.engine.begin() as connection:
        return connection.execute(statement).scalar_one() - 1
