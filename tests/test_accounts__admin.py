"""The administrator manages staff, city reviewer, expert and auditor accounts through the API: every change
is checked field by field in Chinese, goes on the system audit chain with before and after, and a
deactivation ends the account's tokens and web sessions at once. Nobody else may manage accounts."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from service.accounts import links
from service.accounts.models import User
from service.audit.chain import SYSTEM_CHAIN, trail, verify_chain
from service.notify.models import Notification
from service.platform.extensions import db
from tests.api import ok, refused

EXPERT = {"username": "wang.expert", "display_name": "王专家", "roles": ["expert"], "city_code": "220200",
          "employer": "吉林化工学院", "specialties": ["factory", "supply_chain"], "industry_codes": ["C3670", "c2614"],
          "phone": "13904310000"}


def patch(api, path, who, **kw):
    return api.call("PATCH", path, who, **kw)


def account_events(username):
    return [(e.actor, e.action, json.loads(e.data)) for e in trail(SYSTEM_CHAIN)
            if json.loads(e.data).get("username") == username]


def test_admin_creates_edits_deactivates_and_reactivates_an_expert_on_the_audit_chain(api):
    created = ok(api.post("/api/accounts", "admin", json=EXPERT), 201)
    account = created["account"]
    assert account["industry_codes"] == ["C3670", "C2614"] and account["city_name"] == "吉林市"
    assert created["link_sent"] is False and len(created["temporary_password"]) >= 10
    assert account["must_change_password"] is True

    changed = ok(patch(api, f"/api/accounts/{account['id']}", "admin",
                       json={"employer": "吉林大学", "specialties": ["park"], "email": "wang@example.cn"}))
    assert changed["employer"] == "吉林大学" and changed["specialties"] == ["park"]
    assert ok(api.post(f"/api/accounts/{account['id']}/deactivate", "admin"))["active"] is False
    assert ok(api.post(f"/api/accounts/{account['id']}/reactivate", "admin"))["active"] is True

    events = account_events("wang.expert")
    assert [(actor, action) for actor, action, _ in events] == [
        ("admin", "account_created"), ("admin", "account_updated"), ("admin", "account_deactivated"),
        ("admin", "account_reactivated")]
    created_data, updated, deactivated = events[0][2], events[1][2], events[2][2]
    assert created_data["before"] == {} and created_data["after"]["employer"] == "吉林化工学院"
    assert updated["before"] == {"employer": "吉林化工学院", "specialties": ["factory", "supply_chain"], "email": None}
    assert updated["after"] == {"employer": "吉林大学", "specialties": ["park"], "email": "wang@example.cn"}
    assert deactivated["before"] == {"active": True} and deactivated["after"] == {"active": False}
    written = json.dumps([e[2] for e in events])
    assert "password_hash" not in written and created["temporary_password"] not in written
    assert verify_chain(SYSTEM_CHAIN).ok


def test_a_new_account_with_an_email_is_mailed_a_single_use_set_password_link(api):
    created = ok(api.post("/api/accounts", "admin", json={
        "username": "li.changchun", "display_name": "李科长", "roles": ["city_reviewer"], "city_code": "220100",
        "email": "li@changchun.example.cn"}), 201)
    assert created["link_sent"] is True and created["temporary_password"] is None
    mail = db.session.scalar(select(Notification).where(Notification.kind == "set_password"))
    assert mail.recipients == [{"username": "li.changchun", "email": "li@changchun.example.cn"}]
    token = re.search(r"/password/set/(\S+)", mail.body).group(1)
    assert "http://127.0.0.1:5000/password/set/" in mail.body
    assert links.peek(token, "set_password").user_id == created["account"]["id"]
    user = db.session.get(User, created["account"]["id"])
    assert not user.check_password("") and user.must_change_password is False


def test_every_bad_field_is_named_in_chinese(api):
    body = refused(api.post("/api/accounts", "admin", json={
        "username": "x", "display_name": "", "roles": ["city_reviewer", "boss"], "city_code": "110100",
        "email": "not-an-email", "phone": "12345", "specialties": ["steel"], "industry_codes": ["36-70"]}),
        422, "validation_failed", "username", "display_name", "roles", "city_code", "email", "phone", "specialties",
        "industry_codes")
    assert "吉林省的市州代码" in body["errors"]["city_code"][0] and "邮箱格式" in body["errors"]["email"][0]
    assert "C3670" in body["errors"]["industry_codes"][0] and "boss" in body["errors"]["roles"][0]
    no_city = refused(api.post("/api/accounts", "admin", json={"username": "nocity", "display_name": "某人",
                                                                "roles": ["city_reviewer"]}), 422, "validation_failed",
                      "city_code")
    assert no_city["errors"]["city_code"] == ["市州工信局账号必须选择所在市州"]
    taken = refused(api.post("/api/accounts", "admin", json={"username": "changchun", "display_name": "重名",
                                                              "roles": ["province_staff"]}), 422, "validation_failed",
                    "username")
    assert "已被使用" in taken["errors"]["username"][0]
    refused(api.post("/api/accounts", "admin", json={"username": "unit9", "display_name": "单位",
                                                      "roles": ["applicant"]}), 422, "validation_failed", "roles")
    assert db.session.scalar(select(User).where(User.username.in_(["x", "nocity", "unit9"]))) is None


def test_several_people_of_one_city_office_each_have_their_own_login(api):
    for name in ("zhao", "qian", "sun"):
        reviewer = {"username": f"{name}.cc", "display_name": name, "roles": ["city_reviewer"], "city_code": "220100"}
        created = ok(api.post("/api/accounts", "admin", json=reviewer), 201)
        api.login(f"{name}.cc", created["temporary_password"])
        assert ok(api.get("/api/me", f"{name}.cc"))["city_code"] == "220100"
    listed = ok(api.get("/api/accounts?role=city_reviewer&city=220100&page_size=10", "admin"))
    assert {a["username"] for a in listed["items"]} == {"changchun", "zhao.cc", "qian.cc", "sun.cc"}


def test_deactivation_ends_an_existing_token_and_web_session(api, visitor):
    browser = visitor("changchun")
    assert browser.get("/inbox").status_code == 200
    assert ok(api.get("/api/me", "changchun"))["username"] == "changchun"
    account_id = db.session.scalar(select(User.id).where(User.username == "changchun"))
    ok(api.post(f"/api/accounts/{account_id}/deactivate", "admin"))
    assert api.client.get("/api/me", headers=api.headers("changchun")).status_code == 401
    page = browser.get("/inbox")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    refused(api.post(f"/api/accounts/{account_id}/deactivate", "admin"), 409, "already_inactive")
    ok(api.post(f"/api/accounts/{account_id}/reactivate", "admin"))
    api.login("changchun")  # the account works again with its own password


def test_the_administrator_cannot_lock_itself_out(api):
    admin_id = db.session.scalar(select(User.id).where(User.username == "admin"))
    refused(api.post(f"/api/accounts/{admin_id}/deactivate", "admin"), 409, "own_account")
    refused(patch(api, f"/api/accounts/{admin_id}", "admin", json={"roles": ["auditor"]}), 422,
            "validation_failed", "roles")
    assert ok(api.get("/api/me", "admin"))["roles"] == ["admin"]


def test_list_searches_filters_and_pages(api):
    page = ok(api.get("/api/accounts?page_size=5&page=2", "admin"))
    assert page["total"] == 22 and len(page["items"]) == 5 and page["page"] == 2
    assert [a["username"] for a in ok(api.get("/api/accounts?q=meihe", "admin"))["items"]] == ["meihekou"]
    assert ok(api.get("/api/accounts?q=%E5%AE%A1%E8%AE%A1", "admin"))["items"][0]["username"] == "auditor"
    experts = ok(api.get("/api/accounts?role=expert&active=true", "admin"))
    assert experts["total"] == 5
    refused(api.get("/api/accounts?city=999999", "admin"), 422, "validation_failed", "city")


@pytest.mark.parametrize("who", ["province", "changchun", "factory1", "expert1", "auditor"])
def test_only_the_administrator_manages_accounts(api, who):
    target = db.session.scalar(select(User.id).where(User.username == "expert2"))
    calls = [("GET", "/api/accounts", None), ("POST", "/api/accounts", EXPERT),
             ("GET", f"/api/accounts/{target}", None), ("PATCH", f"/api/accounts/{target}", {"employer": "某单位"}),
             ("POST", f"/api/accounts/{target}/deactivate", None), ("POST", f"/api/accounts/{target}/reactivate", None),
             ("GET", "/api/accounts/template", None), ("GET", "/api/accounts/export", None),
             ("POST", "/api/accounts/import", None), ("POST", f"/api/accounts/{target}/reissue-password", None)]
    for method, path, body in calls:
        refused(api.call(method, path, who, json=body) if body else api.call(method, path, who), 403, "forbidden")
    assert db.session.scalar(select(User).where(User.username == "wang.expert")) is None
    assert db.session.get(User, target).active


def test_reissuing_access_mails_a_new_link_or_gives_a_new_temporary_password(api):
    with_mail = ok(api.post("/api/accounts", "admin", json={**EXPERT, "email": "wang@example.cn"}), 201)["account"]
    first = db.session.scalar(select(Notification.body).where(Notification.kind == "set_password"))
    again = ok(api.post(f"/api/accounts/{with_mail['id']}/reissue-password", "admin"))
    assert again["link_sent"] is True and again["temporary_password"] is None
    bodies = db.session.scalars(select(Notification.body).where(Notification.kind == "set_password")
                                .order_by(Notification.id)).all()
    old_token, new_token = (re.search(r"/password/set/(\S+)", body).group(1) for body in bodies)
    assert bodies[0] == first and old_token != new_token
    with pytest.raises(links.LinkInvalid):
        links.peek(old_token, "set_password")  # only the newest mail works
    assert links.peek(new_token, "set_password").user_id == with_mail["id"]

    expert1 = db.session.scalar(select(User.id).where(User.username == "expert1"))
    ok(api.get("/api/me", "expert1"))
    given = ok(api.post(f"/api/accounts/{expert1}/reissue-password", "admin"))
    assert given["account"]["must_change_password"] is True and len(given["temporary_password"]) >= 10
    assert api.client.get("/api/me", headers=api.headers("expert1")).status_code == 401  # the old login ended
    api.login("expert1", given["temporary_password"])
    admin_id = db.session.scalar(select(User.id).where(User.username == "admin"))
    refused(api.post(f"/api/accounts/{admin_id}/reissue-password", "admin"), 409, "own_account")
    assert [json.loads(e.data)["by"] for e in trail(SYSTEM_CHAIN) if e.action == "account_access_reissued"] == [
        "set_password_link", "temporary_password"]
