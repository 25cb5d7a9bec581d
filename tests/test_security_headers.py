"""Every response carries the security headers, and the Content-Security-Policy runs only this site's
scripts: an injected <script>, onclick= or javascript: link would not run. That the pages still work
under the policy is the browser tests' part (tests/browser/conftest.py fails a test on any violation)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.api import demo_round_id, first_version_id
from tests.pages import Visitor

TEMPLATES = sorted((Path(__file__).resolve().parents[1] / "service").glob("*/templates/*.html"))


def policy(response) -> dict[str, list[str]]:
    directives = [part.split() for part in response.headers["Content-Security-Policy"].split(";") if part.strip()]
    return {name: sources for name, *sources in directives}


def assert_guarded(response, style_src=("'self'",)):
    csp = policy(response)
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no other host
    assert csp["style-src"] == list(style_src)
    assert csp["default-src"] == ["'self'"] and csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert "'unsafe-inline'" not in csp.get("script-src-attr", []) + csp.get("script-src-elem", [])
    assert csp["frame-ancestors"] == ["'none'"] and response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.fixture
def staff(app, api):
    person = Visitor(app)
    assert person.login("province").status_code == 302
    return person


def test_the_login_page_and_a_staff_page_carry_the_headers(app, api, staff):
    login_page = Visitor(app).get("/login")
    assert login_page.status_code == 200 and "登录" in login_page.get_data(as_text=True)
    assert_guarded(login_page)
    round_page = staff.get(f"/rounds/{demo_round_id()}")
    assert round_page.status_code == 200 and "2024" in round_page.get_data(as_text=True)
    assert_guarded(round_page)


def test_only_the_draft_editor_lets_its_libraries_write_styles_inline(app, api):
    draft = api.post("/api/process-drafts", who="admin", json={"from_version": first_version_id()})
    assert draft.status_code == 201, draft.json
    admin = Visitor(app)
    assert admin.login("admin").status_code == 302
    editor = admin.get(f"/admin/drafts/{draft.json['id']}")
    assert editor.status_code == 200 and 'id="form-editor"' in editor.get_data(as_text=True)
    assert_guarded(editor, style_src=("'self'", "'unsafe-inline'"))  # scripts as strict as anywhere


def test_api_json_and_api_errors_carry_the_headers(api):
    me = api.get("/api/me", who="changchun")
    assert me.status_code == 200 and me.json["username"] == "changchun"
    assert_guarded(me)
    refused = api.get("/api/me")
    assert refused.status_code == 401 and refused.json["code"] == "unauthorized"
    assert_guarded(refused)
    missing = api.get("/api/applications/999999", who="province")
    assert missing.status_code == 404 and missing.json["status"] == 404
    assert_guarded(missing)


def test_static_files_vendor_files_and_the_not_found_page_carry_the_headers(app, api):
    client = app.test_client()
    for path, kind in [("/static/web/task.js", "javascript"), ("/static/web/app.css", "text/css"),
                       ("/vendor/bpmn-js/dist/assets/bpmn-js.css", "text/css"),
                       ("/static/api/api-docs.js", "javascript")]:
        response = client.get(path)
        assert response.status_code == 200 and kind in response.content_type, path
        assert_guarded(response)
    not_found = client.get("/no-such-page")
    assert not_found.status_code == 404 and "找不到页面" in not_found.get_data(as_text=True)
    assert_guarded(not_found)


def test_the_api_docs_and_the_public_list_run_no_inline_code(app, api):
    client = app.test_client()
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and 'data-spec-url="/api/openapi.json"' in docs.get_data(as_text=True)
    assert_guarded(docs)
    assert_no_inline_code("/api/docs", docs.get_data(as_text=True))
    public = client.get(f"/lists/{demo_round_id()}/notice")
    assert public.status_code == 200 and "<style" not in public.get_data(as_text=True)
    assert_guarded(public)


def assert_no_inline_code(name: str, html: str):
    """What the policy would block: a script without src (data blocks excepted), a handler, a javascript: URL."""
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, f"{name}: inline script {tag}"
    assert not re.search(r"\son[a-z]+\s*=", html), f"{name}: inline event handler"
    assert "javascript:" not in html.lower(), f"{name}: javascript: URL"
    assert not re.search(r"<style\b|\sstyle\s*=", html), f"{name}: inline style"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_no_template_carries_inline_code(template):
    assert_no_inline_code(template.name, template.read_text())


def test_the_public_pages_carry_no_inline_code():
    """The public notice, the published list and the current provincial list are templates like every page."""
    for name in ("public_base", "public_notice", "public_published", "public_register"):
        path = next(p for p in TEMPLATES if p.name == f"{name}.html")
        assert_no_inline_code(name, path.read_text(encoding="utf-8"))
