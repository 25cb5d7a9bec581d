"""The staff web without a browser: login and its cookie, CSRF, who may open which page, the inbox's
filters and counts, the done list, and the printable audit record."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from service.platform.extensions import db
from service.audit.models import AuditEvent
from tests.api import ApiScenario, ok
from tests.pages import text

PAGES = ["/inbox", "/done", "/my", "/applications", "/applications/1", "/applications/1/audit", "/rounds",
         "/rounds/1", "/tasks/00000000-0000-0000-0000-000000000000"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_send_anonymous_visitors_to_the_login_page(visitor, path):
    response = visitor().get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


def test_login_sets_a_guarded_session_cookie_and_logout_ends_it(app, visitor):
    person = visitor()
    person.get("/login")
    refused = person.post("/login", {"username": "changchun", "password": "wrong"})
    assert refused.status_code == 401 and "用户名或密码错误" in text(refused)
    app.config["SESSION_COOKIE_SECURE"] = True
    try:
        response = person.post("/login", {"username": "changchun", "password": "demo"})
    finally:
        app.config["SESSION_COOKIE_SECURE"] = False
    assert response.status_code == 302 and response.headers["Location"] == "/inbox"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    person = visitor("changchun")
    assert person.get("/inbox").status_code == 200
    assert person.post("/logout").status_code == 302
    assert person.get("/inbox").status_code == 302


def test_forms_without_the_csrf_token_are_refused(visitor):
    person = visitor()
    person.get("/login")
    response = person.post("/login", {"username": "changchun", "password": "demo"}, with_token=False)
    assert response.status_code == 400 and "页面已过期" in text(response)
    person = visitor("province")
    assert person.post("/logout", with_token=False).status_code == 400
    assert person.get("/inbox").status_code == 200  # still logged in


def test_failed_web_logins_are_rate_limited(visitor):
    person = visitor()
    person.get("/login")
    for _ in range(5):
        assert person.post("/login", {"username": "jilin", "password": "nope"}).status_code == 401
    blocked = person.post("/login", {"username": "jilin", "password": "demo"})
    assert blocked.status_code == 429 and "登录失败次数过多" in text(blocked)


def test_the_api_accepts_the_session_cookie_but_writes_need_the_csrf_token(api, visitor):
    scenario = ApiScenario(api).start().declare()
    task_id = scenario.open_task("changchun")
    person = visitor("changchun")
    assert person.client.get("/api/me").json["username"] == "changchun"
    refused = person.client.put(f"/api/tasks/{task_id}/draft", json={"data": {"comments": "草稿"}})
    assert refused.status_code == 400 and refused.json["code"] == "csrf_failed" and "刷新页面" in refused.json["message"]
    saved = person.client.put(f"/api/tasks/{task_id}/draft", json={"data": {"comments": "草稿"}},
                              headers={"X-CSRFToken": person.token})
    assert saved.status_code == 200
    assert ok(api.get(f"/api/tasks/{task_id}", "changchun"))["data"] == {"comments": "草稿"}


def test_who_may_open_which_page(api, visitor):
    changchun_app = ApiScenario(api).start().declare().application_id
    jilin_app = ApiScenario(api, "park").start().declare().application_id
    applicant = visitor("factory1")
    assert applicant.get("/rounds/1").status_code == 403
    assert "无权打开此页面" in text(applicant.get("/rounds"))
    assert applicant.get(f"/applications/{changchun_app}").status_code == 200
    assert applicant.get(f"/applications/{jilin_app}").status_code == 404
    city = visitor("changchun")
    assert city.get(f"/applications/{jilin_app}").status_code == 404
    assert city.get("/rounds/1").status_code == 403
    assert city.post("/my/start", {"round": "1", "category": "factory"}).status_code == 403
    auditor = visitor("auditor")
    round_id = ok(api.get("/api/rounds", "auditor"))[0]["id"]
    for path in (f"/applications/{jilin_app}", f"/rounds/{round_id}", "/applications", "/rounds"):
        assert auditor.get(path).status_code == 200, path
    assert auditor.post("/rounds/1/batch", {"action": "start_notice", "applications": [str(jilin_app)]}) \
        .status_code == 403
    expert = visitor("expert4")
    assert expert.get(f"/applications/{changchun_app}").status_code == 404


def test_the_inbox_filters_counts_claims_and_lists_what_was_done(api, visitor, clock):
    from datetime import datetime, timezone

    ApiScenario(api).start().declare().city_review("recommend").seal_city_package()
    ApiScenario(api, "park").start().declare().city_review("recommend").seal_city_package()
    staff = visitor("province")
    page = text(staff.get("/inbox"))
    assert "长春示范汽车零部件有限公司" in page and page.count("形式审查与遴选专家") >= 3  # two rows and the facet
    assert re.search(r"长春市</a> <span class=\"count\">1</span>", page)
    assert re.search(r"吉林市</a> <span class=\"count\">1</span>", page)
    only_jilin = text(staff.get("/inbox?city=220200"))
    assert only_jilin.count('<tr data-task=') == 1 and "吉林市" in only_jilin

    task_id = re.search(r'<tr data-task="([^"]+)"', only_jilin).group(1)
    assert staff.post(f"/tasks/{task_id}/claim", {"next": "/inbox?claimed=mine"}).status_code == 302
    mine = text(staff.get("/inbox?claimed=mine"))
    assert mine.count("<tr data-task=") == 1 and "省工信厅资源节约与综合利用处" in mine and "释放" in mine

    city = visitor("changchun")
    done = text(city.get("/done"))
    assert "市州初审推荐" in done and "长春示范汽车零部件有限公司" in done and "形式审查与遴选专家" in done

    clock.set(datetime(2024, 6, 8, 1, 0, tzinfo=timezone.utc))  # the city deadline (10 June) is near
    ApiScenario(api, "supply_chain").start().declare()
    assert "即将到期" in text(visitor("siping").get("/inbox"))
    clock.set(datetime(2024, 6, 12, 1, 0, tzinfo=timezone.utc))
    assert "已逾期" in text(visitor("siping").get("/inbox"))


def test_the_printable_audit_record_shows_the_check_and_is_itself_recorded(api, visitor):
    application_id = ApiScenario(api).start().declare().city_review("send_back").application_id
    auditor = visitor("auditor")
    page = text(auditor.get(f"/applications/{application_id}/audit"))
    assert "审计链校验通过" in page
    assert "退回修改" in page and "GB/T 36132-2025" in page  # each step's data: the decision, the declaration
    assert 'id="diagram"' in page
    exported = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report_exported")).all()
    assert [json.loads(e.data)["report"] for e in exported] == ["audit_print"]
    assert exported[0].actor == "auditor"


@pytest.mark.parametrize("target", ["//evil.example/", "/\\evil.example/", "https://evil.example/"])
def test_login_never_sends_the_user_to_another_site(visitor, target):
    person = visitor()
    person.get("/login")
    response = person.post("/login", {"username": "changchun", "password": "demo", "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/inbox"


def test_an_objectors_identity_stays_with_the_province(api, visitor):
    scenario = ApiScenario(api).start().declare().city_review("recommend").formal_review().expert_reviews() \
        .batch("start-notice").objection()
    applicant_page = text(visitor("factory1").get(f"/applications/{scenario.application_id}"))
    assert "该单位去年发生环境污染事故" in applicant_page  # what was objected to
    assert "陈某" not in applicant_page and "13900000000" not in applicant_page
    trail = ok(api.get(f"/api/applications/{scenario.application_id}/audit", "changchun"))["events"]
    objection = next(e for e in trail if e["action"] == "objection_recorded")
    assert "real_name" not in objection["data"] and "contact" not in objection["data"]
    assert "陈某" in text(visitor("province").get(f"/applications/{scenario.application_id}"))


def test_a_mistyped_address_gets_a_page_and_the_api_keeps_json(visitor):
    person = visitor("changchun")
    page = person.get("/inbxo")
    assert page.status_code == 404 and "找不到页面" in text(page) and "<html" in text(page)
    api_miss = person.client.get("/api/nowhere")
    assert api_miss.status_code == 404 and api_miss.json["code"] == "not_found"


def test_a_draft_without_its_diagram_still_opens_in_the_editor(api, visitor):
    first = min(ok(api.get("/api/process-versions", "admin")), key=lambda v: v["number"])
    draft = ok(api.post("/api/process-drafts", "admin", json={"from_version": first["id"]}), 201)
    ok(api.call("DELETE", f"/api/process-drafts/{draft['id']}/files/processes/green_round.bpmn", "admin"))
    admin = visitor("admin")
    page = admin.get(f"/admin/drafts/{draft['id']}")
    assert page.status_code == 200 and '"main": "processes/process.bpmn"' in text(page)
    versions = text(admin.get("/admin/versions"))
    assert "第 1 版</td>" in versions  # rounds and drafts name versions by number, not by row id
    problems = ok(api.post(f"/api/process-drafts/{draft['id']}/validate", "admin"))
    assert problems["valid"] is False
