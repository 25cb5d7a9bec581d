"""回避声明: an expert declares a conflict from their review task, the province gives the task to a
substitute (chosen with a reason, or drawn), the substitute reviews and the application moves on."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from service.applications.access import visible_application_or_404
from service.applications.commands import NotYours, complete_task
from service.applications.inbox import inbox, task_page
from service.applications.models import ExpertConflict
from service.applications.panel_changes import declare_conflict, substitute_expert
from service.applications.saving import load
from service.commands.demo import ensure_user
from service.notify.models import Notification
from service.platform.errors import Conflict, Invalid, NotFound
from service.platform.extensions import db
from service.platform.transactions import transaction
from tests.scenario import Scenario


@pytest.fixture
def scenario(users, round_, clock):
    with transaction():
        users["expert4"] = ensure_user(username="expert4", display_name="专家四", roles=["expert"],
                                       employer="四平职业大学", city_code="220300", specialties=["factory"]).id
    s = Scenario(users, round_, clock).start("factory").declare("factory").city_review("recommend")
    return s.formal_review(experts=("expert1", "expert2"))


def review_of(s: Scenario, expert: str):
    return s.item("Task_expert_review", assignee=str(s.users[expert]))


def declare(s: Scenario, who: str, task_id: str, reason="本人曾为该单位提供节能咨询服务"):
    with transaction():
        return declare_conflict(task_id=task_id, user=s.user(who), reason=reason)


def substitute(s: Scenario, who: str, task_id: str, **kwargs):
    kwargs.setdefault("method", "manual")
    with transaction():
        return substitute_expert(task_id=task_id, user=s.user(who), **kwargs)


def refused(error, call):
    with pytest.raises(error) as caught:
        call()
    db.session.rollback()
    return caught.value


def test_a_declared_conflict_leads_to_a_substitute_who_reviews_and_the_application_moves_on(scenario):
    s = scenario
    task_id = review_of(s, "expert1").task_id
    declare(s, "expert1", task_id)

    # The declaring expert no longer has the task, nor sees the application and its reviews.
    assert inbox(s.user("expert1"), page=1, page_size=20)["total"] == 0
    refused(NotFound, lambda: visible_application_or_404(s.user("expert1"), s.application_id))
    # The province has a "pick a substitute" item; the review itself cannot be submitted by it.
    [waiting] = [i for i in s.items() if i.assignee is None]
    assert (waiting.task_id, waiting.role, waiting.name) == (task_id, "province_staff", "更换回避专家：专家评审")
    page = task_page(s.user("staff"), task_id)
    assert page["substitution"]["conflict"]["reason"] == "本人曾为该单位提供节能咨询服务"
    assert {c["name"] for c in page["substitution"]["candidates"]} == {"专家三", "专家四"}
    error = refused(Conflict, lambda: complete_task(task_id=task_id, user=s.user("staff"), data={}))
    assert error.code == "substitution_pending"

    # Not the one who declared, not someone already on the panel, not without a reason.
    one, two, three = (s.users[f"expert{n}"] for n in (1, 2, 3))
    assert "expert" in refused(Invalid, lambda: substitute(s, "staff", task_id, expert_id=one, reason="x")).fields
    assert "expert" in refused(Invalid, lambda: substitute(s, "staff", task_id, expert_id=two, reason="x")).fields
    assert "reason" in refused(Invalid, lambda: substitute(s, "staff", task_id, expert_id=three)).fields
    done = substitute(s, "staff", task_id, expert_id=three, reason="专家三熟悉汽车零部件行业")
    assert done["substitute"] == {"id": three, "name": "专家三"}

    # The same engine task, now the substitute's: in the inbox index and in the process data.
    moved = review_of(s, "expert3")
    assert (moved.task_id, moved.role) == (task_id, "expert")
    loaded = load(s.application_id)
    assert loaded.engine.instance_inputs(loaded.workflow, task_id) == [str(three), str(two)]
    db.session.rollback()
    told = db.session.scalar(select(Notification).where(Notification.idempotency_key.like("substituted:%")))
    assert told.recipients[0]["username"] == "expert3"  # the key carries the conflict's id, not always 1

    s.expert_review("expert3", 82).expert_review("expert2", 76)
    assert s.application.stage == "启动公示"  # scored, waiting for the notice
    events = s.trail_events()
    actions = [e.action for e in events]
    assert actions.index("expert_conflict_declared") < actions.index("expert_substituted")
    scoring = next(e for e in events if e.element_id == "Task_scoring")
    reviews = [e.payload["form"] for e in events if e.action == "task_completed"
               and e.element_id == "Task_expert_review"]
    assert [e.actor for e in events if e.action == "task_completed" and e.element_id == "Task_expert_review"] \
        == ["expert3", "expert2"] and scoring and len(reviews) == 2
    conflict = db.session.scalar(select(ExpertConflict))
    assert (conflict.expert_id, conflict.substitute_id, conflict.method, conflict.resolved_by) == \
        (one, three, "manual", "staff")
    assert s.chain_ok()


def test_a_substitute_can_be_drawn_from_those_left(scenario):
    s = scenario
    task_id = review_of(s, "expert2").task_id
    declare(s, "expert2", task_id)
    drawn = substitute(s, "staff", task_id, method="draw")
    assert drawn["substitute"]["name"] in ("专家三", "专家四") and len(drawn["seed"]) == 16
    assert review_of(s, {"专家三": "expert3", "专家四": "expert4"}[drawn["substitute"]["name"]]).task_id == task_id
    event = next(e for e in s.trail_events() if e.action == "expert_substituted")
    assert event.payload["seed"] == drawn["seed"] and sorted(event.payload["eligible"]) == \
        sorted([s.users["expert3"], s.users["expert4"]])


def test_only_the_assigned_expert_may_declare(scenario):
    s = scenario
    task_id = review_of(s, "expert1").task_id
    for who in ("expert2", "expert3", "staff", "applicant"):
        refused(NotYours, lambda: declare(s, who, task_id))
    assert "reason" in refused(Invalid, lambda: declare(s, "expert1", task_id, reason="  ")).fields
    assert review_of(s, "expert1").role == "expert"  # nothing happened


def test_only_province_staff_picks_the_substitute(scenario):
    s = scenario
    task_id = review_of(s, "expert1").task_id
    declare(s, "expert1", task_id)
    three = s.users["expert3"]
    for who in ("expert1", "expert2", "expert3", "applicant", "changchun"):
        refused(NotYours, lambda: substitute(s, who, task_id, expert_id=three, reason="指定"))
    # A review task without a declared conflict has no substitute to pick.
    other = review_of(s, "expert2").task_id
    refused(NotYours, lambda: substitute(s, "staff", other, expert_id=three, reason="指定"))
    substitute(s, "staff2", task_id, expert_id=three, reason="指定")
    assert review_of(s, "expert3").task_id == task_id
