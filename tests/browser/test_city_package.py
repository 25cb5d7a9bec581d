"""The city package in the browser: changchun ranks its recommendation (a wrong rank is refused in Chinese),
freezes the 推荐汇总表 (the download matches the shown SHA-256), uploads the sealed PDFs and sends; the
province registers receipt and the application reaches the formal review."""
from __future__ import annotations

from tests.api import ApiScenario
from tests.browser.package_steps import freeze_upload_and_send, open_city_package, register_receipt


def test_the_city_ranks_freezes_uploads_and_sends_and_the_province_registers_receipt(browse, api, tmp_path):
    scenario = ApiScenario(api).start().declare().city_review("recommend")
    city_browser = browse()
    city_browser.login("changchun")
    page = open_city_package(city_browser)
    assert "长春示范汽车零部件有限公司" in page.inner_text("#pending")
    assert "市州推荐截止" in page.inner_text("#package-deadline")
    city_browser.screenshot("package-to-rank")

    page.fill(f"input[name=rank-{scenario.application_id}]", "2")
    page.fill("input[name=filler_phone]", "0431-88886666")
    page.check("#freeze-confirm")
    page.evaluate("document.querySelectorAll('#freeze-form input[type=number]').forEach(i => i.removeAttribute('max'))")
    page.click("#freeze")
    page.wait_for_selector(".flash.error:has-text('推荐排序有误')")
    assert "排序应在 1–1 之间" in page.inner_text("main")
    city_browser.screenshot("package-rank-refused")

    page.fill(f"input[name=rank-{scenario.application_id}]", "1")
    page.fill("input[name=filler_phone]", "0431-88886666")
    freeze_upload_and_send(city_browser, tmp_path)
    assert scenario.detail()["stage"] == "等待市州推荐材料"  # sent is not yet received

    staff_browser = browse()
    staff_browser.login("province")
    register_receipt(staff_browser)
    assert scenario.detail()["stage"] == "形式审查与遴选专家"
