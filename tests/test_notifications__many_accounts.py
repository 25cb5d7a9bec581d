"""With thousands of accounts, a submit finds who may work on the new task by query: it loads the few
accounts that qualify, never every account."""
from sqlalchemy import event

from service.accounts.models import User, UserRole
from service.platform.extensions import db
from service.platform.transactions import transaction
from tests.test_notifications import notices
from service.versions.samples import sample_declaration
from tests.scenario import Scenario


def add_applicant_units(count: int, city: str):
    with transaction():
        db.session.add_all([User(username=f"unit{city}-{n}", password_hash="!", display_name=f"单位{n}",
                                 roles=["applicant"], city_code=city, unit_name=f"单位{city}-{n}")
                            for n in range(count)])


def test_a_submit_loads_only_the_accounts_that_may_work_on_the_new_task(users, round_, clock):
    add_applicant_units(2000, "220100")  # the reviewer's own city: the old code loaded all of them
    s = Scenario(users, round_, clock).start().attach_reports(sample_declaration("factory"))  # before counting
    loaded = []
    listener = lambda target, context: loaded.append(target.username)  # noqa: E731
    event.listen(User, "load", listener)
    try:
        s.declare()
    finally:
        event.remove(User, "load", listener)
    assert [r["username"] for r in notices("task_assigned")[-1].recipients] == ["changchun"]
    assert len(loaded) <= 3, loaded


def test_the_role_index_follows_every_change_of_an_account(users):
    with transaction():
        user = db.session.get(User, users["changchun"])
        user.roles = ["city_reviewer", "expert"]
    assert sorted(db.session.scalars(db.select(UserRole.role).where(UserRole.user_id == users["changchun"]))) \
        == ["city_reviewer", "expert"]
    with transaction():
        db.session.get(User, users["changchun"]).roles = ["expert"]
    assert list(db.session.scalars(db.select(UserRole.role).where(UserRole.user_id == users["changchun"]))) \
        == ["expert"]


def test_the_expert_pool_comes_from_the_role_index(users, round_, clock):
    from service.applications.access import holders_of

    assert [u.username for u in holders_of("expert")] == ["expert1", "expert2", "expert3"]
    with transaction():
        db.session.get(User, users["expert2"]).active = False
    assert [u.username for u in holders_of("expert")] == ["expert1", "expert3"]
