"""Bad input gets its status and a clear message, never a 500, and changes nothing."""
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from service.versions.samples import sample_declaration
from service.platform.extensions import db
from service.applications.models import Application, Attachment, TaskDraft, WorkItem
from service.audit.models import AuditEvent
from tests.api import ApiScenario, ok

PDF = b"%PDF-1.7\n%%EOF\n"


@pytest.fixture
def at_declaration(api):
    s = ApiScenario(api).start().attach_reports(sample_declaration("factory"))  # a good submit would go in
    s.task_id = s.open_task("factory1")
    s.version = ok(api.get(f"/api/tasks/{s.task_id}", "factory1"))["version"]
    return s


def world_state():
    db.session.remove()
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    versions = db.session.execute(select(Application.id, Application.version).order_by(Application.id)).all()
    return versions, count(AuditEvent), count(WorkItem), count(TaskDraft), count(Attachment)


def submit(api, s, payload, **kw):
    return api.post(f"/api/tasks/{s.task_id}/submit", "factory1", **kw) if payload is None else \
        api.post(f"/api/tasks/{s.task_id}/submit", "factory1", json=payload)


def test_malformed_json(api, at_declaration):
    before = world_state()
    response = api.post(f"/api/tasks/{at_declaration.task_id}/submit", "factory1", data='{"data": {',
                        content_type="application/json")
    assert response.status_code == 400 and response.json["message"] == "请求体不是有效的 JSON"
    assert world_state() == before


def test_wrong_types_and_unknown_fields(api, at_declaration):
    before = world_state()
    response = submit(api, at_declaration, {"data": "全部", "version": "一", "extra": True})
    assert response.status_code == 422
    assert response.json["errors"] == {"data": ["应为对象"], "version": ["应为整数"], "extra": ["未知字段"]}
    assert world_state() == before


def test_form_errors_name_each_field(api, at_declaration):
    before = world_state()
    data = sample_declaration("factory")
    data.update(founded_on="2010-13-01", profile="很长" * 5000, registered_capital="五千万", hack=1)
    response = submit(api, at_declaration, {"data": data, "version": at_declaration.version})
    assert response.status_code == 422 and response.json["code"] == "validation_failed"
    errors = response.json["errors"]
    assert "founded_on" in errors
    assert errors["profile"] == ["不能超过 2000 个字符"]
    assert errors["registered_capital"] == ["请输入数字"]
    assert errors["hack"] == ["表单中没有这个字段"]
    assert world_state() == before


def test_body_too_large(api, at_declaration):
    before = world_state()
    huge = json.dumps({"data": {"profile": "x" * (26 * 1024 * 1024)}, "version": 1})
    response = api.post(f"/api/tasks/{at_declaration.task_id}/submit", "factory1", data=huge,
                        content_type="application/json")
    assert response.status_code == 413 and response.json["code"] == "payload_too_large"
    assert world_state() == before


def upload(api, s, content, filename, kind="self_evaluation_report"):
    return api.post("/api/attachments", "factory1", content_type="multipart/form-data",
                    data={"application_id": str(s.application_id), "kind": kind,
                          "file": (io.BytesIO(content), filename)})


def test_non_pdf_renamed_pdf_is_refused(api, at_declaration):
    before = world_state()
    response = upload(api, at_declaration, b"MZ\x90\x00 this is an exe", "报告.pdf")
    assert response.status_code == 422
    assert response.json["errors"] == {"file": ["只接受 PDF 文件（文件内容不是 PDF）"]}
    assert world_state() == before


def test_unknown_kind_and_missing_file(api, at_declaration):
    response = upload(api, at_declaration, PDF, "a.pdf", kind="virus")
    assert response.status_code == 422 and "kind" in response.json["errors"]
    response = api.post("/api/attachments", "factory1", content_type="multipart/form-data",
                        data={"application_id": str(at_declaration.application_id), "kind": "other"})
    assert response.status_code == 422 and response.json["errors"] == {"file": ["必填项"]}


def test_path_traversal_filename_is_neutralised(app, api, at_declaration):
    response = upload(api, at_declaration, PDF, "../../../../etc/cron.d/evil.pdf")
    body = ok(response, 201)
    assert body["name"] == "evil.pdf"
    stored = db.session.get(Attachment, body["id"]).stored_name
    folder = Path(app.instance_path) / "attachments"
    assert (folder / stored).read_bytes() == PDF and "/" not in stored and ".." not in stored
    download = api.get(f"/api/attachments/{body['id']}", "factory1")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment")
    listed = ok(api.get(f"/api/applications/{at_declaration.application_id}", "changchun"))["attachments"]
    assert [(a["id"], a["name"]) for a in listed][-1] == (body["id"], "evil.pdf")  # after the fixture's report


def test_unknown_ids_are_404(api, at_declaration):
    for path in ("/api/applications/999999", "/api/rounds/999999", "/api/tasks/not-a-task",
                 "/api/attachments/999999"):
        response = api.get(path, "province")
        assert response.status_code == 404 and response.json["status"] == 404, path


def test_bad_query_parameters(api, at_declaration):
    response = api.get("/api/tasks?page=0&page_size=1000&claimed=maybe&city=999999", "changchun")
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"page", "page_size", "claimed", "city"}


def test_a_form_field_without_a_usable_name_is_named_not_a_500(api, at_declaration):
    """A multipart part whose name cannot be read (a bare line break) is an unknown field like any other."""
    before = world_state()
    boundary = "greenlist-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"\n\"\r\n\r\nnull\r\n--{boundary}--\r\n")
    response = api.post("/api/attachments", "factory1", data=body.encode(),
                        content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 422, response.json
    assert response.json["errors"][""] == ["未知字段"] and response.json["errors"]["kind"] == ["必填项"]
    assert world_state() == before
