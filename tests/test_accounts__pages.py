"""The administrator's account pages without a browser: create (typed values kept on an error, each field's
reason beside it), edit, deactivate and reactivate, the import page listing every bad cell, the downloads;
every other role gets 403."""
from __future__ import annotations

import io
import json
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from service.accounts.models import User
from service.audit.chain import SYSTEM_CHAIN, trail
from service.notify.models import Notification
from service.platform.extensions import db
from tests.test_accounts__import import xlsx

FORM = {"username": "zhou.siping", "display_name": "周审核", "roles": "city_reviewer", "city_code": "220300",
        "email": "", "phone": "13600000000", "employer": "", "industry_codes": ""}


def account(username) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def test_admin_creates_an_account_on_the_page_and_sees_its_temporary_password_once(visitor):
    admin = visitor("admin")
    assert "账号管理" in admin.get("/applications").get_data(as_text=True)
    admin.get("/admin/accounts/new")
    page = admin.post("/admin/accounts/new", FORM)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "只显示这一次" in html
    created = account("zhou.siping")
    assert created.city_code == "220300" and created.must_change_password
    password = html.split("<code>")[1].split("</code>")[0]
    assert created.check_password(password)
    assert "zhou.siping" in admin.get("/admin/accounts?city=220300&role=city_reviewer").get_data(as_text=True)


def test_a_refused_form_keeps_what_was_typed_and_names_each_field(visitor):
    admin = visitor("admin")
    admin.get("/admin/accounts/new")
    page = admin.post("/admin/accounts/new", {**FORM, "city_code": "", "email": "zhou@", "phone": "110"})
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "市州工信局账号必须选择所在市州" in html and "邮箱格式不正确" in html and "应为 11 位手机号" in html
    assert 'value="zhou.siping"' in html and 'value="周审核"' in html and 'value="zhou@"' in html
    assert 'value="city_reviewer" checked' in html
    assert account("zhou.siping") is None


def test_edit_deactivate_and_reactivate_on_the_pages_are_audited_and_end_the_sessions(visitor):
    siping = visitor("siping")
    assert siping.get("/inbox").status_code == 200
    target = account("siping").id
    admin = visitor("admin")
    admin.get(f"/admin/accounts/{target}")
    saved = admin.post(f"/admin/accounts/{target}", {"display_name": "四平市工信局节能科", "roles": "city_reviewer",
                                                     "city_code": "220300", "email": "jnk@siping.example.cn"})
    assert saved.status_code == 302 and account("siping").email == "jnk@siping.example.cn"
    admin.get(f"/admin/accounts/{target}")
    assert admin.post(f"/admin/accounts/{target}/deactivate").status_code == 302
    page = siping.get("/inbox")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    assert "重新启用账号" in admin.get(f"/admin/accounts/{target}").get_data(as_text=True)
    admin.post(f"/admin/accounts/{target}/reactivate")
    assert account("siping").active and visitor("siping").get("/inbox").status_code == 200
    events = [(e.action, json.loads(e.data)) for e in trail(SYSTEM_CHAIN) if e.action.startswith("account_")
              and json.loads(e.data)["username"] == "siping"]
    assert [a for a, _ in events] == ["account_created", "account_updated", "account_deactivated",
                                      "account_reactivated"]
    assert events[1][1]["before"] == {"display_name": "四平市工信局", "email": None}
    assert events[1][1]["after"] == {"display_name": "四平市工信局节能科", "email": "jnk@siping.example.cn"}


def test_the_import_page_lists_every_bad_cell_and_imports_a_good_file(visitor):
    admin = visitor("admin")
    admin.get("/admin/accounts/import")
    bad = xlsx([["ok1", "甲", "评审专家", "", "", "", "", "", ""], ["ok2", "乙", "市州工信局", "沈阳市", "", "", "", "", "x@"]])
    page = admin.post("/admin/accounts/import", {"file": (io.BytesIO(bad), "bad.xlsx")},
                      content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and "第 3 行 “所在市州”" in html and "第 3 行 “邮箱”" in html
    assert account("ok1") is None
    good = xlsx([["ok1", "甲", "评审专家", "长春市", "", "绿色工厂", "C3670", "", "ok1@example.cn"]])
    page = admin.post("/admin/accounts/import", {"file": (io.BytesIO(good), "good.xlsx")},
                      content_type="multipart/form-data")
    assert page.status_code == 200 and "已导入 1 个账号" in page.get_data(as_text=True)
    template = admin.client.get("/admin/accounts/template.xlsx")  # a file: no page to read a token from
    assert load_workbook(io.BytesIO(template.data)).sheetnames == ["账号", "填写说明"]
    export = load_workbook(io.BytesIO(admin.client.get("/admin/accounts/export.xlsx?role=expert").data))["账号"]
    assert export.max_row == 1 + 6


@pytest.mark.parametrize("who", ["province", "changchun", "factory1", "expert1", "auditor"])
def test_only_the_administrator_opens_the_account_pages(visitor, who):
    person = visitor(who)
    target = account("expert2").id
    for path in ("/admin/accounts", "/admin/accounts/new", f"/admin/accounts/{target}", "/admin/accounts/import",
                 "/admin/accounts/template.xlsx", "/admin/accounts/export.xlsx"):
        assert person.get(path).status_code == 403, path
    person.get("/applications" if who != "factory1" else "/my")
    assert person.post(f"/admin/accounts/{target}/deactivate").status_code == 403
    assert person.post("/admin/accounts/new", FORM).status_code == 403
    assert account("expert2").active and account("zhou.siping") is None


def test_a_new_temporary_password_is_shown_once_and_ends_the_old_login(visitor):
    expert = visitor("expert1")
    admin = visitor("admin")
    target = account("expert1").id
    assert "生成新的临时密码" in admin.get(f"/admin/accounts/{target}").get_data(as_text=True)
    html = admin.post(f"/admin/accounts/{target}/reissue-password").get_data(as_text=True)
    assert "已生成新的临时密码" in html and "原有的登录已全部失效" in html
    password = html.split("<code>")[1].split("</code>")[0]
    assert account("expert1").check_password(password) and account("expert1").must_change_password
    assert expert.get("/inbox").status_code == 302
    assert visitor().login("expert1", password).status_code == 302


def test_hostile_search_text_and_file_names_are_harmless(visitor):
    admin = visitor("admin")
    assert admin.get("/admin/accounts?q=%00abc&page=99999999999&role=x&city=y&active=z").status_code == 200
    admin.get("/admin/accounts/import")
    good = xlsx([["ok3", "丙", "评审专家", "", "", "", "", "", "ok3@example.cn"]])
    page = admin.post("/admin/accounts/import", {"file": (io.BytesIO(good), "evil\x00.xlsx")},
                      content_type="multipart/form-data")
    assert page.status_code == 200 and account("ok3") is not None


def test_an_account_created_with_an_email_sets_its_password_through_the_mailed_link(visitor):
    admin = visitor("admin")
    admin.get("/admin/accounts/new")
    created = admin.post("/admin/accounts/new", {**FORM, "email": "zhou@siping.example.cn"})
    assert created.status_code == 302
    assert "设置密码的链接已发送至 zhou@siping.example.cn" in admin.get(created.headers["Location"]).get_data(as_text=True)
    body = db.session.scalar(select(Notification.body).where(Notification.kind == "set_password"))
    path = re.search(r"http://[^/]+(/password/set/\S+)", body).group(1)
    newcomer = visitor()
    assert "zhou.siping" in newcomer.get(path).get_data(as_text=True)
    done = newcomer.post(path, {"password": "Siping-green-2024", "password2": "Siping-green-2024"})
    assert done.status_code == 302 and newcomer.login("zhou.siping", "Siping-green-2024").status_code == 302
    assert newcomer.get("/inbox").status_code == 200
