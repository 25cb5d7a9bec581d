"""The inbox shows how many unit registrations wait for the reader at every page. Among tens of thousands of
units, the province's count reads the waiting ones by status (ix_organisation_status, migration 0045: the city and
status index has the status second, so it was read whole) and a city's by its code and status, on SQLite and on
PostgreSQL alike."""
from sqlalchemy import select

from service.accounts.models import User
from service.organisations.registration import waiting, waiting_count
from service.platform.extensions import db
from tests.plans import plan, scans
from tests.test_registration import registered_and_verified


def account(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def test_the_waiting_registrations_are_counted_through_an_index(api):
    registered_and_verified(api)  # a Changchun unit, waiting for its city
    counts = {name: waiting_count(account(name)) for name in ("province", "changchun", "jilin", "factory1")}
    assert counts == {"province": 1, "changchun": 1, "jilin": 0, "factory1": None}
    province, city = plan(waiting(account("province"))), plan(waiting(account("changchun")))
    assert "ix_organisation_status" in province and not scans(province, "organisation")
    # A city's: by its code and status, or by the status (the few waiting in the province) then its code.
    assert "ix_organisation_city_status" in city or "ix_organisation_status" in city
    assert not scans(city, "organisation")
