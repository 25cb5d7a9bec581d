"""Uploads have limits per application and per account, refused before anything is written, and a
download is always offered as .pdf whatever name the file came with."""
import io
import re

import pytest
from sqlalchemy import func, select, update

from service.platform.config import from_environment
from service.platform.extensions import db
from service.applications.attachments import recent_uploads
from service.applications.models import Attachment
from service.platform.transactions import transaction
from tests.api import ApiScenario, ok
from tests.plans import plan, scans

KB = 1024


def pdf(size: int) -> bytes:
    head = b"%PDF-1.7\n"
    return head + b"0" * (size - len(head))


@pytest.fixture
def folder(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "GREENLIST_ATTACHMENTS_DIR", str(tmp_path / "attachments"))
    return tmp_path / "attachments"


@pytest.fixture
def limits(app, monkeypatch):
    """Set some limits low enough to reach in a test; the rest stay at their defaults."""
    def set_limits(**values):
        for name, value in values.items():
            monkeypatch.setitem(app.config, f"GREENLIST_UPLOAD_MAX_{name.upper()}", value)
    return set_limits


@pytest.fixture
def declaring(api, folder):
    return ApiScenario(api).start()


def upload(api, s, content, filename="报告.pdf", who="factory1"):
    return api.post("/api/attachments", who, content_type="multipart/form-data",
                    data={"application_id": str(s.application_id), "kind": "other",
                          "file": (io.BytesIO(content), filename)})


def stored(folder):
    """What the uploads left behind: attachment rows and files on disk."""
    db.session.remove()
    files = sorted(p.name for p in folder.iterdir()) if folder.exists() else []
    return db.session.scalar(select(func.count()).select_from(Attachment)), files


def test_the_file_after_the_last_one_allowed_per_application_is_refused(api, declaring, folder, limits):
    limits(files_per_application=3)
    for n in range(3):
        ok(upload(api, declaring, pdf(KB), f"材料{n}.pdf"), 201)
    before = stored(folder)
    response = upload(api, declaring, pdf(KB), "第四份.pdf")
    assert response.status_code == 422
    assert response.json["code"] == "too_many_attachments" and response.json["message"] == "附件数量已达上限"
    assert response.json["errors"] == {"file": ["每份申报最多上传 3 个附件，这份申报已有 3 个"]}
    assert stored(folder) == before and len(before[1]) == 3
    # The province's uploads count too: the cap is for the application, whoever adds to it.
    assert upload(api, declaring, pdf(KB), "核查记录.pdf", who="province").json["code"] == "too_many_attachments"


def test_an_application_cannot_grow_past_its_total_size(api, declaring, folder, limits):
    limits(mb_per_application=1)
    ok(upload(api, declaring, pdf(600 * KB)), 201)
    before = stored(folder)
    response = upload(api, declaring, pdf(600 * KB), "第二份.pdf")
    assert response.status_code == 413 and response.json["code"] == "attachments_too_large"
    assert response.json["message"] == "每份申报的附件合计不能超过 1 MB：已上传 0.6 MB，本文件 0.6 MB"
    assert stored(folder) == before
    ok(upload(api, declaring, pdf(400 * KB), "刚好放得下.pdf"), 201)  # what still fits is taken


def test_an_account_uploading_too_fast_waits_for_the_hour_to_pass(api, declaring, folder, limits, clock):
    limits(files_per_user_hour=3)
    for n in range(3):
        ok(upload(api, declaring, pdf(KB), f"材料{n}.pdf"), 201)
    before = stored(folder)
    response = upload(api, declaring, pdf(KB))
    assert response.status_code == 429 and response.json["code"] == "upload_rate_limited"
    assert response.json["message"] == "上传过于频繁：每个账号每小时最多上传 3 个文件，请 60 分钟后再试"
    assert response.headers["Retry-After"] == "3600"
    assert stored(folder) == before
    clock.advance(minutes=45)
    assert upload(api, declaring, pdf(KB)).headers["Retry-After"] == str(15 * 60)
    ok(upload(api, declaring, pdf(KB), "材料A.pdf", who="province"), 201)  # another account is not held up
    clock.advance(minutes=15)
    ok(upload(api, declaring, pdf(KB), "一小时后.pdf"), 201)


def test_an_account_cannot_upload_more_than_its_hourly_megabytes(api, declaring, folder, limits, clock):
    limits(mb_per_user_hour=1)
    ok(upload(api, declaring, pdf(700 * KB)), 201)
    clock.advance(minutes=20)
    ok(upload(api, declaring, pdf(200 * KB)), 201)
    before = stored(folder)
    response = upload(api, declaring, pdf(300 * KB))
    assert response.status_code == 429 and response.json["code"] == "upload_rate_limited"
    assert response.json["message"] == "上传过于频繁：每个账号每小时最多上传 1 MB，请 40 分钟后再试"
    assert response.headers["Retry-After"] == str(40 * 60)  # when the 700 KB file leaves the hour
    assert stored(folder) == before


def offered_names(response) -> list[str]:
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    return re.findall(r"filename\*?=([^;]+)", response.headers["Content-Disposition"])


@pytest.mark.parametrize("uploaded, shown", [("evil.html", "evil.html.pdf"), ("自评价报告", "自评价报告.pdf"),
                                             ("扫描件.PDF", "扫描件.pdf"), (".pdf", "附件.pdf")])
def test_the_download_is_always_offered_as_pdf(api, declaring, uploaded, shown):
    body = ok(upload(api, declaring, pdf(KB), uploaded), 201)
    assert body["name"] == shown
    names = offered_names(api.get(f"/api/attachments/{body['id']}", "changchun"))
    assert names and all(name.lower().endswith(".pdf") for name in names), names


def test_an_older_row_named_html_still_downloads_as_pdf(api, declaring):
    body = ok(upload(api, declaring, pdf(KB), "报告.pdf"), 201)
    with transaction():  # stored before names were forced to .pdf
        db.session.execute(update(Attachment).where(Attachment.id == body["id"]).values(original_name="evil.html"))
    assert offered_names(api.get(f"/api/attachments/{body['id']}", "factory1")) == ["evil.html.pdf"]


def test_limits_come_from_the_environment(monkeypatch, tmp_path):
    defaults = from_environment(str(tmp_path))
    assert [defaults[f"GREENLIST_UPLOAD_MAX_{name}"] for name in
            ("FILES_PER_APPLICATION", "MB_PER_APPLICATION", "FILES_PER_USER_HOUR", "MB_PER_USER_HOUR")] == \
        [30, 200, 100, 500]
    monkeypatch.setenv("GREENLIST_UPLOAD_MAX_FILES_PER_APPLICATION", "50")
    assert from_environment(str(tmp_path))["GREENLIST_UPLOAD_MAX_FILES_PER_APPLICATION"] == 50


def test_the_task_page_states_the_limits(app, api, declaring, limits):
    from tests.pages import Visitor

    limits(files_per_application=12)
    applicant = Visitor(app)
    applicant.login("factory1")
    page = applicant.get(f"/tasks/{declaring.open_task('factory1')}").get_data(as_text=True)
    assert "单个不超过 20 MB" in page and "每份申报最多 12 个附件、合计 200 MB" in page
    assert 'data-max-bytes="20971520"' in page


def test_the_hourly_check_reads_the_uploaders_own_recent_files_by_index(app, clock):
    # Every upload asks; tens of millions of attachments must not be read for it.
    found = plan(recent_uploads(1, clock.now()))
    assert "ix_attachment_uploader" in found and not scans(found, "attachment")
