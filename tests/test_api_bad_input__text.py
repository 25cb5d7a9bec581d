"""Hostile text: lone surrogates (JSON's "\\ud800") and control characters in submits, task drafts, process
drafts and every other text the API takes, and odd multipart field names. Each is refused with a 422
naming the field (or the ordinary 4xx), nothing is written, and the pages the text would have reached
still open for everyone."""
import io

import pytest

from service.versions.samples import sample_declaration
from tests.api import ok, refused
from tests.test_api_bad_input import at_declaration, world_state  # noqa: F401  (a fixture)
from tests.pages import Visitor

PDF = b"%PDF-1.7\n%%EOF\n"
# One of each kind refused in single-line text: NUL, ESC, a line break, DEL, a C1 control, a lone surrogate.
UNCLEAN = ["合\x00作", "\x1b[31m红字", "第一行\n第二行", "删\x7f除", "下\x85一行", "长春\ud800"]



def submit(api, s, **changes):
    data = {**sample_declaration("factory"), **changes}
    return api.post(f"/api/tasks/{s.task_id}/submit", "factory1", json={"data": data, "version": s.version})


def task_page_opens(app, api, s, who="factory1"):
    page = ok(api.get(f"/api/tasks/{s.task_id}", who))
    person = Visitor(app)
    person.login(who)
    assert person.get(f"/tasks/{s.task_id}").status_code == 200
    return page


# -- task submits and task drafts --------------------------------------------------------------------

@pytest.mark.parametrize("text", UNCLEAN)
def test_a_submit_with_unclean_single_line_text_is_refused_naming_the_field(api, at_declaration, text):
    before = world_state()
    body = refused(submit(api, at_declaration, contact_name=text), 422, "validation_failed", "contact_name")
    assert set(body["errors"]) == {"contact_name"}
    assert world_state() == before


@pytest.mark.parametrize("text", ["简介\x00", "简介\ud800", "简介\r孤立的回车", "简介\x0b"])
def test_a_textarea_refuses_controls_other_than_line_breaks_and_tabs(api, at_declaration, text):
    before = world_state()
    refused(submit(api, at_declaration, main_products=text), 422, "validation_failed", "main_products")
    assert world_state() == before


def test_a_textarea_keeps_its_line_breaks_and_tabs(api, at_declaration):
    products = "汽车零部件\n\t发动机缸体\r\n\t变速箱壳体"
    ok(submit(api, at_declaration, main_products=products))
    declared = ok(api.get(f"/api/applications/{at_declaration.application_id}/audit", "province"))["events"]
    assert any(e["data"].get("form", {}).get("main_products") == products for e in declared)


@pytest.mark.parametrize("value", ["长春\ud800", "合\x00作", ["第一项\ud800"], {"nested": "对象"}, float("inf")])
def test_a_task_draft_that_would_break_the_task_page_is_refused_and_the_page_still_opens(app, api, at_declaration, value):
    ok(api.put(f"/api/tasks/{at_declaration.task_id}/draft", "factory1", json={"data": {"contact_name": "张三"}}))
    before = world_state()
    response = api.put(f"/api/tasks/{at_declaration.task_id}/draft", "factory1", json={"data": {"contact_name": value}})
    refused(response, 422, "validation_failed", "contact_name")
    assert world_state() == before
    page = task_page_opens(app, api, at_declaration)
    assert page["data_source"] == "draft" and page["data"]["contact_name"] == "张三"


def test_a_textarea_draft_keeps_line_breaks(api, at_declaration):
    ok(api.put(f"/api/tasks/{at_declaration.task_id}/draft", "factory1", json={"data": {"main_products": "一\n\t二"}}))
    assert ok(api.get(f"/api/tasks/{at_declaration.task_id}", "factory1"))["data"]["main_products"] == "一\n\t二"


def test_a_task_id_with_a_control_character_names_no_task(api, at_declaration):
    for method in ("GET", "PUT"):
        path = "/api/tasks/%00" if method == "GET" else "/api/tasks/a%00b/draft"
        refused(api.call(method, path, "factory1", json={"data": {}}), 404, "task_not_found")


# -- every other text the API takes ----------------------------------------------------------------

@pytest.mark.parametrize("text", UNCLEAN)
def test_other_texts_refuse_controls_and_lone_surrogates(api, at_declaration, text):
    before = world_state()
    objection = {"real_name": text, "contact": "13900000000", "content": "该单位去年发生环境污染事故",
                 "evidence": "处罚决定书"}
    refused(api.post(f"/api/applications/{at_declaration.application_id}/objections", "province", json=objection),
            422, "validation_failed", "real_name")
    refused(api.post("/api/rounds", "admin", json={"name": text, "year": 2025, "city_deadline": "2025-06-10"}),
            422, "validation_failed", "name")
    refused(api.post("/api/auth/login", json={"username": text, "password": "demo"}),
            422, "validation_failed", "username")
    if "\ud800" not in text:  # a URL cannot carry a lone surrogate: its UTF-8 bytes decode as U+FFFD
        refused(api.get("/api/applications", "province", query_string={"stage": text}),
                422, "validation_failed", "stage")
    assert world_state() == before


def test_multi_line_texts_take_line_breaks_but_not_other_controls(api, at_declaration):
    objection = {"real_name": "陈某", "contact": "13900000000", "content": "第一条：\r\n\t环境污染事故",
                 "evidence": "处罚决定书"}
    url = f"/api/applications/{at_declaration.application_id}/objections"
    # Past validation: refused only because the application is not under public notice.
    refused(api.post(url, "province", json=objection), 409, "not_in_notice")
    refused(api.post(url, "province", json={**objection, "evidence": "处罚\x00决定书"}),
            422, "validation_failed", "evidence")


# -- process drafts: the files an administrator saves ------------------------------------------------

@pytest.fixture
def process_draft(api):
    version = ok(api.get("/api/process-versions", "admin"))[0]["id"]
    return ok(api.post("/api/process-drafts", "admin", json={"from_version": version}), 201)


def form_nested(depth: int) -> str:
    return '{"components": [' + '{"type": "group", "components": [' * depth + ']}' * depth + ']}'


@pytest.mark.parametrize("content, reason", [
    ('{"components": [{"type": "textfield", "key": "a", "label": "甲\ud800"}]}', "U+D800"),
    ('{"components": [{"type": "textfield", "key": "a", "label": "甲\\ud800"}]}', "U+D800"),
    ('{"components": [{"type": "textfield", "key": "a", "label": "甲\\u0000"}]}', "U+0000"),
    (form_nested(5000), "嵌套"),
    (form_nested(20), "嵌套"),
])
def test_a_form_file_that_cannot_be_kept_is_refused_and_the_draft_is_unchanged(api, process_draft, content, reason):
    url = f"/api/process-drafts/{process_draft['id']}"
    before = ok(api.get(url, "admin"))
    body = refused(api.put(f"{url}/files/forms/x.form.json", "admin", json={"content": content}),
                   422, "validation_failed", "content")
    assert reason in body["errors"]["content"][0]
    after = ok(api.get(url, "admin"))
    assert after["revision"] == before["revision"] and after["files"] == before["files"]


def test_a_form_with_groups_nested_past_the_limit_is_named_by_validation(api, process_draft):
    url = f"/api/process-drafts/{process_draft['id']}"
    content = form_nested(10).replace('"type": "group"', '"type": "group", "id": "Group_deep"', 1)
    ok(api.put(f"{url}/files/forms/x.form.json", "admin", json={"content": content}))
    problems = ok(api.post(f"{url}/validate", "admin"))["problems"]
    assert any(p["file"] == "forms/x.form.json" and "嵌套超过 8 层" in p["message"] for p in problems)


# -- odd multipart field names on /api/attachments ---------------------------------------------------

def multipart(*parts: tuple[bytes, bytes]) -> bytes:
    """A multipart body written by hand, as a hostile client would: (Content-Disposition params, content)."""
    body = b"".join(b"--B\r\nContent-Disposition: form-data; " + params + b"\r\n\r\n" + content + b"\r\n"
                    for params, content in parts)
    return body + b"--B--\r\n"


@pytest.mark.parametrize("file_params", [
    b'name="\xff\xfe"; filename="a.pdf"',  # not UTF-8
    b'name="file\x00"; filename="a.pdf"',
    b'name="file[]"; filename="a.pdf"',
    b'name=""; filename="a.pdf"',
    b'name="' + b"f" * 5000 + b'"; filename="a.pdf"',
    b'filename="a.pdf"',  # no name at all
])
def test_odd_multipart_field_names_are_refused_in_the_error_shape(api, at_declaration, file_params):
    before = world_state()
    body = multipart((b'name="application_id"', str(at_declaration.application_id).encode()),
                     (b'name="kind"', b"other"), (file_params, PDF))
    response = api.post("/api/attachments", "factory1", data=body, content_type="multipart/form-data; boundary=B")
    # A part whose header is not UTF-8 makes the whole body unreadable: then every field is missing.
    assert refused(response, 422, "validation_failed")["errors"].keys() & {"file", "application_id"}
    assert world_state() == before


def test_odd_bytes_in_the_form_fields_and_file_name_of_an_upload(api, at_declaration):
    before = world_state()
    body = multipart((b'name="application_id"', str(at_declaration.application_id).encode()),
                     (b'name="kind"', b"other\x00"), (b'name="file"; filename="\xff\x00.pdf"', PDF))
    response = api.post("/api/attachments", "factory1", data=body, content_type="multipart/form-data; boundary=B")
    refused(response, 422, "validation_failed", "kind")
    assert world_state() == before
    stored = ok(api.post("/api/attachments", "factory1", content_type="multipart/form-data", data={
        "application_id": str(at_declaration.application_id), "kind": "other", "file": (io.BytesIO(PDF), "报\x07告.pdf")}),
        201)
    assert stored["name"] == "报告.pdf"
