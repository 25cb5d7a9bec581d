"""Every outcome of the round, driven only through the HTTP API with the demo accounts."""
from datetime import datetime, timezone

import pytest

from tests.api import ApiScenario, ok

NOTICE_OVER = datetime(2024, 8, 1, tzinfo=timezone.utc)


def reviewed(api, category="factory", scores=(80, 75, 70), site=False):
    return ApiScenario(api, category).start().declare().city_review("recommend").formal_review(site=site) \
        .expert_reviews(scores, site=site)


def assert_outcome(s, outcome, last_actions):
    assert s.outcome() == outcome
    trail = s.audit()
    assert trail["verified"] is True
    assert [e["action"] for e in trail["events"]][-len(last_actions):] == last_actions
    assert s.detail()["open_tasks"] == []


@pytest.mark.parametrize("category", ["factory", "park", "supply_chain"])
def test_listed(api, clock, category):
    s = reviewed(api, category).batch("start-notice")
    clock.set(NOTICE_OVER)
    assert s.run_worker() == 1
    s.batch("publish")
    assert_outcome(s, "列入名单", ["timer_fired", "batch_action", "message_received", "ended", "register_entered"])


def test_send_back_keeps_what_was_typed(api):
    s = ApiScenario(api).start().declare().city_review("send_back")
    task_id = s.open_task("factory1")
    page = ok(api.get(f"/api/tasks/{task_id}", "factory1"))
    assert page["data_source"] == "previous" and page["data"]["main_products"] == "汽车零部件"
    # The unit's name is not what the declaration typed but its organisation's: it cannot be typed over.
    assert page["data"]["unit_name"] == "长春示范汽车零部件有限公司"
    assert [h["step"] for h in page["history"]] == ["Task_declare_factory", "Task_city_review"]
    s.declare().city_review("recommend")
    assert s.detail()["stage"] == "等待市州推荐材料"
    s.seal_city_package()
    assert s.detail()["stage"] == "形式审查与遴选专家"


def test_ineligible(api):
    s = ApiScenario(api).start().declare(exclusions=("exc_dishonest",))
    assert_outcome(s, "不予受理", ["rule_evaluated", "gateway_decision", "ended"])


def test_not_recommended(api):
    assert_outcome(ApiScenario(api).start().declare().city_review("reject"), "市州不予推荐",
                   ["task_completed", "rule_evaluated", "gateway_decision", "gateway_decision", "ended"])


def test_city_deadline_passed(api, clock):
    s = ApiScenario(api).start().declare()
    clock.set(datetime(2024, 6, 11, tzinfo=timezone.utc))
    assert s.run_worker() == 1
    assert_outcome(s, "逾期未推荐", ["timer_fired", "ended"])


def test_formal_review_rejected(api):
    s = ApiScenario(api).start().declare().city_review("recommend").formal_review("reject")
    assert_outcome(s, "形式审查未通过", ["task_completed", "gateway_decision", "ended"])


def test_below_pass_score(api):
    assert_outcome(reviewed(api, scores=(60, 55, 50)), "评审未通过",
                   ["script_run", "gateway_decision", "ended"])


def test_site_inspection_failed(api):
    s = reviewed(api, site=True).site_inspection("fail")
    assert_outcome(s, "现场核查未通过", ["task_completed", "gateway_decision", "ended"])


def test_objection_upheld(api):
    s = reviewed(api).batch("start-notice").objection().handle_objection("upheld")
    assert_outcome(s, "异议成立", ["task_completed", "gateway_decision", "ended"])


def test_objection_dismissed_then_listed(api, clock):
    s = reviewed(api).batch("start-notice").objection().handle_objection("dismissed")
    clock.set(NOTICE_OVER)
    s.run_worker()
    s.batch("publish")
    assert_outcome(s, "列入名单", ["timer_fired", "batch_action", "message_received", "ended", "register_entered"])


def test_experts_see_only_their_own_review(api):
    s = ApiScenario(api).start().declare().city_review("recommend").formal_review()
    s.submit("expert1", {"score": 91, "site_inspection": False, "opinion": "专家一意见"})
    task_id = s.open_task("expert2")
    page = ok(api.get(f"/api/tasks/{task_id}", "expert2"))
    assert all(h["step"] != "Task_expert_review" for h in page["history"])
    trail = ok(api.get(f"/api/applications/{s.application_id}/audit", "expert2"))
    expert_events = [e for e in trail["events"] if e["element_id"] == "Task_expert_review"]
    assert expert_events and all(e["data"].get("form") is None for e in expert_events)
    assert "专家一意见" not in str(trail)
    full = s.audit("auditor")
    assert any(e["data"].get("form", {}) and e["data"]["form"].get("score") == 91 for e in full["events"])
