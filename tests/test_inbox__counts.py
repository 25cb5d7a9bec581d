"""Inbox totals and the counts by step, city and category are kept by database triggers; after
applications move through every kind of step they equal a count over the open tasks, for every user.
An inbox page reads its tasks, total, claimers and latest 催办 in one statement."""
from datetime import timedelta

from sqlalchemy import event, func, select

from service.accounts.models import User
from service.applications.access import work_item_filter
from service.applications.inbox import inbox, inbox_counts
from service.applications.commands import claim_task
from service.applications.models import TaskUrge, WorkItem
from service.platform.extensions import db
from service.platform.timeutil import utcnow
from service.platform.transactions import transaction
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


def statements_of(action) -> tuple[list[str], object]:
    sent = []
    listener = lambda *args: sent.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        result = action()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return [s for s in sent if not s.startswith(("BEGIN", "SAVEPOINT", "RELEASE"))], result


def test_a_page_its_total_claimers_and_latest_urges_are_one_statement(users, round_, clock):
    declared = [Scenario(users, round_, clock).start(category=c).declare(c) for c in ("factory", "park")]
    (first, first_task), (second, second_task) = ((s.application_id, s.item("Task_city_review").task_id)
                                                  for s in declared)
    with transaction():
        claim_task(application_id=first, task_id=first_task, user=db.session.get(User, users["changchun"]))
        now = utcnow()
        for at, note, who in ((now - timedelta(days=2), "早的", "staff"), (now, "最新的", "staff2"),
                              (now - timedelta(days=1), "中间的", "staff")):
            db.session.add(TaskUrge(application_id=second, task_id=second_task, urged_by=users[who], note=note,
                                    urged_at=at))
    db.session.remove()
    reviewer = db.session.get(User, users["changchun"])
    inbox(reviewer, page=1, page_size=20)  # the category names are cached (re-read every few seconds)
    sent, page = statements_of(lambda: inbox(reviewer, page=1, page_size=20))
    assert len(sent) == 1, sent
    by_task = {item["task_id"]: item for item in page["items"]}
    assert page["total"] == 2 == len(by_task)
    assert by_task[first_task]["claimed_by"] == {"id": users["changchun"], "display_name": "长春市初审员"}
    assert by_task[first_task]["urged"] is None and by_task[second_task]["claimed_by"] is None
    assert by_task[second_task]["urged"]["note"] == "最新的"
    assert by_task[second_task]["urged"]["by"] == "省厅工作人员二"


def test_a_page_past_the_end_still_gives_the_total(users, round_, clock):
    for category in ("factory", "park", "supply_chain"):
        Scenario(users, round_, clock).start(category=category).declare(category)
    db.session.remove()
    reviewer = db.session.get(User, users["changchun"])
    assert inbox(reviewer, page=2, page_size=2)["total"] == 3 == len(inbox(reviewer, page=1, page_size=3)["items"])
    assert inbox(reviewer, page=3, page_size=2) == {"items": [], "total": 3, "page": 3, "page_size": 2, "q": None}
    assert inbox(reviewer, page=2, page_size=2, category="park")["total"] == 1
    assert inbox(db.session.get(User, users["jilin"]), page=1, page_size=20)["total"] == 0


def test_an_account_with_two_task_roles_pages_through_both_in_due_order(users, round_, clock):
    """Each role's tasks are walked along its own index and merged: the pages are the inbox in order."""
    for category in ("factory", "park"):
        Scenario(users, round_, clock).start(category=category).declare(category)  # city review in Changchun
    Scenario(users, round_, clock).start(category="supply_chain")  # the unit's own declaration
    with transaction():
        both = db.session.get(User, users["changchun"])
        both.roles = ["city_reviewer", "applicant"]
        both.unit_code = db.session.get(User, users["applicant"]).unit_code
    db.session.remove()
    both = db.session.get(User, users["changchun"])
    expected = list(db.session.scalars(select(WorkItem.task_id).where(work_item_filter(both))
                                       .order_by(WorkItem.due_order, WorkItem.id)))
    assert len(expected) == 3 and {i.role for i in db.session.scalars(select(WorkItem))} >= {"applicant", "city_reviewer"}
    for size in (1, 2, 3):
        pages = [inbox(both, page=n, page_size=size) for n in range(1, 4 // size + 2)]
        assert [item["task_id"] for page in pages for item in page["items"]] == expected, size
        assert {page["total"] for page in pages} == {3}
    assert [i["task_id"] for i in inbox(both, page=1, page_size=20, category="park")["items"]] == \
        [t for t in expected if db.session.scalar(select(WorkItem.category).where(WorkItem.task_id == t)) == "park"]
