"""In the browser: experts see only their own score; a city sees only its city; errors land at their
fields and nothing typed is lost, not on a validation error, not on a conflict, not on reload."""
from __future__ import annotations

import json

from playwright.sync_api import expect

from service.versions.samples import sample_declaration
from tests.api import ApiScenario, REVIEW
from tests.browser.formfill import fill_form, verify
from tests.browser.test_declaration_and_review import form, open_first_task, start_declaration, submit


def test_an_expert_scores_and_sees_no_other_experts_score(browse, api):
    scenario = ApiScenario(api).start().declare().city_review("recommend").formal_review(experts=("expert1", "expert2", "expert3"))

    first = browse()
    page = first.login("expert1")
    open_first_task(page, "长春示范汽车零部件有限公司")
    fill_form(page, form("expert_review"), {"score": 91, "site_inspection": False, "opinion": "节能措施扎实，专家一意见"})
    first.screenshot("expert-review")
    submit(page)

    second = browse()
    page = second.login("expert2")
    open_first_task(page, "长春示范汽车零部件有限公司")
    history = page.inner_text(".task-context")
    assert "专家一意见" not in history and "评分（0–100）" not in history
    page.goto(f"/applications/{scenario.application_id}")
    trail = page.inner_text("#timeline")
    assert "专家一意见" not in trail and "评分（0–100）" not in trail
    assert "专家评审内容仅省厅和审计可见" in trail
    second.screenshot("other-expert-cannot-see")

    province = browse()
    page = province.login("province")
    page.goto(f"/applications/{scenario.application_id}")
    trail = page.inner_text("#timeline")
    assert "专家一意见" in trail and "评分（0–100）：91" in trail  # province staff see every score


def test_a_city_reviewer_cannot_open_another_citys_application(browse, api):
    scenario = ApiScenario(api, "park").start().declare()  # a Jilin park
    outsider = browse()
    page = outsider.login("changchun")
    response = page.goto(f"/applications/{scenario.application_id}")
    assert response.status == 404
    assert "吉林示范经济开发区" not in page.inner_text("main") and "不存在" in page.inner_text("main")
    outsider.screenshot("other-city-refused")
    page.goto("/inbox")
    assert "吉林示范经济开发区" not in page.inner_text("main")

    insider = browse()
    page = insider.login("jilin")
    assert page.goto(f"/applications/{scenario.application_id}").status == 200


def test_a_validation_error_shows_at_its_field_and_the_input_survives(browse):
    applicant = browse()
    page = applicant.login("factory1")
    start_declaration(page)
    declaration = sample_declaration("factory")
    declaration["contact_name"] = "李四\u0085"  # a C1 control character: only the server's text rule sees it
    fill_form(page, form("declaration_factory"), declaration)
    page.click("#submit")
    error = page.locator(".fjs-form-field:has([id$='-Field_contact_name']) .fjs-form-field-error")
    error.wait_for()
    assert "控制字符" in error.inner_text()  # the server's rule, shown at the field
    assert "请修改" in page.inner_text("#banner")
    assert page.locator("#form [id$='-Field_contact_name']").input_value() == "李四\u0085"
    # The unit's own name and code are shown read-only, from its registration.
    assert page.locator("#form [id$='-Field_unit_name']").input_value() == "长春示范汽车零部件有限公司"
    applicant.screenshot("validation-error")

    # Corrected, the form is saved as a draft again and survives a reload.
    box = page.locator("#form [id$='-Field_contact_name']")
    box.fill("李四")
    box.blur()
    expect(page.locator("#draft-status")).to_contain_text("草稿已自动保存")
    page.reload()
    page.wait_for_selector("#form .fjs-form")
    assert page.locator("#form [id$='-Field_contact_name']").input_value() == "李四"
    assert page.locator("#form [id$='-Field_highlights']").input_value() == declaration["highlights"]


def test_a_conflict_keeps_what_the_reviewer_typed(browse, api, tmp_path):
    scenario = ApiScenario(api).start().declare()
    reviewer = browse()
    page = reviewer.login("changchun")
    open_first_task(page, "长春示范汽车零部件有限公司")
    verify(page, form("city_review"), tmp_path)
    fill_form(page, form("city_review"), {**REVIEW, "decision": "recommend",
                                          "recommend_opinion": "同意推荐"})

    # Meanwhile a colleague on the same account finishes the task from another browser.
    scenario.city_review("recommend")

    page.click("#submit")
    page.wait_for_selector("#banner:not([hidden])")
    assert "已由 长春市工信局 办理" in page.inner_text("#banner")
    assert page.locator("#form [id$='-Field_consult_ecology']").input_value() == REVIEW["consult_ecology"]
    assert "/tasks/" in page.url  # still on the form
    reviewer.screenshot("conflict")
    stored = json.loads(page.evaluate("Object.entries(localStorage).find(([k]) => k.includes('changchun'))[1]"))
    assert stored["data"]["decision"] == "recommend" and stored["synced"] is False
