"""In the browser: the task pages speak only Chinese. form-js's own English (Search, Select, the date
format in letters) is rewritten by the form adapter, the browser's Choose File / No file chosen sits
under a 选择文件 button that still opens the file chooser, and every page has its icon."""
from __future__ import annotations

import re

from tests.api import ApiScenario, demo_round_id
from tests.browser.test_declaration_and_review import PDF, open_first_task, start_declaration
from tests.browser.test_pages_under_csp import looked_up

ENGLISH = re.compile(r"\b(Search|Select|Choose File|No file chosen|No results|mm|dd|yyyy)\b")


def placeholders(page) -> list[str]:
    return page.eval_on_selector_all(
        "input[placeholder], textarea[placeholder]",
        "els => els.filter(e => e.getClientRects().length).map(e => e.getAttribute('placeholder'))")


def assert_no_english(page):
    shown = page.inner_text("main")
    assert not ENGLISH.search(shown), ENGLISH.search(shown)
    assert not [p for p in placeholders(page) if ENGLISH.search(p)], placeholders(page)
    # (form-js's "Powered by bpmn.io" link stays: its licence asks that it remain visible.)
    titles = page.eval_on_selector_all("#form .fjs-taglist-tag-remove", "els => els.map(e => e.title)")
    assert not [t for t in titles if re.search(r"[A-Za-z]", t)], titles


def test_the_declaration_page_has_no_english_and_a_chinese_file_button(browse, tmp_path):
    report = tmp_path / "自评价报告.pdf"
    report.write_bytes(PDF)
    applicant = browse()
    page = applicant.login("factory1")
    start_declaration(page)
    assert_no_english(page)

    ownership = page.locator("#form [id$='-Field_ownership-display']")
    assert ownership.inner_text() == "请选择"
    founded = page.locator("#form [id$='-Field_founded_on-date']")
    assert founded.get_attribute("placeholder") == "年/月/日"
    founded.click()  # flatpickr's calendar, in Chinese too
    calendar = page.locator("#form .flatpickr-calendar.open")
    assert "星期" not in calendar.inner_text() and "一" in calendar.locator(".flatpickr-weekdays").inner_text()
    assert calendar.locator(".flatpickr-monthDropdown-months option").first.inner_text() == "一月"
    assert not ENGLISH.search(calendar.inner_text()) and not re.search(r"[A-Za-z]{3}", calendar.inner_text())
    founded.fill("2010/5/1")
    founded.press("Enter")  # the date a Chinese user types still goes in
    assert founded.input_value() == "2010/5/1"
    founded.press("Escape")

    # Preact still writes into the rewritten text: a picked option shows, a cleared one says 请选择 again.
    ownership.click()
    page.locator(".fjs-dropdownlist-item", has_text="民营").first.click()
    assert ownership.inner_text() == "民营"
    page.locator("#form .fjs-form-field:has([id$='-Field_ownership-display']) .fjs-select-cross").dispatch_event("mousedown")
    page.wait_for_function("() => document.querySelector(\"#form [id$='-Field_ownership-display']\").textContent === '请选择'")

    # The real input is there for keyboard and screen readers, unseen; its label is the button.
    chooser = page.locator("label[for=attachment-file]")
    assert chooser.inner_text() == "选择文件"
    assert page.locator("#attachment-file").bounding_box()["width"] <= 1
    assert page.inner_text("#attachment-file-name") == "未选择文件"
    with page.expect_file_chooser() as chosen:
        chooser.click()
    chosen.value.set_files(str(report))
    assert page.inner_text("#attachment-file-name") == "自评价报告.pdf"
    page.click("#upload button[type=submit]")
    page.wait_for_selector("#attachments a:has-text('自评价报告.pdf')")
    assert page.inner_text("#attachment-file-name") == "未选择文件"  # the form is reset after the upload
    applicant.screenshot("declaration-in-chinese")

    icon = page.get_attribute("link[rel=icon]", "href")
    answer = page.request.get(icon)
    assert answer.status == 200 and answer.headers["content-type"].startswith("image/svg+xml")


def test_the_formal_review_page_has_no_english(browse, api):
    ApiScenario(api, "supply_chain").start().declare().city_review("recommend").seal_city_package()
    staff = browse()
    page = staff.login("province")
    open_first_task(page, "四平示范装备制造集团有限公司")
    assert_no_english(page)
    experts = page.locator("#form [id$='-Field_experts']")
    assert experts.get_attribute("placeholder") == "搜索"
    experts.click()
    experts.fill("没有这个人")
    page.wait_for_selector("#form .fjs-dropdownlist-empty")
    assert page.inner_text("#form .fjs-dropdownlist-empty") == "无匹配项"
    experts.fill("")
    page.locator(".fjs-dropdownlist-item").first.click()
    assert page.locator("#form .fjs-taglist-tag-remove").first.get_attribute("title") == "移除"
    assert_no_english(page)
    staff.screenshot("formal-review-in-chinese")


def test_the_statistics_page_says_percentile_and_spreadsheet_in_chinese(browse, api):
    ApiScenario(api).start().declare().city_review("recommend")
    staff = browse()
    page = staff.login("province")
    page.goto(f"/rounds/{looked_up(demo_round_id)}/statistics")
    page.wait_for_selector("#heatmap[data-rendered=true] .gl-heat-label")
    shown = page.inner_text("main")
    assert "P90" not in shown and "Excel" not in shown
    assert "第90百分位" in page.inner_text("#durations thead")
    assert "第90百分位" in page.inner_text("#heatmap .gl-heat-label >> nth=0")
    assert page.get_by_role("link", name="导出表格（xlsx）").get_attribute("href").endswith("/statistics.xlsx")
    staff.screenshot("statistics-in-chinese")


def test_the_account_import_page_chooses_its_file_with_a_chinese_button(browse, tmp_path):
    sheet = tmp_path / "账号.xlsx"
    sheet.write_bytes(b"PK")  # only chosen here, never sent
    admin = browse()
    page = admin.login("admin")
    page.goto("/admin/accounts/import")
    assert page.inner_text("[data-file-name-of=import-file]") == "未选择文件"
    with page.expect_file_chooser() as chosen:
        page.click("label[for=import-file]")
    chosen.value.set_files(str(sheet))
    assert page.inner_text("[data-file-name-of=import-file]") == "账号.xlsx"
    assert not ENGLISH.search(page.inner_text("main"))
