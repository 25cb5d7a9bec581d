"""`greenlist create-admin`: the first account of an empty database. The password comes from a prompt or
standard input, never an argument; a weak password or a taken username creates nothing."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from service.accounts.models import User
from service.audit.chain import SYSTEM_CHAIN, trail
from service.commands.cli import cli
from service.platform.extensions import db


def create_admin(app, *args, stdin):
    result = app.test_cli_runner().invoke(cli, ["create-admin", *args], input=stdin)
    db.session.remove()
    return result


def test_create_admin_reads_the_password_from_stdin_and_the_account_logs_in(app, clock):
    result = create_admin(app, "chief", "--name", "信息中心管理员", stdin="Lotus-pond-2024\n")
    assert result.exit_code == 0, result.output
    assert "已创建管理员账号“chief”" in result.output and "Lotus-pond-2024" not in result.output
    chief = db.session.scalar(select(User).where(User.username == "chief"))
    assert chief.roles == ["admin"] and chief.display_name == "信息中心管理员" and chief.check_password("Lotus-pond-2024")
    assert not chief.must_change_password
    [event] = [e for e in trail(SYSTEM_CHAIN) if e.action == "account_created"]
    assert event.actor == "create-admin" and json.loads(event.data)["after"]["roles"] == ["admin"]
    login = app.test_client().post("/api/auth/login", json={"username": "chief", "password": "Lotus-pond-2024"})
    assert login.status_code == 200


def test_create_admin_refuses_a_weak_password(app, clock):
    for weak, reason in (("short1", "至少 10 个字符"), ("password123", "过于常见"), ("chief-chief-2024", "不能包含用户名")):
        result = create_admin(app, "chief", stdin=weak + "\n")
        assert result.exit_code != 0 and reason in result.output, result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_create_admin_refuses_an_existing_username(app, clock):
    assert create_admin(app, "chief", stdin="Lotus-pond-2024\n").exit_code == 0
    again = create_admin(app, "chief", stdin="Another-pond-2025\n")
    assert again.exit_code != 0 and "用户名“chief”已存在" in again.output
    assert db.session.scalar(select(User).where(User.username == "chief")).check_password("Lotus-pond-2024")


def test_create_admin_refuses_a_malformed_username(app, clock):
    result = create_admin(app, "a b", stdin="Lotus-pond-2024\n")
    assert result.exit_code != 0 and "用户名应为 3–64 位" in result.output


def test_create_admin_takes_no_password_argument(app, clock):
    result = create_admin(app, "chief", "--password", "Lotus-pond-2024", stdin="")
    assert result.exit_code == 2 and "--password" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
