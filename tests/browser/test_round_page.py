"""In the browser: province staff start the public notice for two applications from the round page,
and record a real-name objection against one of them."""
from __future__ import annotations

from tests.api import ApiScenario


def reviewed(api, category):
    return ApiScenario(api, category).start().declare().city_review("recommend").formal_review().expert_reviews()


def test_the_round_page_starts_a_notice_for_two_applications(browse, api):
    factory, park = reviewed(api, "factory"), reviewed(api, "park")
    early = ApiScenario(api, "supply_chain").start().declare()  # still with the city: not ready

    staff = browse()
    page = staff.login("province")
    page.goto("/rounds")
    page.get_by_role("link", name="2024").click()
    matrix = page.inner_text("#stage-matrix")
    assert "启动公示" in matrix and "市州初审推荐" in matrix
    ready = page.locator("#ready-for-notice tbody tr")
    assert ready.count() == 2
    assert str(early.application_id) not in page.inner_text("#ready-for-notice")
    staff.screenshot("round-before-notice")

    page.check("#ready-for-notice .select-all")
    page.click("#ready-for-notice button[type=submit]")
    dialog = page.locator("dialog#confirm")
    dialog.wait_for()
    assert "启动公示：2 个申报" in dialog.inner_text()
    assert "公示期 5 个工作日" in dialog.inner_text() and "长春示范汽车零部件有限公司" in dialog.inner_text()
    staff.screenshot("confirm-notice")
    page.click("#confirm-ok")
    page.wait_for_selector(".flash.success")
    assert "已启动公示：2 个申报" in page.inner_text(".flash.success")
    assert page.locator("#under-notice tbody tr").count() == 2
    assert "没有等待启动公示的申报" in page.inner_text("#ready-for-notice")
    staff.screenshot("round-under-notice")
    for scenario in (factory, park):
        assert scenario.detail()["stage"] == "公示期"

    page.locator("#under-notice tr", has_text=str(factory.application_id)).get_by_role("link", name="登记异议").click()
    page.fill("textarea[name=content]", "该单位去年发生环境污染事故")
    page.fill("input[name=real_name]", "陈某")
    page.fill("input[name=contact]", "12345")
    page.click("main form button[type=submit]")
    assert "请填写固定电话或11位手机号" in page.inner_text("label:has(input[name=contact])")
    assert "请说明或列出证明材料" in page.inner_text("label:has(textarea[name=evidence])")
    assert page.input_value("textarea[name=content]") == "该单位去年发生环境污染事故"
    staff.screenshot("objection-errors")
    page.fill("input[name=contact]", "13900000000")
    page.fill("textarea[name=evidence]", "行政处罚决定书复印件")
    page.click("main form button[type=submit]")
    page.wait_for_selector(".flash.success")
    assert "异议处理" in page.inner_text("#stage")
    assert "陈某" in page.inner_text("#timeline")
