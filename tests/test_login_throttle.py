"""Login throttling holds under a burst and behind a proxy: forty guesses sent at once get five password
checks, and the address counted is the client's as our own proxy saw it, so one address behind the TLS
proxy cannot lock out everyone, nor can a client dodge the limit by writing its own X-Forwarded-For."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from service import create_app
from service.platform.config import InsecureConfiguration
from service.commands.demo import ensure_user
from service.platform.extensions import db
from service.accounts.models import LoginFailure, User
from service.platform.transactions import transaction

GUESSES = 40


@pytest.fixture
def account(app):
    """One account with password "demo", on the real clock (the burst's threads read the real clock)."""
    with transaction():
        ensure_user(username="changchun", display_name="长春市工信局", roles=["city_reviewer"], city_code="220100")
    db.session.remove()
    return "changchun"


@pytest.fixture
def password_checks(monkeypatch):
    """Every real password check made, from any thread."""
    checks = []
    check_password = User.check_password

    def counted(user, password):
        checks.append(user.username)
        return check_password(user, password)

    monkeypatch.setattr(User, "check_password", counted)
    return checks


def login(client, username, password, **headers):
    return client.post("/api/auth/login", json={"username": username, "password": password}, headers=headers)


def test_forty_guesses_at_once_get_five_password_checks(app, account, password_checks):
    start = threading.Barrier(GUESSES)
    statuses = []

    def guess(n):
        client = app.test_client()  # each thread its own client, app context and database connection
        start.wait()
        statuses.append(login(client, account, f"guess-{n}").status_code)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(GUESSES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(statuses) == GUESSES
    assert len(password_checks) <= 5
    assert sorted(statuses) == [401] * len(password_checks) + [429] * (GUESSES - len(password_checks))
    # Whatever the burst left, the account gets five checks in the window and then the right password waits too.
    client = app.test_client()
    while len(password_checks) < 5:
        assert login(client, account, "one-more-guess").status_code == 401
    blocked = login(client, account, "demo")
    assert blocked.status_code == 429 and blocked.json["code"] == "too_many_attempts"
    assert len(password_checks) == 5
    assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 5


def deployed(app, hops: int):
    """The app as started with GREENLIST_PROXY_HOPS=hops (0: the socket address; 1: behind the TLS proxy)."""
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                       "GREENLIST_PROXY_HOPS": str(hops)}).test_client()


def fail_twenty_logins(client, forwarded_for):
    for n in range(20):  # twenty different accounts: the per-address limit, not the per-account one
        assert login(client, f"nobody{n}", "guess", **{"X-Forwarded-For": forwarded_for(n)}).status_code == 401


def test_behind_one_proxy_each_client_address_is_counted_on_its_own(app):
    client = deployed(app, hops=1)
    office, home = "203.0.113.7", "198.51.100.9"
    fail_twenty_logins(client, lambda n: office)
    assert login(client, "nobody20", "guess", **{"X-Forwarded-For": office}).status_code == 429
    assert login(client, "nobody21", "guess", **{"X-Forwarded-For": home}).status_code == 401
    db.session.remove()
    assert set(db.session.scalars(select(LoginFailure.remote_addr))) == {office, home}


def test_without_a_proxy_the_forwarded_header_is_ignored(app):
    client = deployed(app, hops=0)
    # Anyone can write the header: a client rotating it still counts as the one socket address it is.
    fail_twenty_logins(client, lambda n: f"203.0.113.{n}")
    assert login(client, "nobody20", "guess", **{"X-Forwarded-For": "198.51.100.9"}).status_code == 429
    db.session.remove()
    assert set(db.session.scalars(select(LoginFailure.remote_addr))) == {"127.0.0.1"}


def test_behind_the_proxy_a_client_cannot_pose_as_others(app):
    client = deployed(app, hops=1)
    # The client writes entries of its own; our proxy appends the address it really came from, the one trusted.
    fail_twenty_logins(client, lambda n: f"10.0.0.{n}, 203.0.113.7")
    assert login(client, "nobody20", "guess", **{"X-Forwarded-For": "10.9.9.9, 203.0.113.7"}).status_code == 429


def test_a_proxy_setting_that_is_not_a_number_stops_the_start(app):
    with pytest.raises(InsecureConfiguration, match="GREENLIST_PROXY_HOPS"):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                    "GREENLIST_PROXY_HOPS": "yes"})
