"""转办, 撤回, 放弃申报, 催办 and 抄送 over the API: who may do what, in and out of scope, and every refusal
leaves the application exactly as it was (workflow state, work items, timers, trail)."""
import pytest
from sqlalchemy import func, select

from service.accounts.roles import add_role
from service.applications.models import Application, ApplicationCopy, TaskDraft, Timer, WorkItem
from service.audit import chain as audit
from service.audit.models import AuditEvent
from service.commands.demo import ensure_user
from service.notify.models import Notification
from service.platform.extensions import db
from service.platform.transactions import transaction
from service.versions.samples import sample_declaration
from tests.api import ApiScenario, ok, refused


@pytest.fixture
def people(api):
    """Colleagues beside the demo accounts: a second Changchun reviewer, a second province officer, a
    Changchun leader (a role the deployment added: sees nothing unless copied), a second factory1 account."""
    with transaction():
        add_role(actor="admin", values={"key": "city_leader", "name": "市州分管领导", "scope": "city"})
        ids = {
            "changchun2": ensure_user(username="changchun2", display_name="长春市工信局二科", roles=["city_reviewer"],
                                      city_code="220100").id,
            "province2": ensure_user(username="province2", display_name="省工信厅节能处", roles=["province_staff"]).id,
            "leader": ensure_user(username="leader", display_name="长春市分管领导", roles=["city_leader"],
                                  city_code="220100").id,
        }
    return ids


def snapshot(application_id):
    db.session.remove()
    application = db.session.get(Application, application_id)
    items = db.session.execute(select(WorkItem.task_id, WorkItem.claimed_by, WorkItem.has_draft).where(
        WorkItem.application_id == application_id).order_by(WorkItem.task_id)).all()
    timers = db.session.execute(select(Timer.task_id, Timer.due_at).where(
        Timer.application_id == application_id).order_by(Timer.task_id)).all()
    trail = len(audit.trail(audit.application_chain(application_id)))
    return application.state, application.version, application.stage, application.outcome, items, timers, trail


def events(application_id, action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.application_id == application_id,
                                                       AuditEvent.action == action)).all()


def notices(kind):
    return db.session.scalars(select(Notification).where(Notification.kind == kind)).all()


def task_of(api, who, application_id, step=None):
    inbox = ok(api.get("/api/tasks", who))["items"]
    found = [t for t in inbox if t["application_id"] == application_id and (step is None or t["step"] == step)]
    assert len(found) == 1, (who, inbox)
    return found[0]


# -- 转办 ----------------------------------------------------------------------------------------

def test_a_city_reviewer_hands_the_recommendation_to_a_colleague_of_the_same_city(api, people):
    s = ApiScenario(api).start().declare()
    task = task_of(api, "changchun", s.application_id)
    found = ok(api.get(f"/api/tasks/{task['task_id']}/colleagues", "changchun"))
    assert [c["display_name"] for c in found] == ["长春市工信局二科"]  # not themselves, not another city
    assert ok(api.get(f"/api/tasks/{task['task_id']}/colleagues?q=二科", "changchun"))[0]["id"] == people["changchun2"]
    assert ok(api.get(f"/api/tasks/{task['task_id']}/colleagues?q=吉林", "changchun")) == []

    body = ok(api.post(f"/api/tasks/{task['task_id']}/hand-over", "changchun",
                       json={"to": people["changchun2"], "reason": "本人出差，请二科办理"}))
    assert body["claimed_by"]["id"] == people["changchun2"]
    assert task_of(api, "changchun2", s.application_id)["claimed_by"]["display_name"] == "长春市工信局二科"
    [event] = events(s.application_id, "task_handed_over")
    assert event.actor == "changchun" and "本人出差" in event.data and "changchun2" in event.data
    [notice] = notices("task_handed_over")
    assert [r["username"] for r in notice.recipients] == ["changchun2"] and "本人出差" in notice.body
    assert audit.verify_chain(audit.application_chain(s.application_id)).ok

    # The colleague now holds it: the one who handed it over may no longer hand it on.
    refused(api.post(f"/api/tasks/{task['task_id']}/hand-over", "changchun",
                     json={"to": people["changchun2"], "reason": "再转"}), 409, "claimed_by_other")
    # The province does not work on a city's task: it is not theirs to hand over either.
    refused(api.post(f"/api/tasks/{task['task_id']}/hand-over", "province",
                     json={"to": people["changchun2"], "reason": "x"}), 404, "task_not_found")


def test_hand_over_is_refused_out_of_scope_and_without_a_reason(api, people):
    s = ApiScenario(api).start().declare()
    task_id = task_of(api, "changchun", s.application_id)["task_id"]
    from service.accounts.models import User
    jilin_id = db.session.scalar(select(User.id).where(User.username == "jilin"))
    before = snapshot(s.application_id)
    refused(api.post(f"/api/tasks/{task_id}/hand-over", "changchun", json={"to": jilin_id, "reason": "换人"}),
            422, "validation_failed", "to")
    refused(api.post(f"/api/tasks/{task_id}/hand-over", "changchun", json={"to": people["changchun2"]}),
            422, "validation_failed", "reason")
    refused(api.post(f"/api/tasks/{task_id}/hand-over", "changchun", json={"reason": "x"}),
            422, "validation_failed", "to")
    # Not their task: the applicant, another city, an expert (answered as the inbox answers: not found).
    for who in ("factory1", "jilin", "expert1"):
        response = api.post(f"/api/tasks/{task_id}/hand-over", who, json={"to": people["changchun2"], "reason": "x"})
        assert response.status_code in (403, 404), (who, response.json)
    refused(api.get(f"/api/tasks/{task_id}/colleagues", "jilin"), 404, "task_not_found")
    assert snapshot(s.application_id) == before
    assert not notices("task_handed_over")


# -- 撤回 ----------------------------------------------------------------------------------------

def test_the_applicant_takes_back_a_declaration_the_city_has_not_touched(api, people):
    s = ApiScenario(api).start()
    declaration = sample_declaration("factory")
    s.declare()
    assert task_of(api, "changchun", s.application_id)
    # Out of scope: another unit does not see it; the city sees it but did not submit it.
    refused(api.post(f"/api/applications/{s.application_id}/take-back", "park1", json={"reason": "x"}),
            404, "not_found")
    refused(api.post(f"/api/applications/{s.application_id}/take-back", "changchun", json={"reason": "x"}),
            403, "forbidden")
    refused(api.post(f"/api/applications/{s.application_id}/take-back", "factory1", json={}),
            422, "validation_failed", "reason")

    detail = ok(api.post(f"/api/applications/{s.application_id}/take-back", "factory1",
                         json={"reason": "产值数据填错，撤回修改"}))
    assert [t["step"] for t in detail["open_tasks"]] == ["Task_declare_factory"]
    assert not [t for t in ok(api.get("/api/tasks", "changchun"))["items"] if t["application_id"] == s.application_id]
    # The declaration comes back with what was submitted.
    task = task_of(api, "factory1", s.application_id)
    page = ok(api.get(f"/api/tasks/{task['task_id']}", "factory1"))
    assert page["data_source"] in ("draft", "previous")
    assert all(page["data"].get(key) == value for key, value in declaration.items()
               if key not in ("unit_name", "credit_code") and not isinstance(value, (list, dict)))
    [event] = events(s.application_id, "submission_taken_back")
    assert event.actor == "factory1" and "撤回修改" in event.data and "市州初审推荐" in event.data
    assert {r["username"] for r in notices("task_called_off")[0].recipients} == {"changchun", "changchun2"}
    assert audit.verify_chain(audit.application_chain(s.application_id)).ok
    # Submitted again, it goes on as before.
    s.submit("factory1", declaration)
    assert task_of(api, "changchun", s.application_id)


def test_taking_back_after_the_city_claimed_is_refused_and_changes_nothing(api, people):
    s = ApiScenario(api).start().declare()
    task_id = task_of(api, "changchun", s.application_id)["task_id"]
    ok(api.post(f"/api/tasks/{task_id}/claim", "changchun"))
    before = snapshot(s.application_id)
    body = refused(api.post(f"/api/applications/{s.application_id}/take-back", "factory1",
                            json={"reason": "想修改"}), 409, "take_back_refused")
    assert "已由" in body["message"] and "认领" in body["message"]
    assert snapshot(s.application_id) == before
    # Released again, the claim stays on the record: the city has touched it.
    ok(api.post(f"/api/tasks/{task_id}/unclaim", "changchun"))
    refused(api.post(f"/api/applications/{s.application_id}/take-back", "factory1", json={"reason": "想修改"}),
            409, "take_back_refused")


def test_the_city_takes_back_a_recommendation_until_the_province_claims_it(api, people):
    s = ApiScenario(api).start().declare().city_review("recommend")
    refused(api.post(f"/api/applications/{s.application_id}/take-back", "jilin", json={"reason": "x"}),
            404, "not_found")
    refused(api.post(f"/api/applications/{s.application_id}/take-back", "factory1", json={"reason": "x"}),
            403, "forbidden")
    detail = ok(api.post(f"/api/applications/{s.application_id}/take-back", "changchun2",
                         json={"reason": "推荐排序需调整"}))  # a colleague of the same city may take it back
    assert [t["step"] for t in detail["open_tasks"]] == ["Task_city_review"]
    s.city_review("recommend").seal_city_package()
    formal = [t for t in ok(api.get("/api/tasks", "province"))["items"] if t["application_id"] == s.application_id]
    ok(api.post(f"/api/tasks/{formal[0]['task_id']}/claim", "province"))
    before = snapshot(s.application_id)
    refused(api.post(f"/api/applications/{s.application_id}/take-back", "changchun", json={"reason": "再调整"}),
            409, "take_back_refused")
    assert snapshot(s.application_id) == before


# -- 放弃申报 -------------------------------------------------------------------------------------

def test_the_applicant_withdraws_before_the_deadline(api, people):
    s = ApiScenario(api).start().declare()
    for who, status in (("changchun", 403), ("province", 403), ("park1", 404)):
        response = api.post(f"/api/applications/{s.application_id}/withdraw", who, json={"reason": "x"})
        assert response.status_code == status, (who, response.json)
    refused(api.post(f"/api/applications/{s.application_id}/withdraw", "factory1", json={"reason": " "}),
            422, "validation_failed", "reason")
    detail = ok(api.post(f"/api/applications/{s.application_id}/withdraw", "factory1",
                         json={"reason": "企业战略调整，本年度不再申报"}))
    assert detail["outcome"] == "放弃申报" and detail["stage"] == "放弃申报" and detail["open_tasks"] == []
    assert db.session.scalar(select(func.count()).select_from(Timer).where(
        Timer.application_id == s.application_id)) == 0
    assert db.session.scalar(select(func.count()).select_from(WorkItem).where(
        WorkItem.application_id == s.application_id)) == 0
    [event] = events(s.application_id, "application_withdrawn")
    assert event.actor == "factory1" and "企业战略调整" in event.data
    assert audit.verify_chain(audit.application_chain(s.application_id)).ok
    listed = ok(api.get("/api/applications?outcome=放弃申报", "province"))["items"]
    assert [a["id"] for a in listed] == [s.application_id]
    assert notices("outcome") and notices("task_called_off")
    refused(api.post(f"/api/applications/{s.application_id}/withdraw", "factory1", json={"reason": "再次"}),
            409, "withdraw_refused")
    # Its own end: the unit may start again in the category.
    ApiScenario(api).start()


def test_withdrawing_after_the_deadline_is_refused(api, people, clock):
    s = ApiScenario(api).start().declare()
    clock.advance(days=60)
    before = snapshot(s.application_id)
    body = refused(api.post(f"/api/applications/{s.application_id}/withdraw", "factory1", json={"reason": "晚了"}),
                   409, "deadline_passed")
    assert "截止" in body["message"]
    assert snapshot(s.application_id) == before


# -- 催办 ----------------------------------------------------------------------------------------

def test_the_province_urges_a_pending_task_once_a_day(api, people, clock):
    s = ApiScenario(api).start().declare()
    task_id = task_of(api, "changchun", s.application_id)["task_id"]
    assert task_of(api, "changchun", s.application_id)["urged"] is None
    body = ok(api.post(f"/api/tasks/{task_id}/urge", "province", json={"note": "请于本周内完成初审"}))
    assert set(body["owners"]) == {"长春市工信局", "长春市工信局二科"}
    mark = task_of(api, "changchun", s.application_id)["urged"]
    assert mark["by"] == "省工信厅资源节约与综合利用处" and mark["note"] == "请于本周内完成初审"
    [notice] = notices("task_urged")
    assert {r["username"] for r in notice.recipients} == {"changchun", "changchun2"} and "本周内" in notice.body
    [event] = events(s.application_id, "task_urged")
    assert event.actor == "province"
    before = snapshot(s.application_id)
    body = refused(api.post(f"/api/tasks/{task_id}/urge", "province", json={}), 409, "urged_today")
    assert "每天最多催办一次" in body["message"]
    assert snapshot(s.application_id) == before
    clock.advance(days=1)
    ok(api.post(f"/api/tasks/{task_id}/urge", "province2", json={}))
    assert len(notices("task_urged")) == 2


def test_who_may_urge_what(api, people):
    s = ApiScenario(api).start()
    declaration = task_of(api, "factory1", s.application_id)["task_id"]
    # The city urges its own applicant; another city does not even see the application.
    refused(api.post(f"/api/tasks/{declaration}/urge", "jilin", json={}), 404, "task_not_found")
    refused(api.post(f"/api/tasks/{declaration}/urge", "factory1", json={}), 403, "forbidden")
    refused(api.post(f"/api/tasks/{declaration}/urge", "expert1", json={}), 404, "task_not_found")
    ok(api.post(f"/api/tasks/{declaration}/urge", "changchun", json={"note": "请尽快提交"}))
    assert task_of(api, "factory1", s.application_id)["urged"]["by"] == "长春市工信局"
    s.declare()
    city_task = task_of(api, "changchun", s.application_id)["task_id"]
    refused(api.post(f"/api/tasks/{city_task}/urge", "changchun2", json={}), 403, "forbidden")  # a city's own task
    refused(api.post("/api/tasks/00000000-0000-0000-0000-000000000000/urge", "province", json={}),
            404, "task_not_found")


# -- 抄送 ----------------------------------------------------------------------------------------

def test_a_copy_gives_read_access_and_a_notice_and_nothing_more(api, people):
    s = ApiScenario(api).start().declare()
    refused(api.get(f"/api/applications/{s.application_id}", "leader"), 404, "not_found")
    candidates = ok(api.get(f"/api/applications/{s.application_id}/copy-candidates", "changchun"))
    assert {c["display_name"] for c in candidates} == {"长春市工信局二科", "长春市分管领导"}
    body = ok(api.post(f"/api/applications/{s.application_id}/copies", "changchun",
                       json={"to": people["leader"], "note": "请阅"}), 201)
    assert body["to"]["display_name"] == "长春市分管领导"
    assert ok(api.get(f"/api/applications/{s.application_id}", "leader"))["id"] == s.application_id
    assert ok(api.get(f"/api/applications/{s.application_id}/audit", "leader"))["verified"]
    copies = ok(api.get("/api/copies", "leader"))
    assert copies["total"] == 1 and copies["items"][0]["copied_by"] == "长春市工信局"
    [notice] = notices("application_copied")
    assert [r["username"] for r in notice.recipients] == ["leader"]
    assert events(s.application_id, "application_copied")
    # Read, not write: the city's task is not theirs to open, claim, submit or hand over.
    task_id = task_of(api, "changchun", s.application_id)["task_id"]
    assert ok(api.get("/api/tasks", "leader"))["items"] == []
    for path in ("claim", "submit", "hand-over"):
        response = api.post(f"/api/tasks/{task_id}/{path}", "leader", json={"data": {}, "version": 1, "to": 1,
                                                                          "reason": "x"})
        assert response.status_code in (403, 404, 422), (path, response.json)
        assert response.status_code != 200
    refused(api.post(f"/api/applications/{s.application_id}/withdraw", "leader", json={"reason": "x"}),
            403, "forbidden")
    refused(api.post(f"/api/applications/{s.application_id}/copies", "changchun", json={"to": people["leader"]}),
            409, "already_copied")


def test_copies_stay_within_ones_own_office(api, people):
    from service.accounts.models import User

    s = ApiScenario(api).start().declare()
    ids = dict(db.session.execute(select(User.username, User.id)).all())
    for who, to in (("changchun", ids["jilin"]), ("changchun", ids["factory1"]), ("changchun", ids["province"]),
                    ("province", ids["changchun"]), ("province", ids["expert1"]), ("changchun", ids["changchun"])):
        refused(api.post(f"/api/applications/{s.application_id}/copies", who, json={"to": to}),
                422, "validation_failed", "to")
    ok(api.post(f"/api/applications/{s.application_id}/copies", "province", json={"to": people["province2"]}), 201)
    for who, status in (("factory1", 403), ("expert1", 404), ("jilin", 404)):
        response = api.post(f"/api/applications/{s.application_id}/copies", who, json={"to": people["leader"]})
        assert response.status_code == status, (who, response.json)
    assert db.session.scalar(select(func.count()).select_from(ApplicationCopy)) == 1
    assert db.session.scalar(select(func.count()).select_from(TaskDraft)) == 0


def test_an_applicant_hands_the_declaration_to_an_account_of_the_same_unit_only(api, people):
    from service.accounts.models import User

    with transaction():
        colleague = ensure_user(username="factory1b", display_name="长春示范汽车零部件有限公司（填报员）",
                                roles=["applicant"], city_code="220100", unit_name="长春示范汽车零部件有限公司").id
    s = ApiScenario(api).start()
    task_id = task_of(api, "factory1", s.application_id)["task_id"]
    park = db.session.scalar(select(User.id).where(User.username == "park1"))
    assert [c["id"] for c in ok(api.get(f"/api/tasks/{task_id}/colleagues", "factory1"))] == [colleague]
    refused(api.post(f"/api/tasks/{task_id}/hand-over", "factory1", json={"to": park, "reason": "x"}),
            422, "validation_failed", "to")
    ok(api.post(f"/api/tasks/{task_id}/hand-over", "factory1", json={"to": colleague, "reason": "由填报员完成"}))
    assert task_of(api, "factory1b", s.application_id)["claimed_by"]["id"] == colleague
    # An expert's review is named for one person: it is never handed over (回避 is the way out).
    s.applicant = "factory1b"  # the colleague now holds the declaration: they submit it
    s.declare().city_review("recommend").formal_review()
    review = task_of(api, "expert1", s.application_id)["task_id"]
    expert2 = db.session.scalar(select(User.id).where(User.username == "expert2"))
    refused(api.post(f"/api/tasks/{review}/hand-over", "expert1", json={"to": expert2, "reason": "x"}),
            409, "not_transferable")


def test_the_province_cannot_take_back_a_formal_review_once_the_experts_have_it(api, people):
    s = ApiScenario(api).start().declare().city_review("recommend").formal_review()
    before = snapshot(s.application_id)
    body = refused(api.post(f"/api/applications/{s.application_id}/take-back", "province", json={"reason": "重选专家"}),
                   409, "take_back_refused")
    assert "专家评审" in body["message"]
    assert snapshot(s.application_id) == before
