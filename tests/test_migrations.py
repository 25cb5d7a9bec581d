"""The migrations build exactly the models' schema, and upgrading an older database keeps its data."""
import warnings
from datetime import datetime, timezone

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import column, insert, table, text

from service.platform.extensions import db
from service.applications.models import Application
from service.versions.models import ProcessVersion
from service.rounds.models import Round
from service.accounts.models import User
from service.platform.database import (current_revision, head_revision, include_object, schema_is_current,
                                       upgrade_database)
from tests.conftest import drop_everything


def test_empty_database_upgrades_to_the_models_schema(app):
    drop_everything()
    upgrade_database()
    assert schema_is_current() and current_revision() == head_revision()
    db.session.remove()
    with db.engine.connect() as connection, warnings.catch_warnings():
        # SQLite's reflection cannot read an index on an expression; it is one of MIGRATION_ONLY_INDEXES anyway.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        differences = compare_metadata(MigrationContext.configure(connection, opts={"include_object": include_object}),
                                       db.metadata)
    assert differences == []


def old_row(model, **values):
    """An INSERT of only the given columns (the model's defaults name columns a past revision lacks)."""
    return insert(table(model.__tablename__, *(column(k, model.__table__.c[k].type) for k in values))).values(**values)


def test_upgrade_from_the_previous_revision_keeps_the_data(app, clock, bundle):
    drop_everything()
    upgrade_database("0001")
    state = '{"serializer_version": "1.5"}'
    at = datetime(2024, 5, 6, 1, tzinfo=timezone.utc)
    with db.engine.begin() as sql:  # only the columns revision 0001 has
        sql.execute(old_row(User, id=7, username="changchun", password_hash="x",
                                                  display_name="长春市工信局", roles=["city_reviewer"],
                                                  city_code="220100", active=True, created_at=at))
        sql.execute(old_row(ProcessVersion, id=1, number=1, content_hash="h", process_id="p",
                                                            bundle=bundle.to_json(), note="", deployed_by="admin",
                                                            deployed_at=at, validation_report=[]))
        sql.execute(old_row(Round, id=1, name="2024", year=2024, process_version_id=1,
                                                   city_deadline=at, notice_days=5, expert_count=3, pass_score=60,
                                                   status="open", created_at=at))
        sql.execute(old_row(Application, id=1, round_id=1, process_version_id=1, category="factory",
                                                         city_code="220100", applicant_unit="示范", unit_name="示范",
                                                         created_by=7, state=state, version=3, stage="市州初审推荐",
                                                         created_at=at, updated_at=at))
    upgrade_database()
    assert schema_is_current()
    db.session.remove()
    with db.engine.connect() as sql:
        user = sql.execute(text('SELECT username, display_name, city_code, email FROM "user" WHERE id = 7')).one()
        application = sql.execute(text("SELECT state, version, stage FROM application WHERE id = 1")).one()
    assert tuple(user) == ("changchun", "长春市工信局", "220100", None)
    assert tuple(application) == (state, 3, "市州初审推荐")
