"""Rounds made and changed through the API: every setting, the rules on deadlines, what may change once an
application has started, who may do it, what a start checks, and what next year's round carries over."""
import io
import json
from datetime import datetime, timezone

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from service.audit.models import AuditEvent
from service.platform.extensions import db
from tests.api import ApiScenario, demo_round_id, first_version_id, ok, refused
from tests.conftest import OBJECTION_CHANNEL

SETTINGS = {"name": "2024年度第二批", "year": 2024, "categories": ["park", "factory"], "unit_deadline": "2024-06-01",
            "city_deadline": "2024-06-10", "notice_days": 7, "expert_count": 5, "pass_score": 70, **OBJECTION_CHANNEL}


def system_events(action):
    return [json.loads(e.data) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.chain == "system", AuditEvent.action == action).order_by(AuditEvent.seq))]


def create(api, who="province", **changes):
    return api.post("/api/rounds", who, json={**SETTINGS, "process_version_id": first_version_id(), **changes})


def patch(api, round_id, who="province", **changes):
    return api.call("PATCH", f"/api/rounds/{round_id}", who, json=changes)


def test_province_creates_a_round_with_every_setting(api, clock):
    created = ok(create(api), 201)
    detail = ok(api.get(f"/api/rounds/{created['id']}", "auditor"))
    assert detail["categories"] == ["factory", "park"]  # in the reference order
    assert detail["unit_deadline"].startswith("2024-06-01T16:00") and detail["city_deadline"].startswith("2024-06-10T16:00")
    assert (detail["notice_days"], detail["expert_count"], detail["pass_score"]) == (7, 5, 70)
    assert {k: detail[k] for k in OBJECTION_CHANNEL} == OBJECTION_CHANNEL
    assert detail["process_version_id"] == first_version_id()
    assert detail["editable"] is True and detail["deadline_changes"] == []
    opened = system_events("round_opened")[-1]
    assert opened["round_id"] == created["id"] and opened["after"]["categories"] == ["factory", "park"]


def test_the_version_defaults_to_the_newest_and_the_unit_deadline_to_the_city_one(api, clock):
    body = {k: v for k, v in SETTINGS.items() if k not in ("unit_deadline", "categories")}
    created = ok(api.post("/api/rounds", "admin", json=body), 201)
    assert created["unit_deadline"] == created["city_deadline"]
    assert created["categories"] == ["factory", "park", "supply_chain"]
    assert created["process_version_id"] == ok(api.get("/api/process-versions", "admin"))[0]["id"]


@pytest.mark.parametrize("changes, field, words", [
    ({"city_deadline": "2024-05-05"}, "city_deadline", "市州推荐截止日（2024-05-05）已过"),
    ({"unit_deadline": "2024-05-01"}, "unit_deadline", "单位申报截止日（2024-05-01）已过"),
    ({"unit_deadline": "2024-06-11"}, "unit_deadline", "不能晚于市州推荐截止日"),
    ({"categories": []}, "categories", "开放类别至少选择一个"),
    ({"categories": ["factory", "garden"]}, "categories", "开放类别应为"),
    ({"objection_email": "not an address"}, "objection_email", "异议受理邮箱格式不正确"),
    ({"objection_phone": "请打电话"}, "objection_phone", "异议受理电话"),
    ({"objection_address": "  "}, "objection_address", "异议受理地址为必填项"),
    ({"objection_address": None}, "objection_address", "异议受理地址为必填项"),
    ({"notice_days": 0}, "notice_days", "公示期"),
    ({"pass_score": 101}, "pass_score", "合格分"),
    ({"city_deadline": "9999-12-31"}, "city_deadline", "2000–2100"),
])
def test_bad_settings_are_refused_naming_the_field(api, clock, changes, field, words):
    body = {**SETTINGS, **changes}
    body = {k: v for k, v in body.items() if v is not None}
    response = api.post("/api/rounds", "province", json=body)
    errors = refused(response, 422, "validation_failed", field)["errors"][field]
    assert any(words in reason for reason in errors), errors
    assert ok(api.get("/api/rounds", "province"))[0]["name"] == "2024"  # nothing was created


def test_a_second_round_of_the_same_name_is_refused(api, clock):
    ok(create(api), 201)
    refused(create(api), 409, "duplicate", "name")


def test_every_setting_may_change_before_the_first_application(api, clock):
    round_id = ok(create(api), 201)["id"]
    changes = {"name": "2024年度第二批（修订）", "categories": ["supply_chain"], "unit_deadline": "2024-05-20",
               "city_deadline": "2024-05-31", "notice_days": 10, "expert_count": 7, "pass_score": 75,
               "objection_address": "长春市新地址", "objection_phone": "0431-80000000",
               "objection_email": "new@example.cn"}
    detail = ok(patch(api, round_id, **changes))
    assert detail["categories"] == ["supply_chain"] and detail["unit_deadline"].startswith("2024-05-20T16:00")
    assert (detail["name"], detail["notice_days"], detail["expert_count"], detail["pass_score"]) == \
        ("2024年度第二批（修订）", 10, 7, 75)
    assert detail["objection_email"] == "new@example.cn" and detail["editable"] is True
    assert [c["field"] for c in detail["deadline_changes"]] == ["unit_deadline", "city_deadline"]
    change = system_events("round_changed")[-1]
    assert change["before"]["notice_days"] == 7 and change["after"]["notice_days"] == 10
    assert change["before"]["categories"] == ["factory", "park"] and change["after"]["categories"] == ["supply_chain"]


def test_once_an_application_started_only_later_deadlines_may_change_with_a_reason(api, clock):
    s = ApiScenario(api, "factory").start()
    body = refused(patch(api, s.round_id, notice_days=7, categories=["park"]), 409, "round_started",
                   "notice_days", "categories")
    assert "公示期" in body["message"] and "开放类别" in body["errors"]["categories"][0]
    refused(patch(api, s.round_id, pass_score=1, city_deadline="2024-06-30", reason="延期"), 409, "round_started",
            "pass_score")
    refused(patch(api, s.round_id, city_deadline="2024-06-30"), 422, "validation_failed", "reason")
    detail = ok(patch(api, s.round_id, unit_deadline="2024-06-20", city_deadline="2024-06-30",
                      reason="市州申请延期，厅领导同意"))
    assert detail["editable"] is False and detail["notice_days"] == 5
    assert [(c["field"], c["changed_by"]) for c in detail["deadline_changes"]] == \
        [("unit_deadline", "province"), ("city_deadline", "province")]
    extended = system_events("round_deadline_extended")[-1]
    assert extended["reason"] == "市州申请延期，厅领导同意"
    assert extended["before"]["city_deadline"].startswith("2024-06-10T16:00")
    assert extended["after"]["city_deadline"].startswith("2024-06-30T16:00")
    # The declaration's timer reads the units' deadline (the city review's reads the city's).
    assert extended["applications_moved"] == {"unit_deadline": 1, "city_deadline": 0}
    body = refused(patch(api, s.round_id, city_deadline="2024-06-25", reason="缩短"), 422, "validation_failed",
                   "city_deadline")
    assert "只能延后，不能提前" in body["errors"]["city_deadline"][0]


@pytest.mark.parametrize("who", ["changchun", "factory1", "expert1", "auditor"])
def test_only_province_staff_and_admin_create_or_change_rounds(api, clock, who):
    refused(create(api, who), 403, "forbidden")
    refused(patch(api, demo_round_id(), who, notice_days=7), 403, "forbidden")
    refused(api.post(f"/api/rounds/{demo_round_id()}/next", who, json={"process_version_id": first_version_id()}),
            403, "forbidden")
    assert ok(api.get(f"/api/rounds/{demo_round_id()}", "admin"))["notice_days"] == 5


def test_a_start_in_a_category_not_open_or_after_the_unit_deadline_is_refused(api, clock):
    round_id = ok(create(api, name="只开放园区", categories=["park"], unit_deadline="2024-05-20"), 201)["id"]
    body = refused(api.post("/api/applications", "factory1", json={"round": round_id, "category": "factory"}),
                   422, "validation_failed", "category")
    assert "未开放绿色工厂申报" in body["message"] and "绿色工业园区" in body["errors"]["category"][0]
    clock.set(datetime(2024, 5, 21, 1, 0, tzinfo=timezone.utc))  # 21 May in Changchun: the unit deadline passed
    body = refused(api.post("/api/applications", "park1", json={"round": round_id, "category": "park"}),
                   409, "unit_deadline_passed")
    assert "单位申报截止日 2024-05-20（含）已过" in body["message"]
    ok(patch(api, round_id, unit_deadline="2024-05-31"), 200)  # nobody started: the round may still change
    ok(api.post("/api/applications", "park1", json={"round": round_id, "category": "park"}), 201)


def test_next_years_round_carries_the_new_settings_over(api, clock):
    round_id = ok(create(api), 201)["id"]
    following = ok(api.post(f"/api/rounds/{round_id}/next", "admin", json={"process_version_id": first_version_id()}),
                   201)
    assert following["year"] == 2025 and following["categories"] == ["factory", "park"]
    assert following["unit_deadline"].startswith("2025-06-01T16:00")
    assert following["city_deadline"].startswith("2025-06-10T16:00")
    assert {k: following[k] for k in OBJECTION_CHANNEL} == OBJECTION_CHANNEL
    assert (following["notice_days"], following["expert_count"], following["pass_score"]) == (7, 5, 70)
    moved = ok(api.post(f"/api/rounds/{round_id}/next", "admin", json={
        "process_version_id": first_version_id(), "name": "2025年度第三批", "unit_deadline": "2025-05-01",
        "objection_phone": "0431-81111111"}), 201)
    assert moved["unit_deadline"].startswith("2025-05-01T16:00") and moved["objection_phone"] == "0431-81111111"


def test_the_public_notice_and_its_export_name_the_objection_channel(api, clock):
    round_id = demo_round_id()
    ok(patch(api, round_id, **OBJECTION_CHANNEL))
    page = api.client.get(f"/lists/{round_id}/notice").get_data(as_text=True)
    for value in OBJECTION_CHANNEL.values():
        assert value in page
    assert "公示期为 5 个工作日" in page
    published = api.client.get(f"/lists/{round_id}/published").get_data(as_text=True)
    assert OBJECTION_CHANNEL["objection_phone"] not in published
    response = api.get(f"/api/rounds/{round_id}/lists/notice.xlsx", "province")
    sheet = load_workbook(io.BytesIO(response.data)).active
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert f"受理异议邮箱：{OBJECTION_CHANNEL['objection_email']}" in cells
    assert f"受理异议地址：{OBJECTION_CHANNEL['objection_address']}" in cells
