"""Until the declaration is submitted the unit may delete or replace its attachments; each change is on the
application's audit chain with the file's name and hash, the old file stays on record, and once the
declaration is in, delete and replace are refused (409) until the city sends it back."""
import hashlib
import io

import pytest

from service.commands.sample_reports import SAMPLE_REPORT_PDF
from tests.api import ApiScenario, ok, refused

DRAFT_REPORT = SAMPLE_REPORT_PDF.replace(b"(demo)", b"(draft)")


@pytest.fixture
def folder(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "GREENLIST_ATTACHMENTS_DIR", str(tmp_path / "attachments"))
    return tmp_path / "attachments"


def upload(api, s, content, name, kind="third_party_report", who=None):
    return api.post("/api/attachments", who or s.applicant, data={
        "application_id": str(s.application_id), "kind": kind, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data")


def replace(api, attachment_id, content, name, who):
    return api.post(f"/api/attachments/{attachment_id}/replace", who, data={"file": (io.BytesIO(content), name)},
                    content_type="multipart/form-data")


def attachment_events(api, s):
    return [e for e in ok(api.get(f"/api/applications/{s.application_id}/audit", "auditor"))["events"]
            if e["action"].startswith("attachment_")]


def test_replace_and_delete_before_submit_stay_in_the_trail(api, folder):
    s = ApiScenario(api).start()
    first = ok(upload(api, s, DRAFT_REPORT, "评价报告初稿.pdf"), 201)
    other = ok(upload(api, s, SAMPLE_REPORT_PDF, "营业执照.pdf", kind="other"), 201)
    new = ok(replace(api, first["id"], SAMPLE_REPORT_PDF, "评价报告定稿.pdf", s.applicant), 201)
    assert new["kind"] == "third_party_report" and new["name"] == "评价报告定稿.pdf"
    removed = ok(api.call("DELETE", f"/api/attachments/{other['id']}", s.applicant))
    assert removed["removed_at"] is not None

    detail = s.detail(s.applicant)
    assert [a["name"] for a in detail["attachments"]] == ["评价报告定稿.pdf"]
    assert {a["name"]: a["replaced_by_id"] for a in detail["removed_attachments"]} == {
        "评价报告初稿.pdf": new["id"], "营业执照.pdf": None}
    events = attachment_events(api, s)
    assert [e["action"] for e in events] == ["attachment_replaced", "attachment_removed"]
    replaced = events[0]
    assert replaced["actor"] == s.applicant and replaced["data"]["name"] == "评价报告定稿.pdf"
    assert replaced["data"]["replaced"]["name"] == "评价报告初稿.pdf"
    assert replaced["data"]["replaced"]["sha256"] == hashlib.sha256(DRAFT_REPORT).hexdigest()
    assert events[1]["data"]["sha256"] == hashlib.sha256(SAMPLE_REPORT_PDF).hexdigest()
    # The old file is still there for those who may see the application.
    assert api.get(f"/api/attachments/{first['id']}", "changchun").data == DRAFT_REPORT
    refused(replace(api, first["id"], SAMPLE_REPORT_PDF, "again.pdf", s.applicant), 409, "attachment_removed")


def test_after_submit_delete_and_replace_are_refused_until_sent_back(api, folder):
    s = ApiScenario(api).start().declare()
    report = s.detail(s.applicant)["attachments"][0]
    body = refused(api.call("DELETE", f"/api/attachments/{report['id']}", s.applicant), 409, "declaration_submitted")
    assert "已提交" in body["message"]
    refused(replace(api, report["id"], DRAFT_REPORT, "新.pdf", s.applicant), 409, "declaration_submitted")
    assert [a["id"] for a in s.detail(s.applicant)["attachments"]] == [report["id"]]  # nothing changed
    assert attachment_events(api, s) == []
    s.city_review("send_back")  # back at the declaration: the unit may change its files again
    ok(replace(api, report["id"], DRAFT_REPORT, "补充后的报告.pdf", s.applicant), 201)


def test_only_the_unit_changes_its_own_files(api, folder):
    s = ApiScenario(api).start()
    report = ok(upload(api, s, SAMPLE_REPORT_PDF, "报告.pdf"), 201)
    refused(api.call("DELETE", f"/api/attachments/{report['id']}", "changchun"), 403, "forbidden")
    refused(api.call("DELETE", f"/api/attachments/{report['id']}", "province"), 403, "forbidden")
    refused(api.call("DELETE", f"/api/attachments/{report['id']}", "jilin"), 404, "not_found")  # outside its city
    staff_file = ok(upload(api, s, SAMPLE_REPORT_PDF, "核查记录.pdf", kind="inspection_record", who="province"), 201)
    refused(api.call("DELETE", f"/api/attachments/{staff_file['id']}", s.applicant), 403, "forbidden")
    refused(replace(api, report["id"], b"<html>not a pdf</html>", "报告.pdf", s.applicant), 422,
            "validation_failed", "file")
    assert len(s.detail(s.applicant)["attachments"]) == 2
