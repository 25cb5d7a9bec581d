"""One's own password: the policy names the field, a change needs the current password and ends every
other login (this browser stays logged in), and a temporary password must be changed before anything else."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from service.accounts import links
from service.accounts.models import User
from service.audit.models import AuditEvent
from service.platform.extensions import db
from service.platform.transactions import transaction
from tests.api import ok, refused
from tests.pages import text
from tests.test_web_sessions import bearer, sent_to_login

NEW_PASSWORD = "Songhua-River-2024"


def account(username) -> User:
    db.session.remove()
    return db.session.scalar(select(User).where(User.username == username))


def set_fields(username, **values):
    with transaction():
        user = db.session.scalar(select(User).where(User.username == username))
        for name, value in values.items():
            setattr(user, name, value)
    db.session.remove()


@pytest.mark.parametrize("password, reason", [
    ("Short-1", "密码至少 10 个字符"),
    ("password123", "密码过于常见，容易被猜中，请换一个"),
    ("1qaz2wsx3edc", "密码过于常见，容易被猜中，请换一个"),
    ("my-factory1-secret", "密码不能包含用户名"),
    ("x91220101MA0000000Xy", "密码不能包含统一社会信用代码"),
])
def test_the_policy_refuses_a_weak_password_naming_the_field(app, api, password, reason):
    set_fields("factory1", unit_code="91220101MA0000000X")
    change = api.post("/api/me/password", "factory1", json={"current_password": "demo", "new_password": password})
    assert refused(change, 422, "validation_failed", "new_password")["errors"]["new_password"] == [reason]
    with transaction():
        token = links.issue("reset_password", user_id=account("factory1").id)
    reset = api.post("/api/password/reset", json={"token": token, "password": password})
    assert refused(reset, 422, "validation_failed", "password")["errors"]["password"] == [reason]


def test_the_change_page_names_the_weak_field_and_the_wrong_current_password(app, visitor):
    person = visitor("changchun")
    assert "修改密码" in text(person.get("/account/password"))
    weak = person.post("/account/password", {"current_password": "demo", "new_password": "changchun-2024",
                                              "new_password2": "changchun-2024"})
    assert weak.status_code == 422 and "密码不能包含用户名" in text(weak)
    wrong = person.post("/account/password", {"current_password": "not-it", "new_password": NEW_PASSWORD,
                                               "new_password2": NEW_PASSWORD})
    assert wrong.status_code == 422 and "当前密码不正确" in text(wrong)
    assert person.get("/inbox").status_code == 200  # refusals change nothing
    assert account("changchun").check_password("demo")


def test_changing_ones_password_on_the_page_ends_the_other_logins_and_keeps_this_one(app, api, visitor):
    here, elsewhere = visitor("changchun"), visitor("changchun")
    token = api.login("changchun")
    changed = here.post("/account/password", {"current_password": "demo", "new_password": NEW_PASSWORD,
                                              "new_password2": NEW_PASSWORD})
    assert changed.status_code == 302
    assert here.get("/inbox").status_code == 200
    assert sent_to_login(elsewhere.get("/inbox"))
    assert api.client.get("/api/me", headers=bearer(token)).status_code == 401
    assert visitor().login("changchun", "demo").status_code == 401
    assert visitor().login("changchun", NEW_PASSWORD).status_code == 302
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "password_changed")).one()
    assert event.actor == "changchun" and json.loads(event.data) == {"user": "changchun", "forced": False}


def test_changing_ones_password_through_the_api_returns_the_only_token_that_still_works(app, api, visitor):
    browser, old = visitor("jilin"), api.login("jilin")
    wrong = api.post("/api/me/password", "jilin", json={"current_password": "nope", "new_password": NEW_PASSWORD})
    refused(wrong, 422, "validation_failed", "current_password")
    body = ok(api.post("/api/me/password", "jilin", json={"current_password": "demo", "new_password": NEW_PASSWORD}))
    assert api.client.get("/api/me", headers=bearer(old)).status_code == 401
    assert api.client.get("/api/me", headers=bearer(body["token"])).json["username"] == "jilin"
    assert sent_to_login(browser.get("/inbox"))


def test_guessing_the_current_password_is_throttled_like_a_login(app, api):
    for _ in range(5):
        api.post("/api/me/password", "siping", json={"current_password": "guess", "new_password": NEW_PASSWORD})
    throttled = api.post("/api/me/password", "siping", json={"current_password": "demo", "new_password": NEW_PASSWORD})
    assert refused(throttled, 429, "too_many_attempts")
    assert account("siping").check_password("demo")


def test_a_temporary_password_must_be_changed_first_on_the_web(app, visitor):
    set_fields("tonghua", must_change_password=True)
    person = visitor()
    person.get("/login")
    logged_in = person.post("/login", {"username": "tonghua", "password": "demo"})
    assert logged_in.status_code == 302
    for page in ("/inbox", "/applications", "/account", "/"):
        response = person.get(page)
        assert response.status_code == 302 and response.headers["Location"] == "/account/password", page
    form = person.get("/account/password")
    assert form.status_code == 200 and "临时密码" in text(form)
    assert person.post("/account/password", {"current_password": "demo", "new_password": NEW_PASSWORD,
                                             "new_password2": NEW_PASSWORD}).status_code == 302
    assert person.get("/inbox").status_code == 200
    assert account("tonghua").must_change_password is False


def test_a_temporary_password_must_be_changed_first_through_the_api(app, api):
    set_fields("baishan", must_change_password=True)
    blocked = api.get("/api/tasks", "baishan")
    assert refused(blocked, 403, "password_change_required")
    assert ok(api.get("/api/me", "baishan"))["must_change_password"] is True
    body = ok(api.post("/api/me/password", "baishan", json={"current_password": "demo", "new_password": NEW_PASSWORD}))
    fresh = api.client.get("/api/tasks", headers=bearer(body["token"]))
    assert fresh.status_code == 200
    assert api.client.get("/api/me", headers=bearer(body["token"])).json["must_change_password"] is False
    assert api.client.post("/api/auth/logout", headers=bearer(body["token"])).status_code == 204
