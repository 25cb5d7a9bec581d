"""The applications list (我的申报, 申报列表, GET /api/applications) of a million applications: a unit's few, or a
city's, are found through an index per reason to see them (the unit's own applications by ix_application_applicant,
migration 0045; a city's by its code; what was copied to the user), never by reading the whole table for an OR; and
the total is counted only up to a cap, so the province's list does not count every application at every page."""
from service.accounts.models import User
from service.applications.models import Application
from service.applications.views import counted, list_applications, listed
from service.platform.extensions import db
from tests.plans import plan, scans
from tests.scenario import Scenario


def listing(users, name, **kwargs) -> dict:
    return list_applications(db.session.get(User, users[name]), page=1, page_size=20, **kwargs)


def plans(users, name) -> str:
    """The plans of a list's page and of its total, for the account ``name``."""
    page = plan(listed(db.session.get(User, users[name])).order_by(Application.id.desc()).limit(20))
    return page + "\n" + plan(counted(listed(db.session.get(User, users[name])), 10_000))


def test_a_unit_and_a_city_list_through_their_indexes(users, round_, clock):
    Scenario(users, round_, clock).start()
    unit, city = plans(users, "applicant"), plans(users, "changchun")
    assert "ix_application_applicant" in unit and not scans(unit, "application")
    assert "ix_application_city_code" in city and not scans(city, "application")
    assert "ix_application_copy_user" in unit and "ix_application_copy_user" in city  # 抄送, by index too


def test_each_account_still_lists_what_it_may_see(users, round_, clock):
    application_id = Scenario(users, round_, clock).start().application_id
    for name, expected in (("applicant", [application_id]), ("other_applicant", []), ("changchun", [application_id]),
                           ("jilin", []), ("expert1", []), ("staff", [application_id])):
        result = listing(users, name)
        assert ([a.id for a in result["items"]], result["total"], result["total_capped"]) \
            == (expected, len(expected), False), name


def test_a_total_beyond_the_cap_says_so_instead_of_counting_on(users, round_, clock):
    first = Scenario(users, round_, clock).start().application_id
    second = Scenario(users, round_, clock).start(applicant="other_applicant").application_id
    result = listing(users, "staff", total_cap=1)
    assert [a.id for a in result["items"]] == [second, first]  # the page itself is whole, newest first
    assert (result["total"], result["total_capped"]) == (1, True)  # shown as "1+": more than were counted
    assert listing(users, "staff")["total"] == 2
