"""Extending the city deadline moves the timers already waiting: the process does not end on the old date and
does end after the new one; a timer armed after the extension reads the new date too."""
from datetime import datetime, timezone

from sqlalchemy import select

from service.engine.bundle import Bundle
from service.platform.transactions import transaction
from service.rounds.service import open_round
from service.versions.deploy import deploy
from tests.conftest import OBJECTION_CHANNEL

from service.applications.models import Timer
from service.platform.extensions import db
from tests.api import ApiScenario, ok, refused
from tests.pages import Visitor

OLD = datetime(2024, 6, 10, 16, 0, tzinfo=timezone.utc)  # 10 June, midnight in Changchun
NEW = datetime(2024, 6, 30, 16, 0, tzinfo=timezone.utc)  # 30 June


def timers_of(application_id):
    return sorted((t.element_id, t.due_at) for t in db.session.scalars(
        select(Timer).where(Timer.application_id == application_id)))


def extend(api, round_id, day, reason="市州申请延期", who="province"):
    """Both deadlines to ``day``: the declarations' timers read unit_deadline, the city reviews' city_deadline."""
    return api.call("PATCH", f"/api/rounds/{round_id}", who, json={"unit_deadline": day, "city_deadline": day,
                                                                   "reason": reason})


def test_an_extension_moves_the_waiting_timers_and_the_process_waits_for_the_new_date(app, api, clock):
    declaring = ApiScenario(api, "factory").start()
    reviewing = ApiScenario(api, "park").start().declare()
    assert timers_of(declaring.application_id) == [("Timer_declare_factory", OLD)]
    assert timers_of(reviewing.application_id) == [("Timer_city_review", OLD)]

    detail = ok(extend(api, declaring.round_id, "2024-06-30"))
    assert detail["city_deadline"].startswith("2024-06-30T16:00") and detail["editable"] is False
    changes = [(c["field"], c["reason"], c["applications_moved"]) for c in detail["deadline_changes"]]
    assert changes == [("unit_deadline", "市州申请延期", 1), ("city_deadline", "市州申请延期", 1)]
    assert timers_of(declaring.application_id) == [("Timer_declare_factory", NEW)]
    assert timers_of(reviewing.application_id) == [("Timer_city_review", NEW)]
    due = {t["application_id"]: t["due_at"] for t in ok(api.get("/api/tasks", "factory1"))["items"]}
    assert due[declaring.application_id].startswith("2024-06-30T16:00")  # the inbox's due date moved too
    trail = declaring.audit("province")
    moved = [e for e in trail["events"] if e["action"] == "deadline_moved"]
    assert moved and moved[0]["data"]["reason"] == "市州申请延期"
    province = Visitor(app)
    province.login("province")
    page = province.get(f"/applications/{declaring.application_id}").get_data(as_text=True)
    assert "截止日期顺延" in page and "市州申请延期" in page and "2024-06-30（含）" in page  # on its trail

    # A declaration submitted after the extension: the city review's timer is armed with the new date.
    declaring.declare()
    assert timers_of(declaring.application_id) == [("Timer_city_review", NEW)]

    clock.set(datetime(2024, 6, 11, 1, 0, tzinfo=timezone.utc))  # the old deadline has passed
    declaring.run_worker()
    assert declaring.outcome() is None and reviewing.outcome() is None
    assert declaring.detail()["stage"] == reviewing.detail()["stage"] == "市州初审推荐"

    clock.set(datetime(2024, 7, 1, 1, 0, tzinfo=timezone.utc))  # and now the new one
    assert declaring.run_worker() >= 2
    assert declaring.outcome() == reviewing.outcome() != None  # noqa: E711  ended by the deadline
    assert timers_of(declaring.application_id) == timers_of(reviewing.application_id) == []


def test_an_application_started_after_the_extension_waits_for_the_new_date(api, clock):
    round_id = ApiScenario(api, "park").start().round_id  # the round is under way
    ok(extend(api, round_id, "2024-06-30"))
    late = ApiScenario(api, "factory").start()
    assert timers_of(late.application_id) == [("Timer_declare_factory", NEW)]


def test_a_shorter_or_past_deadline_and_a_missing_reason_are_refused_and_nothing_moves(api, clock):
    s = ApiScenario(api, "factory").start()
    body = refused(extend(api, s.round_id, "2024-06-05"), 422, "validation_failed", "city_deadline")
    assert "只能延后" in body["errors"]["city_deadline"][0] and "市州推荐截止日" in body["errors"]["city_deadline"][0]
    clock.set(datetime(2024, 6, 20, 1, 0, tzinfo=timezone.utc))
    body = refused(extend(api, s.round_id, "2024-06-19"), 422, "validation_failed", "city_deadline")
    assert "已过" in body["errors"]["city_deadline"][0]
    clock.set(datetime(2024, 5, 7, 1, 0, tzinfo=timezone.utc))
    refused(extend(api, s.round_id, "2024-06-30", reason=""), 422, "validation_failed", "reason")
    refused(api.call("PATCH", f"/api/rounds/{s.round_id}", "province",
                     json={"unit_deadline": "2024-06-20", "reason": "延期"}), 422, "validation_failed", "unit_deadline")
    assert timers_of(s.application_id) == [("Timer_declare_factory", OLD)]
    assert ok(api.get(f"/api/rounds/{s.round_id}", "province"))["deadline_changes"] == []


def test_a_timer_that_counts_a_duration_from_the_deadline_cannot_move_and_the_extension_is_refused(
        api, clock, bundle):
    """A diagram whose declaration timer is a duration computed from city_deadline: when was it armed? The
    engine cannot say what the new date would be, so the whole extension is refused and nothing changes."""
    main = next(name for name in bundle.processes if name.endswith(".bpmn"))
    old = '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">unit_deadline</bpmn:timeDate>'
    new = ('<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P30D" if unit_deadline else "P40D"'
           '</bpmn:timeDuration>')
    assert old in bundle.processes[main]
    counted = Bundle({**bundle.processes, main: bundle.processes[main].replace(old, new, 1)}, bundle.forms, bundle.files)
    with transaction():
        version_id = deploy(counted, actor="admin", note="按时长计算的申报期限")[0].id
        round_id = open_round(name="按时长", year=2024, city_deadline=datetime(2024, 6, 10).date(), actor="admin",
                              process_version_id=version_id, **OBJECTION_CHANNEL).id
    started = ok(api.post("/api/applications", "factory1", json={"round": round_id, "category": "factory"}), 201)
    before = timers_of(started["id"])
    body = refused(extend(api, round_id, "2024-06-30"), 409, "deadline_not_movable")
    assert "Timer_declare_factory" in body["message"] and body["details"]["application_id"] == started["id"]
    assert timers_of(started["id"]) == before
    detail = ok(api.get(f"/api/rounds/{round_id}", "province"))
    assert detail["city_deadline"].startswith("2024-06-10T16:00") and detail["deadline_changes"] == []
