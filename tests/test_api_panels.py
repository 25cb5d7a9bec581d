"""Expert panels over HTTP with the demo accounts: the province draws the panel and submits it, a manual
panel needs a reason, an expert declares a conflict, the province draws a substitute who reviews; the
pages show the declaration, the substitutes and the trail."""
from __future__ import annotations

from tests.api import ApiScenario, ok, refused
from tests.pages import Visitor, text


def at_formal_review(api, category="factory") -> tuple[ApiScenario, str]:
    s = ApiScenario(api, category).start().declare().city_review("recommend").seal_city_package()
    task_id = s.open_task("province", "Task_formal_review")
    ok(api.post(f"/api/tasks/{task_id}/claim", "province"))
    return s, task_id


def test_the_province_draws_the_panel_and_submits_it(api):
    s, task_id = at_formal_review(api)
    page = ok(api.get(f"/api/tasks/{task_id}", "province"))
    # factory1 is in Changchun: expert4 (Changchun) and expert5 (parks only) are not offered.
    assert [o["label"].split(" · ")[0] for o in page["options"]["expert_pool"]] == ["评审专家1", "评审专家2", "评审专家3"]
    assert page["options"]["expert_pool"][0]["label"] == "评审专家1 · 延边大学 · 延边朝鲜族自治州 · 在办 0 件"
    assert page["panel"] == {"count": 3, "eligible_count": 3}

    refused(api.post(f"/api/tasks/{task_id}/expert-draw", "changchun"), 404, "task_not_found")
    drawn = ok(api.post(f"/api/tasks/{task_id}/expert-draw", "province"))
    assert sorted(e["name"] for e in drawn["experts"]) == ["评审专家1", "评审专家2", "评审专家3"]

    data = {"materials_complete": True, "decision": "accept", "experts": [e["value"] for e in drawn["experts"]]}
    body = refused(api.post(f"/api/tasks/{task_id}/submit", "province", json={"data": data, "version": page["version"]}),
                   422, "validation_failed", "panel_reason")
    assert body["errors"]["panel_reason"] == ["未随机抽取时，须填写人工选择专家的理由"]
    data["panel_seed"] = drawn["seed"]
    ok(api.post(f"/api/tasks/{task_id}/submit", "province", json={"data": data, "version": page["version"]}))
    s.expert_reviews()
    assert s.detail()["stage"] == "启动公示"
    audit = s.audit()
    drawn_event = next(e for e in audit["events"] if e["action"] == "expert_panel_drawn")
    assert drawn_event["data"]["seed"] == drawn["seed"] and len(drawn_event["data"]["eligible"]) == 3
    # The applicant sees that experts were drawn, not who.
    mine = ok(api.get(f"/api/applications/{s.application_id}/audit", "factory1"))
    hidden = next(e for e in mine["events"] if e["action"] == "expert_panel_drawn")
    assert "seed" not in hidden["data"] and hidden["data"]["redacted"]


def test_a_conflict_over_http_goes_to_the_province_and_a_drawn_substitute_reviews(api):
    # chain1 is in Siping: expert4 (Changchun, factory and C36) is eligible there and not on the panel.
    s, _ = at_formal_review(api, "supply_chain")
    page = ok(api.get(f"/api/tasks/{s.open_task('province', 'Task_formal_review')}", "province"))
    assert len(page["options"]["expert_pool"]) == 4
    s.formal_review()
    task_id = s.open_task("expert2")
    assert ok(api.get(f"/api/tasks/{task_id}", "expert2"))["may_declare_conflict"] is True

    refused(api.post(f"/api/tasks/{task_id}/conflict", "expert3", json={"reason": "有利害关系"}), 404, "task_not_found")
    refused(api.post(f"/api/tasks/{task_id}/conflict", "province", json={"reason": "有利害关系"}), 404, "task_not_found")
    refused(api.post(f"/api/tasks/{task_id}/conflict", "expert2", json={}), 422, "validation_failed", "reason")
    declared = ok(api.post(f"/api/tasks/{task_id}/conflict", "expert2", json={"reason": "本人在该集团兼职顾问"}))
    assert declared["expert"]["name"] == "评审专家2"
    refused(api.get(f"/api/tasks/{task_id}", "expert2"), 404, "task_not_found")
    refused(api.get(f"/api/applications/{s.application_id}", "expert2"), 404, "not_found")

    waiting = ok(api.get(f"/api/tasks/{task_id}", "province"))
    assert waiting["task"]["name"] == "更换回避专家：专家评审"
    assert [c["name"] for c in waiting["substitution"]["candidates"]] == ["评审专家4"]
    for who in ("chain1", "expert4", "siping"):
        assert api.post(f"/api/tasks/{task_id}/substitute", who, json={"method": "draw"}).status_code in (403, 404)
    refused(api.post(f"/api/tasks/{task_id}/substitute", "province", json={"method": "manual"}), 422,
            "validation_failed", "reason")
    done = ok(api.post(f"/api/tasks/{task_id}/substitute", "province", json={"method": "draw"}))
    assert done["substitute"]["name"] == "评审专家4" and done["conflict"]["method"] == "draw"

    for n, score in ((1, 80), (3, 75), (4, 78)):
        s.submit(f"expert{n}", {"score": score, "site_inspection": False, "opinion": "评审意见"})
    assert s.detail()["stage"] == "启动公示"
    actions = [e["action"] for e in s.audit()["events"]]
    assert "expert_conflict_declared" in actions and "expert_substituted" in actions


def test_the_substitution_page_keeps_what_was_typed(app, api):
    s, _ = at_formal_review(api)
    s.formal_review()
    task_id = s.open_task("expert1")
    ok(api.post(f"/api/tasks/{task_id}/conflict", "expert1", json={"reason": "曾参与该单位项目评估"}))

    staff = Visitor(app)
    assert staff.login("province").status_code == 302
    page = staff.get(f"/tasks/{task_id}")
    assert page.status_code == 200 and "曾参与该单位项目评估" in text(page) and "评审专家1" in text(page)
    assert "没有可替补的专家" in text(page)  # factory1's eligible experts are all on the panel
    answer = staff.post(f"/tasks/{task_id}/substitute", {"method": "manual", "reason": "请尽快安排"})
    assert answer.status_code == 422 and "请选择替补专家" in text(answer) and "请尽快安排" in text(answer)
    drawn = staff.post(f"/tasks/{task_id}/substitute", {"method": "draw"})
    assert drawn.status_code == 409 and "没有可替补的评审专家" in text(drawn)

    trail = text(staff.get(f"/applications/{s.application_id}"))
    assert "专家回避声明" in trail and "曾参与该单位项目评估" in trail
