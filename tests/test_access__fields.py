"""Who sees which fields is one rule per kind of data, the same in the trail (API, pages, the printable
record) and on the task page: the departments' consultation opinions are not shown to the applicant."""
from tests.api import ApiScenario, ok

CONSULTED = ("consult_ecology", "consult_emergency", "consult_market")


def city_review_in_trail(api, scenario, who):
    events = ok(api.get(f"/api/applications/{scenario.application_id}/audit", who))["events"]
    return next(e["data"] for e in events if e["action"] == "task_completed" and e["element_id"] == "Task_city_review")


def test_the_applicant_sees_the_citys_decision_but_not_the_departments_opinions(api):
    s = ApiScenario(api).start().declare().city_review("send_back")
    for who in ("changchun", "province", "auditor"):
        review = city_review_in_trail(api, s, who)
        assert all(review["form"][field] for field in CONSULTED) and "redacted" not in review, who
    applicant = city_review_in_trail(api, s, "factory1")
    assert applicant["form"]["decision"] == "send_back" and applicant["form"]["comments"]
    assert not set(CONSULTED) & set(applicant["form"]) and "征求有关部门意见" in applicant["redacted"]
    # The task page the applicant works on shows the same: why it came back, not the consultations.
    task_id = s.open_task("factory1")
    history = ok(api.get(f"/api/tasks/{task_id}", "factory1"))["history"]
    review = next(h for h in history if h["step"] == "Task_city_review")
    assert review["data"]["comments"] and not set(CONSULTED) & set(review["data"])
