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


def serialize_sqlite_writers(engine) -> None:
    """Make every SQLite transaction BEGIN IMMEDIATE (SQLAlchemy's documented pysqlite recipe).

    With SQLite's default deferred transactions two concurrent writers can deadlock and
    one fails with "database is locked"; taking the write lock up front makes the second
    wait, then see the first one's commit (and get a clean stale-version 409).
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
        from service.platform.transactions import begins_read_only

        connection.exec_driver_sql("BEGIN" if begins_read_only() else "BEGIN IMMEDIATE")
