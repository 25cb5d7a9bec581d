"""Migration 0013 on a database with rounds: every category open, the unit deadline equal to the city deadline,
an empty objection channel (the round page says 未设置 and it can be filled in)."""
from datetime import datetime, timezone

from sqlalchemy import text

from service.platform.database import schema_is_current, upgrade_database
from service.platform.extensions import db
from service.rounds.models import Round
from service.versions.models import ProcessVersion
from tests.conftest import drop_everything
from tests.test_migrations import old_row


def test_existing_rounds_get_every_category_and_the_city_deadline_for_units(app, clock, bundle):
    drop_everything()
    upgrade_database("0010")
    at = datetime(2024, 6, 10, 16, tzinfo=timezone.utc)
    with db.engine.begin() as sql:
        sql.execute(old_row(ProcessVersion, id=1, number=1, content_hash="h", process_id="p", bundle=bundle.to_json(),
                            note="", deployed_by="admin", deployed_at=at, validation_report=[]))
        sql.execute(old_row(Round, id=1, name="2024", year=2024, process_version_id=1, city_deadline=at,
                            notice_days=5, expert_count=3, pass_score=60, status="open", created_at=at))
    upgrade_database()
    assert schema_is_current()
    db.session.remove()
    round_ = db.session.get(Round, 1)
    assert round_.categories == ["factory", "park", "supply_chain"]
    assert round_.unit_deadline == round_.city_deadline == at
    assert (round_.objection_address, round_.objection_phone, round_.objection_email) == ("", "", "")
    assert db.session.scalar(text("SELECT count(*) FROM round_deadline_change")) == 0
