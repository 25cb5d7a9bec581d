"""In the browser: the Changchun reviewer verifies factory1's exclusions with an uploaded credit-query PDF,
finds it a dishonest debtor although it declared "no", is told it cannot recommend, records 不予推荐; the
province sees the mismatch highlighted on the application page, the unit does not."""
from __future__ import annotations

from tests.api import REVIEW, ApiScenario
from tests.browser.formfill import fill_form, verify
from tests.browser.test_declaration_and_review import form, open_first_task, submit

UNIT = "长春示范汽车零部件有限公司"


def test_city_verifies_with_evidence_and_the_province_sees_the_mismatch(browse, api, tmp_path):
    scenario = ApiScenario(api).start().declare()  # every exclusion self-declared "no"

    reviewer = browse()
    page = reviewer.login("changchun")
    open_first_task(page, UNIT)
    assert "园区申报的核查范围包括园区内的企业" in page.inner_text("#form")
    verify(page, form("city_review"), tmp_path, found=("exc_dishonest",),
           verified_exc_dishonest_source="zxgk")
    assert "信用中国查询结果.pdf" in page.inner_text("#attachments")
    fill_form(page, form("city_review"), {**REVIEW, "decision": "recommend",
                                          "recommend_opinion": "同意推荐"})
    reviewer.screenshot("verification-filled")
    page.click("#submit")
    page.wait_for_selector("#banner:not([hidden])")
    banner = page.inner_text("#banner")
    assert "核查存在排除情形" in banner and "失信被执行人" in banner
    assert "/tasks/" in page.url  # still on the form, nothing lost
    reviewer.screenshot("recommend-refused")

    fill_form(page, form("city_review"), {"decision": "reject", "comments": "经中国执行信息公开网查询，该企业为失信被执行人"})
    submit(page)
    assert page.inner_text("#stage") == "核查存在排除情形"

    staff = browse()
    province = staff.login("province")
    province.goto(f"/applications/{scenario.application_id}")
    box = province.locator("#exclusion-mismatches")
    text = box.inner_text()
    assert "被列为失信被执行人" in text and "中国执行信息公开网" in text and "否" in text and "是" in text
    assert box.locator("a", has_text="信用中国查询结果.pdf").count() == 1
    assert province.eval_on_selector("#exclusion-mismatches", "e => getComputedStyle(e).borderTopColor") \
        != "rgb(0, 0, 0)"
    staff.screenshot("province-sees-mismatch")

    unit = browse()
    own = unit.login("factory1")
    own.goto(f"/applications/{scenario.application_id}")
    assert own.locator("#exclusion-mismatches").count() == 0
    assert "信用中国查询结果.pdf" not in own.inner_text("main")
    unit.screenshot("unit-sees-no-verification")
