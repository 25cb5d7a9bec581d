"""In the browser: the unit downloads the notice's template from its declaration page, uploads two files
(the kind it picked stays picked), replaces one, deletes the other, submits, and the trail shows both changes;
the administrator replaces a template in a draft through the draft page."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from service.commands.sample_reports import SAMPLE_REPORT_PDF
from service.versions.samples import sample_declaration
from tests.browser.formfill import fill_form
from tests.browser.test_declaration_and_review import form, start_declaration, submit
from tests.test_notice_files__versions import new_template as new_docx


def write(folder, name, content=SAMPLE_REPORT_PDF):
    path = folder / name
    path.write_bytes(content)
    return str(path)


def test_upload_replace_delete_then_submit(browse, tmp_path):
    unit = browse()
    page = unit.login("factory1")
    start_declaration(page)
    notices = page.locator("#notice-files")
    assert "附件4 绿色工厂第三方评价报告模板" in notices.inner_text()
    assert "附件5" not in notices.inner_text()
    with page.expect_download() as download:
        notices.get_by_role("link", name="附件4 绿色工厂第三方评价报告模板").click()
    assert download.value.suggested_filename == "附件4-绿色工厂第三方评价报告模板.docx"
    assert "第三方评价报告" in page.inner_text("#required-attachments")

    page.select_option("#attachment-kind", "third_party_report")
    page.set_input_files("#attachment-file", write(tmp_path, "评价报告初稿.pdf"))
    page.click("#upload button[type=submit]")
    page.wait_for_selector("#attachments a:has-text('评价报告初稿.pdf')")
    expect(page.locator("#attachment-kind")).to_have_value("third_party_report")  # kept for the next file
    page.select_option("#attachment-kind", "other")
    page.set_input_files("#attachment-file", write(tmp_path, "营业执照.pdf"))
    page.click("#upload button[type=submit]")
    page.wait_for_selector("#attachments a:has-text('营业执照.pdf')")
    expect(page.locator("#attachment-kind")).to_have_value("other")
    unit.screenshot("two-files-uploaded")

    draft = page.locator("#attachments li", has_text="评价报告初稿.pdf")
    draft.locator(".replace-file").set_input_files(write(tmp_path, "评价报告定稿.pdf",
                                                         SAMPLE_REPORT_PDF.replace(b"(demo)", b"(final)")))
    page.wait_for_selector("#attachments a:has-text('评价报告定稿.pdf')")
    expect(page.locator("#upload-status")).to_have_text(re.compile("已用“评价报告定稿.pdf”替换“评价报告初稿.pdf”"))
    assert "第三方评价报告" in page.locator("#attachments li", has_text="评价报告定稿.pdf").inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#attachments li", has_text="营业执照.pdf").get_by_role("button", name="删除").click()
    expect(page.locator("#attachments li", has_text="营业执照.pdf")).to_have_count(0)
    unit.screenshot("replaced-and-deleted")

    page.reload()
    page.wait_for_selector("#form .fjs-form")
    page.click("#removed-attachments summary")
    assert "评价报告初稿.pdf" in page.inner_text("#removed-attachments")  # kept on record
    unit.screenshot("removed-files-on-record")
    fill_form(page, form("declaration_factory"), sample_declaration("factory", unit_name="长春示范汽车零部件有限公司"))
    submit(page)
    timeline = page.inner_text("#timeline")
    assert "替换附件" in timeline and "评价报告初稿.pdf" in timeline and "删除附件" in timeline
    unit.screenshot("trail-after-submit")


def test_the_declaration_page_says_what_is_missing(browse):
    unit = browse()
    page = unit.login("factory1")
    start_declaration(page)
    fill_form(page, form("declaration_factory"), sample_declaration("factory", unit_name="长春示范汽车零部件有限公司"))
    page.click("#submit")
    banner = page.locator("#banner")
    expect(banner).to_contain_text("缺少必备附件：第三方评价报告")
    unit.screenshot("report-missing")


def test_the_administrator_replaces_a_template_in_a_draft(browse, api, tmp_path):
    admin = browse()
    page = admin.login("admin")
    page.goto("/admin/versions")
    page.get_by_role("button", name=re.compile("新建草稿")).first.click()
    page.wait_for_url(re.compile(r"/admin/drafts/\d+"))
    page.click("button[data-tab=notice-files]")
    assert "附件4 绿色工厂第三方评价报告模板" in page.inner_text("#notice-file-table")
    page.select_option("#notice-replaces", "附件4-绿色工厂第三方评价报告模板.docx")
    page.fill("#notice-title", "附件4 绿色工厂评价报告模板（2025年版）")
    page.check("#notice-file-form input[value=factory]")
    page.set_input_files("#notice-file", write(tmp_path, "附件4-2025.docx", new_docx("2025年版模板")))
    page.click("#notice-file-upload")
    page.wait_for_selector(".flash.success")
    page.click("button[data-tab=notice-files]")
    table = page.inner_text("#notice-file-table")
    assert "附件4 绿色工厂评价报告模板（2025年版）" in table and "附件4 绿色工厂第三方评价报告模板" not in table
    admin.screenshot("template-replaced-in-draft")
