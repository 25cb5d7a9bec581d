"""Every application gets a business number at start: year, category code, city, serial; unique per round,
also when units start at the same moment; existing applications get theirs from the migration."""
import re
import threading
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from service.accounts.models import User
from service.applications.commands import start_application
from service.applications.models import Application, ApplicationNumberCounter
from service.engine.clock import use_clock
from service.platform.database import upgrade_database
from service.platform.errors import Conflict
from service.platform.extensions import db
from service.platform.transactions import transaction
from service.rounds.models import Round
from service.versions.models import ProcessVersion
from tests.conftest import drop_everything
from tests.scenario import Scenario
from tests.test_migrations import old_row

NUMBER = re.compile(r"^\d{4}-[A-Z]{1,6}-\d{6}-\d{4,}$")


def test_a_started_application_is_numbered_by_year_category_city_and_serial(users, round_, clock):
    first = Scenario(users, round_, clock).start().application
    assert first.number == "2024-GC-220100-0001" and NUMBER.match(first.number)
    park = Scenario(users, round_, clock).start(category="park").application
    assert park.number == "2024-YQ-220100-0001"  # each category counts on its own
    jilin = Scenario(users, round_, clock).start(applicant="other_applicant").application
    assert jilin.number == "2024-GC-220200-0001"  # and each city


def test_the_serial_counts_on_within_round_category_and_city(users, demo_passwords, round_, clock):
    numbers = [Scenario(users, round_, clock).start(applicant=f"unit{n}").application.number for n in range(3)]
    assert numbers == ["2024-GC-220100-0001", "2024-GC-220100-0002", "2024-GC-220100-0003"]


def test_a_refused_start_gives_no_number_away(users, round_, clock):
    Scenario(users, round_, clock).start()
    with pytest.raises(Conflict):  # the unit's second open factory declaration
        Scenario(users, round_, clock).start()
    counter = db.session.scalar(select(ApplicationNumberCounter.last).where(
        ApplicationNumberCounter.round_id == round_, ApplicationNumberCounter.category == "factory"))
    assert counter == 1


def test_the_number_is_in_the_trail_and_the_api(api, clock):
    from tests.api import ApiScenario, ok

    s = ApiScenario(api).start()
    detail = s.detail()
    assert NUMBER.match(detail["number"]) and detail["number"].startswith("2024-GC-220100-")
    trail = ok(api.get(f"/api/applications/{s.application_id}/audit", "province"))
    started = next(e for e in trail["events"] if e["action"] == "application_started")
    assert started["data"]["number"] == detail["number"]
    task = ok(api.get(f"/api/tasks/{s.open_task('factory1')}", "factory1"))
    assert task["task"]["number"] == detail["number"] and task["application"]["number"] == detail["number"]


def test_concurrent_starts_each_get_their_own_serial(app, users, demo_passwords, round_, clock):
    """Eight units of one city start at the same moment: eight different serials, no gap, no refusal."""
    names = [f"unit{n}" for n in range(8)]
    db.session.remove()
    barrier = threading.Barrier(len(names))
    numbers, errors = [], []

    def start(name):
        with app.app_context(), use_clock(clock):
            try:
                barrier.wait()
                with transaction():
                    numbers.append(start_application(round_id=round_, category="factory",
                                                     user=db.session.get(User, users[name])).number)
            except Exception as err:  # noqa: BLE001 - the assertion below shows what went wrong
                errors.append(repr(err))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=start, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(numbers) == [f"2024-GC-220100-{n:04d}" for n in range(1, 9)]
    assert db.session.scalar(select(func.count(func.distinct(Application.number)))) == 8


def test_the_database_refuses_a_second_application_with_one_number(users, demo_passwords, round_, clock):
    a = Scenario(users, round_, clock).start(applicant="unit0").application
    b = Scenario(users, round_, clock).start(applicant="unit1").application
    with pytest.raises(Conflict) as caught:  # the transaction turns the unique violation into a 409
        with transaction():
            db.session.get(Application, b.id).number = a.number
            db.session.flush()
    assert caught.value.code == "concurrent_update"
    assert db.session.get(Application, b.id).number != a.number


def test_the_migration_numbers_existing_applications_in_start_order(app, clock, bundle):
    drop_everything()
    upgrade_database("0019")
    at = datetime(2024, 5, 6, 1, tzinfo=timezone.utc)
    with db.engine.begin() as sql:
        sql.execute(old_row(User, id=7, username="u", password_hash="x", display_name="单位", roles=["applicant"],
                            city_code="220100", active=True, created_at=at))
        sql.execute(old_row(ProcessVersion, id=1, number=1, content_hash="h", process_id="p",
                            bundle=bundle.to_json(), note="", deployed_by="admin", deployed_at=at,
                            validation_report=[]))
        for round_id, year in ((1, 2024), (2, 2025)):
            sql.execute(old_row(Round, id=round_id, name=str(year), year=year, process_version_id=1,
                                city_deadline=at, unit_deadline=at, notice_days=5, expert_count=3, pass_score=60, status="open",
                                created_at=at))
        rows = [(1, 1, "factory", "220100"), (2, 1, "factory", "220200"), (3, 1, "park", "220100"),
                (4, 1, "factory", "220100"), (5, 2, "factory", "220100"), (6, 1, "supply_chain", "220100")]
        for app_id, round_id, category, city in rows:
            sql.execute(old_row(Application, id=app_id, round_id=round_id, process_version_id=1, category=category,
                                city_code=city, applicant_unit=f"U{app_id}", unit_name=f"单位{app_id}",
                                created_by=7, state="{}", version=1, stage="", created_at=at, updated_at=at))
    upgrade_database()
    db.session.remove()
    numbers = dict(db.session.execute(select(Application.id, Application.number)).all())
    assert numbers == {1: "2024-GC-220100-0001", 2: "2024-GC-220200-0001", 3: "2024-YQ-220100-0001",
                       4: "2024-GC-220100-0002", 5: "2025-GC-220100-0001", 6: "2024-GYL-220100-0001"}
    # The counters go on from the backfilled serials.
    counters = {(c.round_id, c.category, c.city_code): c.last for c in db.session.scalars(
        select(ApplicationNumberCounter))}
    assert counters[(1, "factory", "220100")] == 2 and counters[(2, "factory", "220100")] == 1
