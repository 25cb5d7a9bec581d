"""Inbox totals and the counts by step, city and category are kept by database triggers; after
applications move through every kind of step they equal a count over the open tasks, for every user."""
from sqlalchemy import func, select

from service.accounts.models import User
from service.applications.access import work_item_filter
from service.applications.inbox import inbox, inbox_counts
from service.applications.models import WorkItem
from service.platform.extensions import db
from tests.scenario import Scenario


def counted_directly(user):
    return db.session.scalar(select(func.count()).select_from(WorkItem).where(work_item_filter(user)))


def test_the_counters_agree_with_the_open_tasks_for_everyone(users, round_, clock):
    Scenario(users, round_, clock).start()  # at declaration
    Scenario(users, round_, clock).start(category="park").declare("park")  # at city review
    sent_back = Scenario(users, round_, clock).start(category="supply_chain")
    sent_back.declare("supply_chain").city_review("send_back").declare("supply_chain")
    experts = Scenario(users, round_, clock).start(applicant="other_applicant")
    experts.declare(who="other_applicant").city_review("recommend", who="jilin").formal_review()
    experts.expert_review("expert1", 80)  # one expert done, one still open
    db.session.remove()
    for user in db.session.scalars(select(User)).all():
        expected = counted_directly(user)
        assert inbox(user, page=1, page_size=20)["total"] == expected, user.username
        counts = inbox_counts(user)
        assert counts["total"] == expected, user.username
        by_step = dict((step, count) for step, _, count in counts["step"])
        direct = dict(db.session.execute(select(WorkItem.bpmn_id, func.count()).where(work_item_filter(user))
                                          .group_by(WorkItem.bpmn_id)).all())
        assert by_step == direct, user.username
    assert counted_directly(db.session.get(User, users["expert2"])) == 1
