"""In the browser: the Changchun reviewer chooses 不予推荐; before anything is sent the page asks, naming the
consequence (the application ends at 市州不予推荐 and the unit cannot change it). Cancelling keeps every
answer on the form; confirming submits and the application ends there. Recommending does not ask."""
from __future__ import annotations

from tests.api import REVIEW, ApiScenario
from tests.browser.formfill import fill_form, verify
from tests.browser.test_declaration_and_review import form, open_first_task

UNIT = "长春示范汽车零部件有限公司"


def test_rejecting_asks_naming_the_end_and_cancel_keeps_the_input(browse, api, tmp_path):
    scenario = ApiScenario(api).start().declare()
    reviewer = browse()
    page = reviewer.login("changchun")
    open_first_task(page, UNIT)
    verify(page, form("city_review"), tmp_path)
    comment = "申报材料与实际生产情况不符，不予推荐"
    fill_form(page, form("city_review"), {**REVIEW, "decision": "reject", "comments": comment})

    page.click("#submit")
    dialog = page.locator("#decision-confirm")
    dialog.wait_for(state="visible")
    text = dialog.inner_text()
    assert "确认不予推荐？" in text and "市州不予推荐" in text and "单位不能再修改" in text
    assert page.locator("#decision-confirm-ok").inner_text() == "确认提交"
    reviewer.screenshot("reject-asks-for-confirmation")

    page.click("#decision-confirm-cancel")
    dialog.wait_for(state="hidden")
    assert "/tasks/" in page.url  # nothing sent
    assert page.locator("#form textarea[id$='-Field_comments']").input_value() == comment
    assert page.locator("#form [id$='-Field_decision-2']").first.is_checked()  # 不予推荐 still chosen
    reviewer.screenshot("cancel-keeps-input")
    assert api.get(f"/api/applications/{scenario.application_id}", "changchun").json["stage"] == "市州初审推荐"

    page.click("#submit")
    dialog.wait_for(state="visible")
    page.click("#decision-confirm-ok")
    page.wait_for_url("**/applications/*?submitted=1")
    assert page.inner_text("#stage") == "市州不予推荐"
    reviewer.screenshot("rejected-after-confirmation")


def test_send_back_names_the_return_and_recommend_does_not_ask(browse, api, tmp_path):
    ApiScenario(api).start().declare()
    reviewer = browse()
    page = reviewer.login("changchun")
    open_first_task(page, UNIT)
    verify(page, form("city_review"), tmp_path)
    fill_form(page, form("city_review"), {**REVIEW, "decision": "send_back", "comments": "请补充盖章页"})
    page.click("#submit")
    page.locator("#decision-confirm").wait_for(state="visible")
    assert "确认退回修改？" in page.inner_text("#decision-confirm")
    reviewer.screenshot("send-back-asks")
    page.click("#decision-confirm-cancel")

    fill_form(page, form("city_review"), {"decision": "recommend", "recommend_opinion": "同意推荐"})
    page.click("#submit")
    page.wait_for_url("**/applications/*?submitted=1")  # no dialog on the way
    assert page.inner_text("#stage") == "等待市州推荐材料"
