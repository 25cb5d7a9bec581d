"""A request that only reads never waits for a writer: pages answer while another process is in the middle of
a submit (on SQLite it holds the database's write lock; on PostgreSQL, locks that block every other writer of
the tables a page reads), and the few reads that write (a recorded export) still commit."""
import sqlite3
import time
from contextlib import contextmanager

from service.platform.extensions import db
from tests.api import ok


@contextmanager
def another_writer():
    """Another process in the middle of a submit, holding every lock a writer may take."""
    if db.engine.dialect.name == "sqlite":
        other = sqlite3.connect(db.engine.url.database, timeout=0, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    with db.engine.connect() as other:  # a connection of its own, not the requests' session
        other.exec_driver_sql("LOCK TABLE application, work_item, work_count, api_token IN EXCLUSIVE MODE")
        try:
            yield
        finally:
            other.rollback()


def test_reads_answer_while_another_process_holds_the_write_lock(api):
    api.login("province")
    db.session.remove()
    with another_writer():
        started = time.perf_counter()
        assert ok(api.get("/api/me", "province"))["username"] == "province"
        assert ok(api.get("/api/tasks", "province"))["total"] >= 0
        assert time.perf_counter() - started < 5  # before: each waited for the lock (busy timeout 30 s)


def test_a_read_that_writes_takes_the_lock_only_for_its_write(api):
    from sqlalchemy import func, select

    from service.audit.models import AuditEvent

    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    db.session.remove()
    response = api.get(f"/api/rounds/{ok(api.get('/api/rounds', 'province'))[0]['id']}/summary-table?city=220100", "province")
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before + 1  # report_exported
