"""Roles belong to the deployment: an administrator adds 技术支撑单位, draws a lane for it with one step and
gives an account the role; that account works exactly that step (inbox, counts, task page, submit) and
nothing else, with no code naming the role. A city-scoped added role sees only its city's tasks."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from service.accounts.admin import create_account, update_account
from service.accounts.models import User
from service.accounts.roles import add_role, lane_roles
from service.applications.access import application_filter, can_work_on, work_item_filter, workers_for
from service.applications.inbox import inbox, inbox_counts
from service.applications.models import Application, WorkItem
from service.commands.demo import ensure_user
from service.engine.validation import validate_bundle
from service.platform.errors import Invalid
from service.platform.extensions import db
from service.platform.transactions import transaction
from service.rounds.service import open_round
from service.versions.deploy import deploy
from tests.conftest import OBJECTION_CHANNEL
from tests.roles_bundle import STEP, with_lane
from tests.scenario import Scenario

OPINION = {"tech_opinion": "能耗数据经核算无误"}


def new_role(key, name, scope):
    with transaction():
        add_role(actor="admin", values={"key": key, "name": name, "scope": scope})


def round_on(bundle, lane) -> int:
    """A round on the shipped diagram with a step in a lane named ``lane``."""
    with transaction():
        version, _ = deploy(with_lane(bundle, lane), actor="admin", note="加入技术审核")
        return open_round(name="2024年度", year=2024, city_deadline=date(2024, 6, 10), actor="admin",
                          process_version_id=version.id, **OBJECTION_CHANNEL).id


def account(username, roles, **fields):
    with transaction():
        return ensure_user(username=username, display_name=username, roles=roles, **fields).id


def user(user_id) -> User:
    db.session.remove()
    return db.session.get(User, user_id)


def open_steps(user_id) -> list[str]:
    return [item["step"] for item in inbox(user(user_id), page=1, page_size=20)["items"]]


def counted(user_id) -> int:
    return db.session.scalar(select(func.count()).select_from(WorkItem).where(work_item_filter(user(user_id))))


def at_tech_check(users, round_id, clock, applicant="applicant", city="changchun", category="factory") -> Scenario:
    return Scenario(users, round_id, clock).start(category, applicant).declare(category, who=applicant).city_review(
        "recommend", who=city).seal_city_package()


@pytest.fixture
def tech(users, clock, bundle):
    """技术支撑单位 (scope none), a round whose diagram has its step, and one account holding it."""
    new_role("tech_support", "技术支撑单位", "none")
    users["tech1"] = account("tech1", ["tech_support"])
    return round_on(bundle, "技术支撑单位")


def test_the_added_role_works_exactly_its_step_and_nothing_else(users, clock, tech):
    waiting = Scenario(users, tech, clock).start("park")  # another application, still at its declaration
    scenario = at_tech_check(users, tech, clock)
    item = scenario.item(STEP)
    assert item.role == "tech_support"
    assert [u.username for u in workers_for(item)] == ["tech1"]  # who is notified of it
    assert open_steps(users["tech1"]) == [STEP]
    assert inbox_counts(user(users["tech1"]))["total"] == 1 == counted(users["tech1"])
    for other in ("staff", "changchun", "applicant", "expert1"):
        assert STEP not in open_steps(users[other]), other
        assert not can_work_on(user(users[other]), item)
    visible = db.session.scalars(select(Application.id).where(application_filter(user(users["tech1"])))).all()
    assert visible == [scenario.application_id]  # not the application still being declared
    assert waiting.application_id not in visible

    scenario.complete("tech1", OPINION, bpmn_id=STEP)
    assert [i.bpmn_id for i in scenario.items()] == ["Task_formal_review"]
    assert open_steps(users["tech1"]) == [] and inbox_counts(user(users["tech1"]))["total"] == 0
    assert not can_work_on(user(users["tech1"]), scenario.item("Task_formal_review"))
    assert ("task_completed", STEP) in scenario.trail()


def test_through_the_api_and_the_task_page(app, users, clock, tech):
    from tests.api import ApiClient
    from tests.pages import Visitor

    with transaction():
        for name in ("tech1", "staff"):
            db.session.get(User, users[name]).set_password("demo")
    scenario = at_tech_check(users, tech, clock)
    waiting = Scenario(users, tech, clock).start("park")
    task_id = scenario.item(STEP).task_id
    api = ApiClient(app.test_client())
    tasks = api.get("/api/tasks", "tech1").json
    assert [t["step"] for t in tasks["items"]] == [STEP] and tasks["total"] == 1
    opened = api.get(f"/api/tasks/{task_id}", "tech1")
    assert opened.status_code == 200 and opened.json["form"]["id"] == "Form_tech_check"
    version = opened.json["version"]
    refused = api.post(f"/api/tasks/{task_id}/submit", "staff", json={"data": OPINION, "version": version})
    assert refused.status_code == 404
    page = Visitor(app)
    assert page.login("tech1").status_code == 302
    assert "技术审核" in page.get(f"/tasks/{task_id}").get_data(as_text=True)
    inbox_page = page.get("/inbox").get_data(as_text=True)
    assert "技术审核" in inbox_page and 'href="/done"' in inbox_page and "技术支撑单位" in inbox_page
    assert page.get("/rounds").status_code == 403  # the role reads no round, as nothing grants it
    assert page.get(f"/applications/{scenario.application_id}").status_code == 200
    assert page.get(f"/applications/{scenario.application_id}/audit").status_code == 200
    assert page.get(f"/applications/{waiting.application_id}").status_code == 404
    done = api.post(f"/api/tasks/{task_id}/submit", "tech1",
                    json={"data": OPINION, "version": version})
    assert done.status_code == 200, done.json
    assert [i.bpmn_id for i in scenario.items()] == ["Task_formal_review"]
    assert api.get("/api/tasks", "tech1").json["total"] == 0


def test_a_city_scoped_added_role_sees_only_its_citys_tasks(users, clock, bundle):
    new_role("city_tech", "市州技术审查", "city")
    changchun, jilin = account("tech_cc", ["city_tech"], city_code="220100"), account("tech_jl", ["city_tech"],
                                                                                        city_code="220200")
    round_id = round_on(bundle, "市州技术审查")
    at_tech_check(users, round_id, clock)  # Changchun
    at_tech_check(users, round_id, clock, category="park")
    at_tech_check(users, round_id, clock, applicant="other_applicant", city="jilin")
    assert open_steps(changchun) == [STEP, STEP] and open_steps(jilin) == [STEP]
    jilin_item = db.session.scalar(select(WorkItem).where(WorkItem.bpmn_id == STEP, WorkItem.city_code == "220200"))
    assert [u.id for u in workers_for(jilin_item)] == [jilin]
    for who in (changchun, jilin):
        assert inbox_counts(user(who))["total"] == counted(who) == len(open_steps(who))
    with pytest.raises(Invalid) as refused:  # a city-scoped role needs the account's city
        with transaction():
            create_account(actor="admin", values={"username": "tech_none", "display_name": "无市州",
                                                  "roles": ["city_tech"]})
    assert "市州技术审查账号必须选择所在市州" in refused.value.fields["city_code"]


def test_an_organisation_scoped_added_role_counts_its_units_tasks(users, clock, bundle):
    new_role("unit_engineer", "企业能源管理员", "organisation")
    with transaction():  # given to accounts of an organisation, through the account admin
        for name in ("applicant", "other_applicant"):
            update_account(db.session.get(User, users[name]), actor="admin",
                           changes={"roles": ["applicant", "unit_engineer"]})
    round_id = round_on(bundle, "企业能源管理员")
    at_tech_check(users, round_id, clock)
    at_tech_check(users, round_id, clock, category="park")
    at_tech_check(users, round_id, clock, applicant="other_applicant", city="jilin")
    mine = [i for i in open_steps(users["applicant"]) if i == STEP]
    assert len(mine) == 2 and open_steps(users["other_applicant"]).count(STEP) == 1
    for name in ("applicant", "other_applicant"):
        assert inbox_counts(user(users[name]))["total"] == counted(users[name]), name
    with pytest.raises(Invalid) as refused:
        with transaction():
            create_account(actor="admin", values={"username": "loner", "display_name": "无单位",
                                                  "roles": ["unit_engineer"]})
    assert "按单位办理" in refused.value.fields["roles"][0]


def test_validation_names_a_lane_of_no_known_role_until_the_role_is_added(app, bundle):
    drawn = with_lane(bundle, "技术支撑单位")
    problems = [str(p) for p in validate_bundle(drawn, lane_roles())]
    assert any("泳道“技术支撑单位”不对应已知角色" in p and "申报单位、省工信厅、市州工信局、评审专家" in p
               for p in problems), problems
    new_role("tech_support", "技术支撑单位", "none")
    assert validate_bundle(drawn, lane_roles()) == []
    assert validate_bundle(with_lane(bundle, "tech_support"), lane_roles()) == []  # by its key too
