"""GET /api/status is polled by monitors without logging in: its counts of applications and open tasks stop at a
cap instead of reading a million rows at every poll, on SQLite and on PostgreSQL alike."""
from sqlalchemy import select

from service.applications.models import Application
from service.platform.extensions import db
from service.platform.counting import counted_up_to
from service.platform.health import STATUS_CAP
from tests.scenario import Scenario


def test_the_status_counts_what_is_there(app, users, round_, clock):
    Scenario(users, round_, clock).start().declare()
    status = app.test_client().get("/api/status").get_json()
    assert (status["applications"], status["open_tasks"], status["counted_up_to"]) == (1, 1, STATUS_CAP)


def test_the_count_stops_reading_at_the_cap(users, round_, clock):
    Scenario(users, round_, clock).start()
    Scenario(users, round_, clock).start(applicant="other_applicant")
    assert db.session.scalar(counted_up_to(select(Application.id), STATUS_CAP)) == 2
    assert db.session.scalar(counted_up_to(select(Application.id), cap=1)) == 1
