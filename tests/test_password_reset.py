"""忘记密码 end to end: the request goes into the outbox, the worker mails it through a real SMTP server
(aiosmtpd, started here), the link in the mail sets a new password once, and every login made with the
old password is over. Asking tells nobody whether the account exists; an account gets a few mails an hour."""
from __future__ import annotations

import re
import socket
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from service.accounts import links
from service.accounts.models import User
from service.commands.worker import drain
from service.notify.models import Notification
from service.notify.senders import sender_from_config
from service.platform.extensions import db
from service.platform.transactions import transaction
from tests.api import ok, refused
from tests.pages import text
from tests.test_web_sessions import bearer, sent_to_login

NEW_PASSWORD = "Changbai-Mountain-2024"
LINK = re.compile(r"https?://\S+?(/password/(?:reset|set)/[A-Za-z0-9_\-]+)")


class Mailbox:
    """What the SMTP server received: one parsed message per delivery."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=default_policy)
        self.messages.append({"to": envelope.rcpt_tos, "subject": message["Subject"],
                              "body": message.get_body().get_content()})
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield mailbox, sender_from_config({"GREENLIST_MAIL_SENDER": "smtp", "SMTP_HOST": "127.0.0.1",
                                           "SMTP_PORT": str(controller.port), "SMTP_FROM": "greenlist@test.local",
                                           "SMTP_STARTTLS": "false"})
    finally:
        controller.stop()


def give_address(username, email, **more):
    with transaction():
        user = db.session.scalar(select(User).where(User.username == username))
        user.email = email
        for name, value in more.items():
            setattr(user, name, value)
    db.session.remove()


def the_link(mail) -> str:
    found = LINK.search(mail["body"])
    assert found, mail["body"]
    return found.group(1)


def reset_mails():
    db.session.remove()
    return db.session.scalars(select(Notification).where(Notification.kind == "reset_password")).all()


def test_a_reset_through_the_api_arrives_by_smtp_works_once_and_ends_every_old_login(app, api, visitor, smtp):
    mailbox, sender = smtp
    give_address("factory1", "zhang@factory1.example.cn")
    browser, token = visitor("factory1"), api.login("factory1")

    answer = ok(api.post("/api/password/forgot", json={"username": "factory1"}), 202)
    assert "邮箱" in answer["message"]
    assert drain(sender)["notifications"] == 1
    [mail] = mailbox.messages
    assert mail["to"] == ["zhang@factory1.example.cn"] and mail["subject"] == "【绿色制造】重置密码"
    assert "30 分钟" in mail["body"] and "factory1" in mail["body"]
    path = the_link(mail)
    assert path.startswith("/password/reset/")
    reset_token = path.rsplit("/", 1)[1]
    [kept] = reset_mails()
    assert reset_token not in kept.body and "/password/reset/[链接已发送，不再保存]" in kept.body  # sent: no copy

    page = visitor().get(path)
    assert page.status_code == 200 and "重置密码" in text(page) and "factory1" in text(page)
    weak = refused(api.post("/api/password/reset", json={"token": reset_token, "password": "short"}),
                   422, "validation_failed", "password")
    assert weak["errors"]["password"] == ["密码至少 10 个字符"]  # and the link is not spent by a refusal
    assert ok(api.post("/api/password/reset", json={"token": reset_token, "password": NEW_PASSWORD}))["message"]

    again = refused(api.post("/api/password/reset", json={"token": reset_token, "password": NEW_PASSWORD + "x"}),
                    410, "link_invalid")
    assert again["message"] == "重置密码链接已使用过，每个链接只能使用一次"
    assert sent_to_login(browser.get("/inbox"))
    assert api.client.get("/api/me", headers=bearer(token)).status_code == 401
    assert api.client.post("/api/auth/login", json={"username": "factory1", "password": "demo"}).status_code == 401
    api.login("factory1", NEW_PASSWORD)
    assert db.session.scalar(select(User).where(User.username == "factory1")).email_verified_at is not None


def test_a_reset_through_the_pages(app, api, visitor, smtp, caplog):
    mailbox, sender = smtp
    give_address("changchun", "reviewer@changchun.example.cn")
    old_login = visitor("changchun")
    person = visitor()
    person.get("/login")
    assert "忘记密码" in text(person.get("/login"))
    asked = person.post("/password/forgot", {"identifier": "Reviewer@Changchun.example.cn"})
    assert asked.status_code == 200 and "已向其邮箱发送" in text(asked)
    drain(sender)
    [mail] = mailbox.messages
    path = the_link(mail)

    with caplog.at_level("INFO", logger="greenlist.access"):
        form = person.get(path)
    assert form.status_code == 200 and 'name="password2"' in text(form)
    assert "GET /password/reset/… 200" in caplog.text and path not in caplog.text  # the log holds no usable link
    mismatch = person.post(path, {"password": NEW_PASSWORD, "password2": NEW_PASSWORD + "!"})
    assert mismatch.status_code == 422 and "两次输入的密码不一致" in text(mismatch)
    done = person.post(path, {"password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/login"

    used = person.get(path)
    assert used.status_code == 410 and "已使用过" in text(used)
    reused = person.post(path, {"password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert reused.status_code == 410 and "已使用过" in text(reused)
    assert sent_to_login(old_login.get("/inbox"))
    assert person.login("changchun", "demo").status_code == 401
    assert person.login("changchun", NEW_PASSWORD).status_code == 302


def test_the_answer_is_the_same_whoever_is_asked_and_only_live_accounts_get_mail(app, api, smtp):
    mailbox, sender = smtp
    give_address("jilin", "jilin@example.cn", active=False)
    give_address("siping", None)
    answers = [api.post("/api/password/forgot", json=body) for body in (
        {"username": "nobody-here"}, {"email": "nobody@example.cn"}, {"username": "jilin"}, {"username": "siping"})]
    assert {(a.status_code, a.json["message"]) for a in answers} == {(202, answers[0].json["message"])}
    assert reset_mails() == [] and drain(sender)["notifications"] == 0 and mailbox.messages == []
    refused(api.post("/api/password/forgot", json={}), 422, "validation_failed", "username")


def test_an_account_gets_at_most_three_reset_mails_an_hour_and_only_the_newest_link_works(app, api, clock, smtp):
    mailbox, sender = smtp
    give_address("park1", "park@example.cn")
    for _ in range(5):
        ok(api.post("/api/password/forgot", json={"username": "park1"}), 202)
    assert len(reset_mails()) == 3
    drain(sender)
    paths = [the_link(mail) for mail in mailbox.messages]
    assert len(paths) == 3
    refused(api.post("/api/password/reset", json={"token": paths[0].rsplit("/", 1)[1], "password": NEW_PASSWORD}),
            410, "link_invalid")
    clock.advance(minutes=61)
    ok(api.post("/api/password/forgot", json={"username": "park1"}), 202)
    assert len(reset_mails()) == 4


def test_a_reset_link_lasts_thirty_minutes(app, api, clock):
    give_address("park1", "park@example.cn")
    with transaction():
        token = links.issue("reset_password", user_id=db.session.scalar(select(User.id).where(User.username == "park1")))
    clock.advance(minutes=31)
    expired = refused(api.post("/api/password/reset", json={"token": token, "password": NEW_PASSWORD}),
                      410, "link_invalid")
    assert "已过期" in expired["message"]


def test_a_set_password_link_sets_the_first_password_verifies_the_address_and_ends_a_forced_change(app, api,
                                                                                                     visitor):
    give_address("expert4", "expert4@example.cn", must_change_password=True)
    with transaction():
        user = db.session.scalar(select(User).where(User.username == "expert4"))
        token = links.issue("set_password", user_id=user.id, email=user.email, created_by="admin")
    path = f"/password/set/{token}"
    person = visitor()
    assert "设置密码" in text(person.get(path))
    done = person.post(path, {"password": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302
    db.session.remove()
    user = db.session.scalar(select(User).where(User.username == "expert4"))
    assert user.email_verified_at is not None and user.must_change_password is False
    assert person.login("expert4", NEW_PASSWORD).status_code == 302
    assert person.get("/inbox").status_code == 200
    refused(api.post("/api/password/set", json={"token": token, "password": NEW_PASSWORD}), 410, "link_invalid")
    refused(api.post("/api/password/reset", json={"token": token, "password": NEW_PASSWORD}), 410, "link_invalid")
