"""Enterprise self-registration over the API: register, verify the e-mail by the mailed link, the city
confirms or refuses, the unit declares; duplicates, wrong check digits and other cities are refused."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from service.accounts.models import User
from service.audit.models import AuditEvent
from service.platform.extensions import db
from service.platform.transactions import transaction
from tests.api import demo_round_id, ok, refused
from tests.registration import (credit_code, link_token, mails, registered, registration_form,
                                with_wrong_organisation_digit)


@pytest.fixture
def city_mailboxes(api):
    """The demo city reviewers of Changchun and Jilin with an e-mail address (the city's notices go there)."""
    with transaction():
        for username in ("changchun", "jilin"):
            db.session.execute(update(User).where(User.username == username)
                               .values(email=f"{username}@gxt.jl.example.cn"))


def register(api, **changes) -> dict:
    return ok(api.post("/api/registrations", json=registration_form(**changes)), 201)


def verify(api, serial=1) -> dict:
    mail = [m for m in mails("verify_email") if m.recipients[0]["email"] == f"wang{serial}@lvyuan.example.cn"][-1]
    return ok(api.post("/api/registrations/verify", json={"token": link_token(mail, "/register/verify/")}))


def registered_and_verified(api, serial=1, **changes) -> dict:
    register(api, serial=serial, **changes)
    return verify(api, serial)


def declare(api, who):
    return api.post("/api/applications", who, json={"round": demo_round_id(), "category": "factory"})


def system_actions() -> list[str]:
    return db.session.scalars(select(AuditEvent.action).where(AuditEvent.chain == "system")
                              .order_by(AuditEvent.seq)).all()


def test_a_registered_unit_verifies_its_email_is_confirmed_by_its_city_and_declares(api, city_mailboxes):
    body = register(api)
    assert body["status"] == "pending_email" and body["outside_jilin"] is False
    refused(api.client.post("/api/auth/login", json={"username": "lvyuan1", "password": "Lvyuan-Green-2024"}),
            401, "unauthorized")  # not before the address is verified

    (mail,) = mails("verify_email")
    assert mail.recipients == [{"username": "lvyuan1", "email": "wang1@lvyuan.example.cn"}]
    assert "http://127.0.0.1:5000/register/verify/" in mail.body
    assert verify(api)["status"] == "pending_city"
    (notice,) = mails("registration_waiting")
    assert notice.recipients == [{"username": "changchun", "email": "changchun@gxt.jl.example.cn"}]
    assert "长春绿源新材料有限公司1" in notice.subject

    api.login("lvyuan1", "Lvyuan-Green-2024")  # may log in now, to see where its registration stands
    assert ok(api.get("/api/my-organisation", "lvyuan1"))["organisation"]["status_name"] == "待市州确认"
    assert refused(declare(api, "lvyuan1"), 403, "organisation_not_confirmed")["message"].startswith(
        "本单位注册正等待所在市州工信部门确认")

    queue = ok(api.get("/api/registrations?status=pending_city", "changchun"))
    assert [item["credit_code"] for item in queue["items"]] == [credit_code(1)] and queue["total"] == 1
    confirmed = ok(api.post(f"/api/registrations/{body['id']}/confirm", "changchun"))
    assert confirmed["status"] == "confirmed" and confirmed["decided_by"] == "changchun"
    assert confirmed["decided_by_name"] == "长春市工信局"  # the API names people as the pages do
    (decided,) = mails("registration_decided")
    assert decided.recipients == [{"username": "lvyuan1", "email": "wang1@lvyuan.example.cn"}]
    assert "已确认" in decided.subject

    application = ok(declare(api, "lvyuan1"), 201)
    assert application["unit_name"] == "长春绿源新材料有限公司1" and application["city_code"] == "220100"
    actions = system_actions()
    assert {"organisation_created", "account_registered", "registration_email_verified",
            "registration_confirmed"} <= set(actions)


def test_the_verification_link_works_once(api):
    register(api)
    token = link_token(mails("verify_email")[0], "/register/verify/")
    ok(api.post("/api/registrations/verify", json={"token": token}))
    again = refused(api.post("/api/registrations/verify", json={"token": token}), 410, "link_invalid")
    assert "已使用过" in again["message"]
    refused(api.post("/api/registrations/verify", json={"token": "not-a-token"}), 410, "link_invalid")


def test_a_refused_registration_cannot_declare_and_may_be_corrected_and_submitted_again(api, city_mailboxes):
    body = registered_and_verified(api)
    refused(api.post(f"/api/registrations/{body['id']}/refuse", "changchun", json={"reason": ""}),
            422, "validation_failed", "reason")
    answer = ok(api.post(f"/api/registrations/{body['id']}/refuse", "changchun",
                         json={"reason": "单位名称与营业执照不一致"}))
    assert answer["status"] == "refused" and answer["status_reason"] == "单位名称与营业执照不一致"
    assert "单位名称与营业执照不一致" in mails("registration_decided")[0].body

    api.login("lvyuan1", "Lvyuan-Green-2024")
    assert "未通过所在市州工信部门确认" in refused(declare(api, "lvyuan1"), 403, "organisation_not_confirmed")["message"]
    mine = ok(api.get("/api/my-organisation", "lvyuan1"))["organisation"]
    assert mine["status"] == "refused" and mine["status_reason"] == "单位名称与营业执照不一致"
    refused(api.post(f"/api/registrations/{body['id']}/confirm", "changchun"), 409, "registration_not_pending")

    again = ok(api.post("/api/my-organisation/resubmit", "lvyuan1", json={"name": "长春绿源新材料股份有限公司"}))
    assert again["status"] == "pending_city" and again["name"] == "长春绿源新材料股份有限公司"
    assert len(mails("registration_waiting")) == 2
    history = ok(api.get("/api/my-organisation", "lvyuan1"))["name_history"]
    assert history[0]["old_name"] == "长春绿源新材料有限公司1" and history[0]["changed_by"] == "lvyuan1"
    ok(api.post(f"/api/registrations/{body['id']}/confirm", "changchun"))
    assert ok(declare(api, "lvyuan1"), 201)["unit_name"] == "长春绿源新材料股份有限公司"


def test_a_second_registration_of_the_same_credit_code_is_refused_and_the_unit_is_told(api):
    registered_and_verified(api)
    second = refused(api.post("/api/registrations", json=registration_form(
        username="intruder", contact_email="someone@else.example.cn", name="冒名公司")), 409, "duplicate_credit_code",
        "credit_code")
    assert "已注册" in second["errors"]["credit_code"][0]
    (notice,) = mails("duplicate_registration")
    assert notice.recipients == [{"username": "lvyuan1", "email": "wang1@lvyuan.example.cn"}]
    assert "冒名公司" in notice.body and "someone@else.example.cn" in notice.body
    assert db.session.scalar(select(User).where(User.username == "intruder")) is None
    assert "registration_duplicate_refused" in system_actions()


def test_a_wrong_gb_11714_digit_is_refused_and_nothing_is_written(api):
    wrong = with_wrong_organisation_digit(credit_code(1))
    body = refused(api.post("/api/registrations", json=registration_form(credit_code=wrong)), 422,
                   "validation_failed", "credit_code")
    assert "组织机构代码" in body["errors"]["credit_code"][0]
    assert registered(code=wrong) is None and registered() is None and mails("verify_email") == []


def test_every_bad_field_is_named_in_chinese(api):
    form = registration_form(name="", kind="factory", city_code="110000", contact_phone="12",
                             contact_email="not-an-address", username="x", password="short")
    del form["county"]
    errors = refused(api.post("/api/registrations", json=form), 422, "validation_failed")["errors"]
    assert errors == {"name": ["请填写单位名称"], "kind": ["单位类型应为企业或园区管理机构"],
                      "city_code": ["所在市州不在吉林省的 11 个推荐单位之列"], "county": ["请填写所在县（市、区）"],
                      "contact_phone": [errors["contact_phone"][0]], "contact_email": ["联系邮箱格式不正确"],
                      "username": ["用户名应为 3–64 位字母、数字或 _ . -，以字母或数字开头"], "password": ["密码至少 10 个字符"]}
    assert "手机号" in errors["contact_phone"][0]
    weak = refused(api.post("/api/registrations", json=registration_form(password="lvyuan1-Green-2024")), 422,
                   "validation_failed", "password")
    assert weak["errors"]["password"] == ["密码不能包含用户名"]
    taken = refused(api.post("/api/registrations", json=registration_form(username="factory1")), 409,
                    "username_taken", "username")
    assert taken["errors"]["username"] == ["该用户名已被使用"]


def test_a_code_registered_outside_jilin_is_flagged_to_the_city(api, city_mailboxes):
    registered_and_verified(api, credit_code=credit_code(7, area="110105"))
    item = ok(api.get("/api/registrations", "changchun"))["items"][0]
    assert item["outside_jilin"] is True
    assert "不在吉林省" in mails("registration_waiting")[0].body


def test_a_city_confirms_only_its_own_citys_registrations(api):
    body = registered_and_verified(api)
    assert ok(api.get("/api/registrations", "jilin"))["total"] == 0
    refused(api.get("/api/registrations?city_code=220100", "jilin"), 403, "other_city")
    refused(api.post(f"/api/registrations/{body['id']}/confirm", "jilin"), 403, "other_city")
    refused(api.post(f"/api/registrations/{body['id']}/refuse", "jilin", json={"reason": "不是本市"}), 403, "other_city")
    refused(api.post(f"/api/registrations/{body['id']}/confirm", "factory1"), 403, "forbidden")
    refused(api.get("/api/registrations", "expert1"), 403, "forbidden")
    assert ok(api.get("/api/registrations?city_code=220100", "province"))["total"] == 1
    assert ok(api.post(f"/api/registrations/{body['id']}/confirm", "province"))["decided_by"] == "province"


def test_an_applicant_sees_only_its_own_organisation(api, city_mailboxes):
    first = registered_and_verified(api, serial=1)
    second = registered_and_verified(api, serial=2)
    api.login("lvyuan1", "Lvyuan-Green-2024")
    assert ok(api.get(f"/api/organisations/{first['id']}", "lvyuan1"))["organisation"]["credit_code"] == credit_code(1)
    refused(api.get(f"/api/organisations/{second['id']}", "lvyuan1"), 403, "forbidden")
    refused(api.get(f"/api/registrations/{second['id']}", "lvyuan1"), 403, "forbidden")
    refused(api.get("/api/registrations", "lvyuan1"), 403, "forbidden")
    refused(api.get(f"/api/organisations/{first['id']}", "jilin"), 403, "forbidden")
    assert ok(api.get(f"/api/organisations/{first['id']}", "changchun"))["organisation"]["id"] == first["id"]


def test_an_invitation_makes_a_working_colleague_account(api, city_mailboxes):
    body = registered_and_verified(api)
    api.login("lvyuan1", "Lvyuan-Green-2024")
    refused(api.post("/api/my-organisation/invitations", "lvyuan1", json={"email": "li@lvyuan.example.cn"}),
            403, "organisation_not_confirmed")  # not before the city confirmed the unit
    ok(api.post(f"/api/registrations/{body['id']}/confirm", "changchun"))
    ok(api.post("/api/my-organisation/invitations", "lvyuan1", json={"email": "li@lvyuan.example.cn"}), 201)
    spare = ok(api.post("/api/my-organisation/invitations", "lvyuan1", json={"email": "zhao@lvyuan.example.cn"}), 201)
    refused(api.post("/api/my-organisation/invitations", "lvyuan1", json={"email": "bad"}), 422,
            "validation_failed", "email")
    page = ok(api.get("/api/my-organisation", "lvyuan1"))
    assert sorted(i["email"] for i in page["invitations"]) == ["li@lvyuan.example.cn", "zhao@lvyuan.example.cn"]
    assert api.call("DELETE", f"/api/my-organisation/invitations/{spare['id']}", "lvyuan1").status_code == 204
    refused(api.call("DELETE", f"/api/my-organisation/invitations/{spare['id']}", "lvyuan1"), 404, "not_found")
    refused(api.call("DELETE", f"/api/my-organisation/invitations/{spare['id']}", "factory1"), 404, "not_found")

    invitation = next(m for m in mails("invite") if m.recipients[0]["email"] == "li@lvyuan.example.cn")
    token = link_token(invitation, "/join/")
    revoked = next(m for m in mails("invite") if m.recipients[0]["email"] == "zhao@lvyuan.example.cn")
    refused(api.post("/api/invitations/accept", json={"token": link_token(revoked, "/join/"), "username": "zhao1",
                                                      "display_name": "赵", "password": "Zhao-Colleague-2024"}),
            410, "link_invalid")
    weak = refused(api.post("/api/invitations/accept", json={"token": token, "username": "li1", "display_name": "",
                                                            "password": "short"}), 422, "validation_failed")
    assert set(weak["errors"]) == {"display_name", "password"}
    user = ok(api.post("/api/invitations/accept", json={"token": token, "username": "li1", "display_name": "李同事",
                                                        "password": "Li-Colleague-2024"}), 201)
    assert user["unit_name"] == "长春绿源新材料有限公司1" and user["roles"] == ["applicant"]
    refused(api.post("/api/invitations/accept", json={"token": token, "username": "li2", "display_name": "李",
                                                      "password": "Li-Colleague-2024"}), 410, "link_invalid")

    api.login("li1", "Li-Colleague-2024")
    colleagues = ok(api.get("/api/my-organisation", "li1"))["colleagues"]
    assert [c["username"] for c in colleagues] == ["lvyuan1", "li1"]
    assert ok(declare(api, "li1"), 201)["unit_name"] == "长春绿源新材料有限公司1"
    assert {"invitation_sent", "invitation_revoked", "invitation_accepted"} <= set(system_actions())


def test_the_city_renames_a_unit_with_a_reason_and_the_history_keeps_it(api, city_mailboxes):
    body = registered_and_verified(api)
    ok(api.post(f"/api/registrations/{body['id']}/confirm", "changchun"))
    api.login("lvyuan1", "Lvyuan-Green-2024")
    refused(api.post(f"/api/organisations/{body['id']}/rename", "lvyuan1",
                     json={"name": "自改名称", "reason": "想改"}), 403, "forbidden")
    refused(api.post(f"/api/organisations/{body['id']}/rename", "changchun", json={"name": "吉林绿源", "reason": ""}),
            422, "validation_failed", "reason")
    refused(api.post(f"/api/organisations/{body['id']}/rename", "jilin",
                     json={"name": "吉林绿源", "reason": "营业执照变更"}), 403, "other_city")
    renamed = ok(api.post(f"/api/organisations/{body['id']}/rename", "changchun",
                          json={"name": "长春绿源科技有限公司", "reason": "营业执照变更"}))
    assert renamed["name"] == "长春绿源科技有限公司"
    page = ok(api.get("/api/my-organisation", "lvyuan1"))
    assert page["name_history"][0]["reason"] == "营业执照变更" and page["name_history"][0]["changed_by"] == "changchun"
    assert "长春绿源科技有限公司" in mails("organisation_renamed")[0].body


def test_registrations_from_one_address_are_limited(api):
    for serial in range(1, 11):
        register(api, serial=serial)
    too_many = refused(api.post("/api/registrations", json=registration_form(serial=11)), 429, "rate_limited")
    assert "过多" in too_many["message"]


def test_a_unit_that_lost_its_verification_mail_gets_a_fresh_link_by_registering_again(api):
    register(api)
    refused(api.post("/api/registrations", json=registration_form(username="lvyuan1b",
                                                                  contact_email="new@else.example.cn")),
            409, "duplicate_credit_code", "credit_code")
    first, second = mails("verify_email")
    assert first.recipients == second.recipients == [{"username": "lvyuan1", "email": "wang1@lvyuan.example.cn"}]
    old, new = link_token(first, "/register/verify/"), link_token(second, "/register/verify/")
    refused(api.post("/api/registrations/verify", json={"token": old}), 410, "link_invalid")  # the newest works
    assert ok(api.post("/api/registrations/verify", json={"token": new}))["status"] == "pending_city"
