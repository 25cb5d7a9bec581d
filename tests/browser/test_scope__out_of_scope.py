"""In the browser: a municipal park whose main function is not manufacturing declares; the application ends at
不符合申报范围 and the park's own pages say why, condition by condition, and mark the path on the diagram."""
from __future__ import annotations

from service.versions.samples import sample_declaration
from tests.browser.formfill import attach_report, fill_form
from tests.browser.test_declaration_and_review import form, start_declaration, submit

LEVEL = "绿色工业园区应为省级及以上的工业园区"
FUNCTION = "绿色工业园区应以产品制造和能源供给为主要功能"


def test_the_applicant_sees_why_it_is_out_of_scope(browse, tmp_path):
    applicant = browse()
    page = applicant.login("park1")
    start_declaration(page, "park")
    declaration = form("declaration_park")
    text = page.inner_text("#form")
    assert "园区的申报资格自查包括园区内企业" in text and "园区内企业近三年存在上述任一情形" in text
    data = {**sample_declaration("park", unit_name="吉林示范经济开发区管理委员会"),
            "park_level": "municipal", "park_main_function": "other"}
    fill_form(page, declaration, data)
    attach_report(page, tmp_path)  # the evaluation report a declaration needs (materials.json)
    applicant.screenshot("park-declaration-filled")
    submit(page)

    assert page.inner_text("#stage") == "不符合申报范围"
    reasons = page.locator("#outcome-reasons li").all_inner_texts()
    assert reasons == [LEVEL, FUNCTION]
    trail = page.inner_text("#timeline")
    assert "申报范围审查" in trail and LEVEL in trail
    page.wait_for_selector(".djs-element[data-element-id=End_out_of_scope]")
    applicant.screenshot("application-out-of-scope")

    page.goto("/my")
    row = page.locator("tr", has_text="不符合申报范围")
    assert row.locator(".outcome-reasons li").all_inner_texts() == [LEVEL, FUNCTION]
    applicant.screenshot("my-applications-with-reasons")
