"""Logging out really ends the session: a copy of the cookie taken before (another tab, a shared computer,
a thief) is worth nothing after a logout, a password change or a deactivation; bearer tokens end with
a password change too. Checking the session on every request costs no write per request."""
from __future__ import annotations

from sqlalchemy import event, select

from service.accounts.service import change_password, deactivate_user
from service.platform.extensions import db
from service.accounts.models import User, WebSession
from service.platform.transactions import transaction
from tests.pages import Visitor

COOKIE = "greenlist_session"


def copy_of_the_cookie(app, person) -> Visitor:
    """Someone else's browser holding the same cookie value."""
    thief = Visitor(app)
    thief.client.set_cookie(COOKIE, person.client.get_cookie(COOKIE).value)
    return thief


def sent_to_login(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def account(username) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_a_cookie_copied_before_logout_is_refused_after_it(app, visitor):
    person = visitor("changchun")
    thief = copy_of_the_cookie(app, person)
    assert thief.get("/inbox").status_code == 200  # the copy works while the login lasts
    assert person.post("/logout").status_code == 302
    assert sent_to_login(thief.get("/inbox"))
    refused = thief.client.get("/api/me")
    assert refused.status_code == 401 and refused.json["code"] == "unauthorized"
    ended = db.session.scalars(select(WebSession)).all()
    assert len(ended) == 1 and ended[0].revoked_at is not None


def test_logging_out_ends_every_login_of_that_user_and_no_one_elses(app, api, visitor):
    here, there, colleague = visitor("changchun"), visitor("changchun"), visitor("jilin")
    token = api.login("changchun")
    assert here.post("/logout").status_code == 302
    assert sent_to_login(there.get("/inbox"))
    assert api.client.get("/api/me", headers=bearer(token)).status_code == 401
    assert colleague.get("/inbox").status_code == 200


def test_logging_out_through_the_api_ends_the_web_sessions_too(app, api, visitor):
    browser = visitor("changchun")
    token = api.login("changchun")
    assert api.client.post("/api/auth/logout", headers=bearer(token)).status_code == 204
    assert sent_to_login(browser.get("/inbox"))
    assert api.client.get("/api/me", headers=bearer(token)).status_code == 401


def test_a_password_change_ends_every_session_and_bearer_token(app, api, visitor):
    browser, laptop = visitor("changchun"), visitor("changchun")
    token = api.login("changchun")
    with transaction():
        change_password(account("changchun"), "a-new-password-2024")
    db.session.remove()
    assert sent_to_login(browser.get("/inbox")) and sent_to_login(laptop.get("/inbox"))
    assert browser.client.get("/api/me").status_code == 401
    assert api.client.get("/api/me", headers=bearer(token)).status_code == 401
    assert api.client.post("/api/auth/login", json={"username": "changchun", "password": "demo"}).status_code == 401
    fresh = api.client.post("/api/auth/login", json={"username": "changchun", "password": "a-new-password-2024"})
    assert fresh.status_code == 200
    assert api.client.get("/api/me", headers=bearer(fresh.json["token"])).json["username"] == "changchun"


def test_a_deactivated_account_stays_logged_out_when_reactivated(app, api, visitor):
    browser = visitor("changchun")
    token = api.login("changchun")
    with transaction():
        deactivate_user(account("changchun"))
    with transaction():
        account("changchun").active = True  # back in service: old cookies and tokens must not come back with it
    db.session.remove()
    assert sent_to_login(browser.get("/inbox"))
    assert api.client.get("/api/me", headers=bearer(token)).status_code == 401
    assert visitor("changchun").get("/inbox").status_code == 200  # a new login works


def test_last_seen_is_written_every_few_minutes_not_every_request(app, visitor, clock):
    person = visitor("changchun")
    writes = []

    def count_session_writes(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE WEB_SESSION"):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", count_session_writes)
    try:
        for _ in range(10):
            assert person.get("/inbox").status_code == 200
        assert writes == []
        clock.advance(minutes=6)
        for _ in range(10):
            assert person.get("/inbox").status_code == 200
        assert len(writes) == 1
    finally:
        event.remove(db.engine, "before_cursor_execute", count_session_writes)
    record = db.session.scalar(select(WebSession))
    assert record.last_seen_at == clock.now()
    db.session.remove()


def test_a_session_left_idle_for_twelve_hours_is_over(app, visitor, clock):
    person = visitor("changchun")
    clock.advance(hours=11, minutes=50)
    assert person.get("/inbox").status_code == 200  # still in use: last seen moves on
    clock.advance(hours=11, minutes=50)
    assert person.get("/inbox").status_code == 200
    clock.advance(hours=12, minutes=1)
    assert sent_to_login(person.get("/inbox"))
