"""In the browser: 忘记密码 from the login page to a new password, and a first login with a temporary
password that goes to the change page before anything else, then 个人信息 from the name in the top bar."""
from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from service.accounts.models import User
from service.notify.models import Notification
from service.platform.extensions import db
from service.platform.transactions import transaction

NEW_PASSWORD = "Yalu-River-Bridge-1950"


def update_account(username, **values):
    with transaction():
        user = db.session.scalar(select(User).where(User.username == username))
        for name, value in values.items():
            setattr(user, name, value)
    db.session.remove()  # SQLite: no transaction left open for the live server to wait on


def link_in_the_outbox() -> str:
    body = db.session.scalars(select(Notification.body).where(Notification.kind == "reset_password")).one()
    db.session.remove()
    return re.search(r"(/password/reset/\S+)", body).group(1)


def test_a_forgotten_password_is_reset_from_the_login_page(browse):
    update_account("factory1", email="factory1@example.cn")
    person = browse()
    page = person.page
    page.goto("/login")
    page.click("text=忘记密码？")
    page.fill("input[name=identifier]", "factory1@example.cn")
    page.click("form button[type=submit]")
    expect(page.locator(".flash.success")).to_contain_text("已向其邮箱发送重置密码的链接")
    person.screenshot("reset-requested")
    page.goto(link_in_the_outbox())
    page.fill("input[name=password]", "too-short")
    page.fill("input[name=password2]", "too-short")
    page.click("form button[type=submit]")
    expect(page.locator(".field-error")).to_have_text("密码至少 10 个字符")
    page.fill("input[name=password]", NEW_PASSWORD)
    page.fill("input[name=password2]", NEW_PASSWORD)
    page.click("form button[type=submit]")
    expect(page.locator(".flash.success")).to_contain_text("密码已设置")
    person.screenshot("password-set")
    person.login("factory1", NEW_PASSWORD)
    assert page.url.endswith("/my")


def test_a_temporary_password_is_changed_first_then_the_profile_edited(browse):
    update_account("changchun", must_change_password=True)
    person = browse()
    page = person.login("changchun")
    assert page.url.endswith("/account/password")
    expect(page.locator("main")).to_contain_text("临时密码")
    page.fill("input[name=current_password]", "demo")
    page.fill("input[name=new_password]", NEW_PASSWORD)
    page.fill("input[name=new_password2]", NEW_PASSWORD)
    page.click("main form button[type=submit]")
    expect(page.locator(".flash.success")).to_contain_text("密码已修改")
    assert page.url.endswith("/inbox")
    page.click("header .who a[title=个人信息]")
    page.fill("input[name=phone]", "0431-8888")
    page.fill("input[name=email]", "reviewer@changchun.example.cn")
    page.uncheck("input[name=receive_email]")
    page.click("main form button[type=submit]")
    expect(page.locator("label.has-error .field-error")).to_contain_text("11 位手机号")
    expect(page.locator("input[name=email]")).to_have_value("reviewer@changchun.example.cn")
    person.screenshot("profile-refused")
    page.fill("input[name=phone]", "0431-88886666")
    page.click("main form button[type=submit]")
    expect(page.locator(".flash.success")).to_have_text("个人信息已保存")
    expect(page.locator("input[name=receive_email]")).not_to_be_checked()
    person.screenshot("profile-saved")
