"""The administrator adds a role (技术支撑单位) through the API or the roles page, audited on the system chain,
then makes accounts of that kind through the account admin; nobody else may add roles, and a bad role is
refused field by field in Chinese."""
from __future__ import annotations

import json

from service.audit.chain import SYSTEM_CHAIN, trail, verify_chain
from tests.api import ok, refused

TECH = {"key": "tech_support", "name": "技术支撑单位", "scope": "none"}


def role_events():
    return [(e.actor, e.action, json.loads(e.data)) for e in trail(SYSTEM_CHAIN) if e.action == "role_added"]


def test_admin_adds_a_role_and_an_account_in_it(api):
    added = ok(api.post("/api/roles", "admin", json=TECH), 201)
    assert added["built_in"] is False and added["works_tasks"] is True and added["created_by"] == "admin"
    listed = ok(api.get("/api/roles", "admin"))["items"]
    assert [r["key"] for r in listed][:4] == ["applicant", "province_staff", "city_reviewer", "expert"]
    assert listed[-1]["name"] == "技术支撑单位"
    assert {r["key"]: r["scope"] for r in listed}["expert"] == "assignee"
    assert role_events() == [("admin", "role_added", {**TECH, "works_tasks": True})]
    assert verify_chain(SYSTEM_CHAIN).ok

    created = ok(api.post("/api/accounts", "admin", json={"username": "tech1", "display_name": "省节能中心",
                                                          "roles": ["tech_support"]}), 201)
    assert created["account"]["roles"] == ["tech_support"]
    found = ok(api.get("/api/accounts?role=tech_support", "admin"))
    assert [a["username"] for a in found["items"]] == ["tech1"]


def test_a_bad_or_repeated_role_is_refused_by_field(api):
    ok(api.post("/api/roles", "admin", json=TECH), 201)
    again = refused(api.post("/api/roles", "admin", json={**TECH, "key": "tech_support2"}), 422, "validation_failed", "name")
    assert "已是角色“技术支撑单位”" in again["errors"]["name"][0]
    bad = refused(api.post("/api/roles", "admin", json={"key": "Tech!", "name": "", "scope": "everyone"}),
                  422, "validation_failed", "key", "name", "scope")
    assert "小写字母" in bad["errors"]["key"][0] and "city" in bad["errors"]["scope"][0]
    refused(api.post("/api/roles", "admin", json={"key": "expert", "name": "专家二", "scope": "none"}),
            422, "validation_failed", "key")
    refused(api.post("/api/roles", "admin", json={**TECH, "key": "assigned_only", "name": "指定",
                                                  "scope": "assignee"}), 422, "validation_failed", "scope")


def test_only_the_administrator_sees_or_adds_roles(api):
    for who in ("province", "factory1", "auditor"):
        assert api.get("/api/roles", who).status_code == 403
        assert api.post("/api/roles", who, json=TECH).status_code == 403
    assert role_events() == []


def test_the_roles_page_adds_a_role_offered_by_the_account_form(visitor):  # noqa: F811
    admin = visitor("admin")
    page = admin.get("/admin/roles").get_data(as_text=True)
    assert "评审专家" in page and "仅指定办理人" in page
    response = admin.post("/admin/roles", {"name": "技术支撑单位", "key": "", "scope": "city", "works_tasks": "1"})
    assert response.status_code == 422 and "角色代码" in response.get_data(as_text=True)
    assert 'value="技术支撑单位"' in response.get_data(as_text=True)  # the typed values stay
    response = admin.post("/admin/roles", {"name": "技术支撑单位", "key": "tech_support", "scope": "city",
                                           "works_tasks": "1"})
    assert response.status_code == 302
    assert "按市州" in admin.get("/admin/roles").get_data(as_text=True)
    form = admin.get("/admin/accounts/new").get_data(as_text=True)
    assert 'value="tech_support"' in form and "技术支撑单位" in form
    assert admin.get("/admin/roles").status_code == 200
    assert visitor("province").get("/admin/roles").status_code == 403
