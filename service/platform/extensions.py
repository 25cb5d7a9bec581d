"""Flask extensions, created unbound and wired in create_app (nothing happens at import)."""
import fcntl
import os
import sqlite3
import time

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
# Shared by both edges: the web signs pages in with the session cookie, and the API accepts the same cookie
# (with the page's CSRF token) from the pages' scripts. The web registers the user loader and the pages.
csrf = CSRFProtect()
login_manager = LoginManager()


class SQLiteConnection(sqlite3.Connection):
    """A pysqlite connection whose writers take turns through a file lock beside the database.

    SQLite's own wait for its write lock (busy_timeout) polls, sleeping 1, 2, 5, 10, ... 100 ms between tries:
    a waiting process wakes long after the lock was freed, and the process that just committed, taking the
    lock again for its next request, can overtake it again and again (two gunicorn workers: a p99 of hundreds
    of milliseconds for a few milliseconds of work). A turn is an flock of ``<database>-writer``, tried every
    half millisecond, taken just before BEGIN IMMEDIATE and given back after COMMIT or ROLLBACK, so SQLite's
    lock is free when it is asked for; busy_timeout still covers any other writer (the sqlite3 shell), and a
    wait for a turn ends after 30 s like SQLite's own. Threads of one process share the turn (an flock
    belongs to the process's open file), so between threads SQLite's own lock decides, as before."""

    def __init__(self, database, *args, **kwargs):
        super().__init__(database, *args, **kwargs)
        path = os.fspath(database)
        self._turns = None if path in ("", ":memory:") or path.startswith("file:") else os.path.abspath(path)
        self._has_turn = False

    def wait_for_turn(self) -> None:
        if self._turns is None or self._has_turn:
            return
        turns = _turn_file(self._turns)
        deadline = time.monotonic() + TURN_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(turns, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    # A writer stuck for this long: go on without a turn; SQLite's own wait (busy_timeout)
                    # then ends in "database is locked" as it always did, instead of waiting for ever.
                    return
                time.sleep(TURN_POLL_SECONDS)
        self._has_turn = True

    def _end_turn(self) -> None:
        if self._has_turn:
            self._has_turn = False
            fcntl.flock(_turn_file(self._turns), fcntl.LOCK_UN)

    def commit(self):
        try:
            super().commit()
        finally:
            self._end_turn()

    def rollback(self):
        try:
            super().rollback()
        finally:
            self._end_turn()

    def close(self):
        try:
            super().close()
        finally:
            self._end_turn()

    def __del__(self):
        # A connection dropped without close() (SQLite then ends its transaction) must not leave the other
        # processes waiting for a turn it no longer uses.
        try:
            self._end_turn()
        except Exception:  # noqa: BLE001 - interpreter shutdown: the process's exit frees the lock anyway
            pass


# Half a millisecond between tries: a waiter takes the lock well before the process that just committed has
# read and begun its next request; the wait ends after busy_timeout's 30 s.
TURN_POLL_SECONDS = 0.0005
TURN_WAIT_SECONDS = 30
_turn_files: dict[tuple[int, str], int] = {}


def _turn_file(database: str) -> int:
    """This process's descriptor of the database's turn file (opened again after a fork: an flock is shared by
    every process holding the same open file)."""
    key = (os.getpid(), database)
    if key not in _turn_files:
        descriptor = os.open(database + "-writer", os.O_RDWR | os.O_CREAT, 0o600)
        if _turn_files.setdefault(key, descriptor) != descriptor:
            os.close(descriptor)  # another thread opened it first
    return _turn_files[key]


def sqlite_engine_options(options: dict | None) -> dict:
    """Engine options for a SQLite database: connections of the class above."""
    options = dict(options or {})
    options["connect_args"] = {**options.get("connect_args", {}), "factory": SQLiteConnection}
    return options


def _wait_for_turn(dbapi_connection) -> None:
    wait = getattr(dbapi_connection, "wait_for_turn", None)
    if wait is not None:
        wait()


_LOCK_AT_WRITE = "greenlist_lock_at_first_write"
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC", "SAVEPO")


def write_lock_pending(connection) -> bool:
    """Whether ``connection`` is in a SQLite transaction begun without the write lock that takes it at its
    first write (see below): nothing written yet, no lock held."""
    return bool(connection.info.get(_LOCK_AT_WRITE))


def serialize_sqlite_writers(engine) -> None:
    """Make every SQLite transaction that may write hold the write lock (SQLAlchemy's documented pysqlite
    recipe, BEGIN IMMEDIATE), from its first statement or, for a command marked write_lock_late, from its
    first write.

    With SQLite's default deferred transactions two concurrent writers can deadlock and one fails with
    "database is locked" (a read transaction cannot wait to become a writer: SQLite answers SQLITE_BUSY at
    once, busy_timeout or not). So a transaction never upgrades: one that may write takes the lock when it
    begins, and waits for it there; a write_lock_late command ends its read at its first write and begins
    again IMMEDIATE, its checks (the application's version, the audit chain's sequence) catching whoever
    wrote in between (transactions.write_lock_late).
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None  # let SQLAlchemy's BEGIN below take effect
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Write-ahead log: readers do not wait for the writer, and a commit is one append + fsync.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        from service.platform.transactions import begins_without_lock, locks_late

        if not begins_without_lock():
            _wait_for_turn(connection.connection.dbapi_connection)
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        connection.exec_driver_sql("BEGIN")
        if locks_late():
            connection.info[_LOCK_AT_WRITE] = True

    @event.listens_for(engine, "before_cursor_execute")
    def _lock_at_first_write(connection, cursor, statement, parameters, context, executemany):
        if not connection.info.get(_LOCK_AT_WRITE) or statement.lstrip()[:6].upper() not in _WRITES:
            return
        from service.platform.transactions import took_lock_late

        del connection.info[_LOCK_AT_WRITE]
        dbapi_connection = connection.connection.dbapi_connection
        dbapi_connection.execute("COMMIT")  # the read ends (it wrote nothing) ...
        _wait_for_turn(dbapi_connection)
        dbapi_connection.execute("BEGIN IMMEDIATE")  # ... and the writes begin with the lock
        took_lock_late()

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _forget(connection):
        connection.info.pop(_LOCK_AT_WRITE, None)
