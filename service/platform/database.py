"""The database schema is owned by the Alembic migrations in service/migrations/."""
from __future__ import annotations

import os

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from service.platform.extensions import db

MIGRATIONS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")
# Indexes on an expression that differs by database (SQLite's json_extract, PostgreSQL's ->>), so they are written
# in their migration only; autogenerate and the schema comparison leave them alone instead of proposing to drop them.
MIGRATION_ONLY_INDEXES = {"ix_audit_event_task"}  # 0043: a done task found by its id
FEATURE_MODELS = ("organisations", "accounts", "versions", "rounds", "applications", "audit", "notify",
                  "register")


def import_models() -> None:
    """Register every feature's tables on the one metadata (each feature keeps its records in models.py)."""
    import importlib

    for feature in FEATURE_MODELS:
        importlib.import_module(f"service.{feature}.models")


def include_object(object_, name, type_, reflected, compare_to) -> bool:
    """Alembic's filter: what the models do not describe on purpose (MIGRATION_ONLY_INDEXES) is not compared."""
    return not (type_ == "index" and name in MIGRATION_ONLY_INDEXES)


def upgrade_database(revision: str = "head") -> None:
    """Bring the schema from whatever revision it is at (or nothing) to ``revision``."""
    db.session.remove()
    upgrade(directory=MIGRATIONS, revision=revision)


def head_revision() -> str:
    from flask_migrate import Config

    config = Config(os.path.join(MIGRATIONS, "alembic.ini"))
    config.set_main_option("script_location", MIGRATIONS)
    return ScriptDirectory.from_config(config).get_current_head()


def current_revision() -> str | None:
    # On the session's own connection: a second connection would wait for the session's
    # SQLite write lock, i.e. for itself.
    return MigrationContext.configure(db.session.connection()).get_current_revision()


def schema_is_current() -> bool:
    return current_revision() == head_revision()
