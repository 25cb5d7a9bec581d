"""个人信息: a user edits their name, phone, e-mail and whether to receive e-mail; bad input is named per
field in Chinese and changes nothing; the change is audited; task notices respect receive_email while account
mails always go."""
from __future__ import annotations

import json

from sqlalchemy import select

from service.accounts.models import User
from service.accounts.recovery import request_reset
from service.audit.models import AuditEvent
from service.notify.models import Notification
from service.platform.extensions import db
from service.platform.transactions import transaction
from tests.api import ok, refused
from tests.scenario import Scenario
from tests.pages import text


def account(username) -> User:
    db.session.remove()
    return db.session.scalar(select(User).where(User.username == username))


def notices(kind):
    db.session.remove()
    return db.session.scalars(select(Notification).where(Notification.kind == kind).order_by(Notification.id)).all()


def test_bad_input_is_named_per_field_and_changes_nothing(app, api):
    before = ok(api.get("/api/me", "factory1"))
    bad = api.call("PATCH", "/api/me", "factory1", json={"display_name": "  ", "phone": "12345",
                                                         "email": "not-an-address", "receive_email": "maybe"})
    assert refused(bad, 422, "validation_failed", "receive_email")  # the schema's type check comes first
    bad = api.call("PATCH", "/api/me", "factory1", json={"display_name": "  ", "phone": "12345",
                                                         "email": "not-an-address"})
    errors = refused(bad, 422, "validation_failed", "display_name", "phone", "email")["errors"]
    assert errors == {"display_name": ["请填写姓名"],
                      "phone": ["请填写 11 位手机号，或带区号的固定电话（如 0431-88888888）"],
                      "email": ["邮箱格式不正确，如 name@example.com"]}
    too_long = api.call("PATCH", "/api/me", "factory1", json={"display_name": "名" * 101, "phone": "13800138000"})
    assert refused(too_long, 422, "validation_failed", "display_name")["errors"] == {
        "display_name": ["姓名不能超过 100 个字符"]}
    assert ok(api.get("/api/me", "factory1")) == before


def test_editing_the_profile_through_the_api_is_audited_and_a_new_address_is_unverified(app, api, clock):
    with transaction():
        user = db.session.scalar(select(User).where(User.username == "factory1"))
        user.email, user.email_verified_at = "old@factory1.example.cn", clock.now()
    me = ok(api.call("PATCH", "/api/me", "factory1", json={
        "display_name": "张三", "phone": "0431-88886666", "email": " New@Factory1.example.cn", "receive_email": False}))
    assert (me["display_name"], me["phone"], me["email"], me["receive_email"], me["email_verified"]) == (
        "张三", "0431-88886666", "new@factory1.example.cn", False, False)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "profile_changed")).one()
    assert event.actor == "factory1"
    data = json.loads(event.data)
    assert data["before"]["email"] == "old@factory1.example.cn" and data["after"]["email"] == "new@factory1.example.cn"
    assert data["after"]["receive_email"] is False
    [told] = notices("email_changed")
    assert told.recipients == [{"username": "factory1", "email": "old@factory1.example.cn"}]
    assert "new@factory1.example.cn" in told.body
    cleared = ok(api.call("PATCH", "/api/me", "factory1", json={"phone": None}))
    assert cleared["phone"] is None and cleared["display_name"] == "张三"


def test_the_profile_page_keeps_what_was_typed_and_names_each_bad_field(app, visitor):
    person = visitor("changchun")
    page = person.get("/account")
    assert page.status_code == 200 and "个人信息" in text(page) and "接收事务通知邮件" in text(page)
    assert 'href="/account"' in text(person.get("/inbox"))  # the name in the top bar opens it
    bad = person.post("/account", {"display_name": "李四", "phone": "abc", "email": "li@", "receive_email": "on"})
    body = text(bad)
    assert bad.status_code == 422 and 'value="李四"' in body and 'value="abc"' in body and 'value="li@"' in body
    assert "请填写 11 位手机号" in body and "邮箱格式不正确" in body
    assert account("changchun").display_name != "李四"  # nothing saved
    saved = person.post("/account", {"display_name": "李四", "phone": "13912345678", "email": "li@cc.example.cn"})
    assert saved.status_code == 302
    user = account("changchun")
    assert (user.display_name, user.phone, user.email, user.receive_email) == (
        "李四", "13912345678", "li@cc.example.cn", False)  # an unticked box is "no"
    assert "个人信息已保存" in text(person.get("/account"))


def test_receive_email_false_stops_task_notices_but_not_account_mails(users, round_, clock, app):
    with transaction():
        for name in ("applicant", "changchun"):
            db.session.get(User, users[name]).receive_email = False
            db.session.get(User, users[name]).email = f"{name}@example.cn"
    s = Scenario(users, round_, clock).start()
    assert notices("task_assigned")[0].recipients == []
    s.declare()
    assert notices("task_assigned")[-1].recipients == []  # Changchun's only reviewer does not want mail
    with transaction():
        db.session.get(User, users["changchun"]).receive_email = True
    s.city_review("send_back")
    assert [r["username"] for r in notices("sent_back")[0].recipients] == []  # the applicant still opted out
    s.declare()
    review_again = notices("sent_back")[-1]  # the city's step comes round again after a send-back
    assert "市州初审" in review_again.subject and [r["username"] for r in review_again.recipients] == ["changchun"]
    with transaction():
        request_reset("applicant", public_url="https://greenlist.example.cn")
    [reset] = notices("reset_password")
    assert reset.recipients == [{"username": "applicant", "email": "applicant@example.cn"}]
    assert "https://greenlist.example.cn/password/reset/" in reset.body
