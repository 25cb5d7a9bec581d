"""Every path through the round, each step reloading the application from the database.

Each scenario asserts the outcome, the whole audit trail in order, and that the
application's hash chain verifies.
"""
from datetime import datetime, timezone

import pytest

from service.versions.samples import EXCLUSIONS
from tests.scenario import Scenario

START = [("application_started", None), ("started", "Start_apply"), ("gateway_decision", "Gateway_category")]


def declared(category="factory"):
    return [("task_completed", f"Task_declare_{category}"), ("gateway_decision", "Gateway_declared"),
            ("rule_evaluated", "Task_scope"), ("gateway_decision", "Gateway_scope"),
            ("rule_evaluated", "Task_eligibility"), ("gateway_decision", "Gateway_eligible")]


CITY = [("task_completed", "Task_city_review"), ("rule_evaluated", "Task_verified_eligibility"),
        ("gateway_decision", "Gateway_verified"), ("gateway_decision", "Gateway_city_decision")]
# The city's package (frozen, received by the province) releases the recommendation into the formal review.
PACKAGE = [("city_package_frozen", None), ("city_package_received", None), ("message_received", "Event_city_package")]
FORMAL = PACKAGE + [("task_claimed", "Task_formal_review"), ("task_completed", "Task_formal_review"),
          ("gateway_decision", "Gateway_formal")]
EXPERTS = [("task_completed", "Task_expert_review"), ("task_completed", "Task_expert_review"),
           ("multi_instance_completed", "Task_expert_review"), ("script_run", "Task_scoring"),
           ("gateway_decision", "Gateway_score")]
SITE_DECIDED = [("gateway_decision", "Gateway_site")]
NO_SITE = SITE_DECIDED + [("gateway_decision", "Gateway_site_merge")]
NOTICE = [("batch_action", None), ("message_received", "Event_notice_start"), ("script_run", "Task_notice_window"),
          ("gateway_decision", "Gateway_notice_merge")]
OBJECTION = [("objection_recorded", None), ("message_received", "Event_objection"),
             ("task_completed", "Task_objection"), ("gateway_decision", "Gateway_objection")]
NOTICE_ENDS = [("timer_fired", "Event_notice_ended")]
PUBLISH = [("batch_action", None), ("message_received", "Event_publish"), ("ended", "End_listed"),
           ("register_entered", None)]  # the published unit enters the provincial register (名单库)

NOTICE_OVER = datetime(2024, 8, 1, tzinfo=timezone.utc)


@pytest.fixture
def scenario(users, round_, clock):
    return Scenario(users, round_, clock)


def reviewed(s, category="factory", scores=(80, 70), site=False):
    s.start(category).declare(category).city_review("recommend").formal_review(site=site)
    s.expert_review("expert1", scores[0]).expert_review("expert2", scores[1])
    return s


def assert_finished(s, outcome, trail):
    application = s.application
    assert application.outcome == outcome
    assert application.completed_at is not None
    assert s.items() == []
    assert s.trail() == trail
    assert s.chain_ok()


@pytest.mark.parametrize("category", ["factory", "park", "supply_chain"])
def test_listed(scenario, clock, category):
    s = reviewed(scenario, category).batch("start_notice")
    clock.set(NOTICE_OVER)
    assert s.run_worker() == 1
    s.batch("publish")
    assert_finished(s, "列入名单", START + declared(category) + CITY + FORMAL + EXPERTS + NO_SITE + NOTICE
                    + NOTICE_ENDS + PUBLISH)
    assert s.application.credit_code is not None


def test_send_back_then_recommend(scenario, clock):
    s = scenario.start().declare().city_review("send_back")
    assert s.item().bpmn_id == "Task_declare_factory"
    s.declare().city_review("recommend")
    assert s.items() == [] and s.waits_for_city_package()  # held until the city's package is received
    s.seal_city_package()
    assert s.item().bpmn_id == "Task_formal_review"
    s.formal_review().expert_review("expert1", 90).expert_review("expert2", 88).batch("start_notice")
    clock.set(NOTICE_OVER)
    s.run_worker()
    s.batch("publish")
    assert_finished(s, "列入名单", START + declared() + CITY + [("gateway_decision", "Gateway_category")]
                    + declared() + CITY + FORMAL + EXPERTS + NO_SITE + NOTICE + NOTICE_ENDS + PUBLISH)


@pytest.mark.parametrize("exclusion", EXCLUSIONS)
def test_ineligible_by_each_exclusion(scenario, exclusion):
    s = scenario.start().declare(exclusions=(exclusion,))
    assert_finished(s, "不予受理", START + declared() + [("ended", "End_ineligible")])
    rule = next(e for e in s.trail_events() if e.action == "rule_evaluated" and e.element_id == "Task_eligibility")
    assert len(rule.payload["exclusion_reasons"]) == 1


def test_not_recommended(scenario):
    s = scenario.start().declare().city_review("reject")
    assert_finished(s, "市州不予推荐", START + declared() + CITY + [("ended", "End_not_recommended")])


def test_city_deadline_passed(scenario, clock):
    s = scenario.start().declare()
    assert s.item().due_at == datetime(2024, 6, 10, 16, 0, tzinfo=timezone.utc)  # 11 June 00:00 in Changchun
    clock.set(datetime(2024, 6, 10, 15, 59, tzinfo=timezone.utc))
    assert s.run_worker() == 0
    clock.set(datetime(2024, 6, 10, 16, 0, 1, tzinfo=timezone.utc))
    assert s.run_worker() == 1
    assert_finished(s, "逾期未推荐", START + declared() + [("timer_fired", "Timer_city_review"),
                                                     ("ended", "End_overdue_review")])
    assert [e.actor for e in s.trail_events()][-1] == "system:timer"


def test_deadline_passes_while_sent_back(scenario, clock):
    s = scenario.start().declare().city_review("send_back")
    clock.set(datetime(2024, 6, 11, tzinfo=timezone.utc))
    s.run_worker()
    assert s.application.outcome == "逾期未推荐"
    assert s.trail()[-2:] == [("timer_fired", "Timer_declare_factory"), ("ended", "End_overdue_declaration")]


def test_formal_review_rejected(scenario):
    s = scenario.start().declare().city_review("recommend").formal_review("reject")
    assert_finished(s, "形式审查未通过", START + declared() + CITY + FORMAL + [("ended", "End_formal_rejected")])


def test_expert_average_below_pass_score(scenario):
    s = reviewed(scenario, scores=(65, 50))
    assert_finished(s, "评审未通过", START + declared() + CITY + FORMAL + EXPERTS + [("ended", "End_score_failed")])


def test_site_inspection_failed(scenario):
    s = scenario.start().declare().city_review("recommend").formal_review()
    s.expert_review("expert1", 80, site=True).expert_review("expert2", 75)
    s.site_inspection("fail")
    assert_finished(s, "现场核查未通过", START + declared() + CITY + FORMAL + EXPERTS + SITE_DECIDED
                    + [("task_completed", "Task_site_inspection"), ("gateway_decision", "Gateway_site_result"),
                       ("ended", "End_site_failed")])


def test_site_inspection_required_by_staff_then_passed(scenario, clock):
    s = reviewed(scenario, site=True)
    s.site_inspection("pass").batch("start_notice")
    clock.set(NOTICE_OVER)
    s.run_worker()
    s.batch("publish")
    assert s.application.outcome == "列入名单"
    assert s.chain_ok()


def test_objection_upheld(scenario):
    s = reviewed(scenario).batch("start_notice").objection().handle_objection("upheld")
    assert_finished(s, "异议成立", START + declared() + CITY + FORMAL + EXPERTS + NO_SITE + NOTICE + OBJECTION
                    + [("ended", "End_objection_upheld")])


def test_objection_dismissed_then_listed(scenario, clock):
    s = reviewed(scenario).batch("start_notice").objection().handle_objection("dismissed")
    assert s.items() == []  # back in the notice window, waiting
    clock.set(NOTICE_OVER)
    assert s.run_worker() == 1
    s.batch("publish")
    assert_finished(s, "列入名单", START + declared() + CITY + FORMAL + EXPERTS + NO_SITE + NOTICE + OBJECTION
                    + [("gateway_decision", "Gateway_notice_merge")] + NOTICE_ENDS + PUBLISH)
