"""Flask extensions, created unbound and wired in create_app (nothing happens at import)."""
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


_LOCK_AT_WRITE = "greenlist_lock_at_first_write"
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC", "SAVEPO")


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
        dbapi_connection.execute("BEGIN IMMEDIATE")  # ... and the writes begin with the lock, waiting for it
        took_lock_late()

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _forget(connection):
        connection.info.pop(_LOCK_AT_WRITE, None)
