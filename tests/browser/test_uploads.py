"""In the browser: the task page says what it accepts, refuses a file over 20 MB before sending it, and
shows the server's reason when an application is full."""
from __future__ import annotations

from tests.browser.test_declaration_and_review import PDF, start_declaration


def test_the_applicant_reads_why_an_upload_was_refused(app, browse, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "GREENLIST_ATTACHMENTS_DIR", str(tmp_path / "attachments"))
    monkeypatch.setitem(app.config, "GREENLIST_UPLOAD_MAX_FILES_PER_APPLICATION", 1)
    huge = tmp_path / "扫描件.pdf"
    huge.write_bytes(PDF + b"0" * (21 * 1024 * 1024))
    report = tmp_path / "自评价报告.pdf"
    report.write_bytes(PDF)
    applicant = browse()
    page = applicant.login("factory1")
    start_declaration(page)
    assert "每份申报最多 1 个附件、合计 200 MB" in page.inner_text("#upload")
    sent = []
    page.on("request", lambda request: sent.append(request.url) if "/api/attachments" in request.url else None)

    page.set_input_files("#upload input[type=file]", str(huge))
    page.click("#upload button[type=submit]")
    assert page.inner_text("#upload-status") == "上传失败：文件不能超过 20 MB"
    assert sent == []  # refused in the page: 21 MB never left the browser

    page.set_input_files("#upload input[type=file]", str(report))
    page.click("#upload button[type=submit]")
    page.wait_for_selector("#attachments a:has-text('自评价报告.pdf')")
    page.set_input_files("#upload input[type=file]", str(report))
    page.click("#upload button[type=submit]")
    page.wait_for_selector("#upload-status:has-text('附件数量已达上限')")
    assert page.inner_text("#upload-status") == \
        "上传失败：附件数量已达上限（每份申报最多上传 1 个附件，这份申报已有 1 个）"
    assert page.locator("#attachments li").count() == 1
    applicant.screenshot("upload-refused")
