"""`greenlist create-admin`: the first account of an empty database. The password comes from a prompt or
standard input, never an argument; a weak password or a taken username creates nothing."""
from __future__ import annotations

import json
import os
import pty
import select as fd_select
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from service.accounts.models import User
from service.audit.chain import SYSTEM_CHAIN, trail
from service.commands.cli import cli
from service.platform.extensions import db

ROOT = Path(__file__).resolve().parent.parent


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


def test_create_admin_at_a_terminal_asks_twice_without_echo(app, clock):
    """A real terminal (a pseudo-terminal) in front of a real `greenlist` process: two differing entries are
    asked again, two equal ones create the account, and the password never appears on the screen."""
    db.session.remove()  # the child process writes to the same database
    screen = Terminal(["create-admin", "chief"], database_url=app.config["SQLALCHEMY_DATABASE_URI"])
    screen.answer("密码：", "Lotus-pond-2024")
    screen.answer("再次输入密码：", "Lotus-pond-2025")
    screen.answer("两次输入的密码不一致", None)
    screen.answer("密码：", "Lotus-pond-2024")
    screen.answer("再次输入密码：", "Lotus-pond-2024")
    assert screen.finish() == 0, screen.output
    assert "已创建管理员账号“chief”" in screen.output and "Lotus-pond" not in screen.output
    assert db.session.scalar(select(User).where(User.username == "chief")).check_password("Lotus-pond-2024")


class Terminal:
    """`python -m service.commands.cli ARGS` on a pseudo-terminal of its own (a new session, so the
    password prompt reads this terminal, not the one pytest runs in)."""

    def __init__(self, args, *, database_url):
        self.main, secondary = pty.openpty()
        env = {**os.environ, "DATABASE_URL": database_url}
        self.process = subprocess.Popen([sys.executable, "-m", "service.commands.cli", *args], stdin=secondary,
                                        stdout=secondary, stderr=secondary, env=env, cwd=ROOT, start_new_session=True)
        os.close(secondary)
        self.output, self.seen = "", 0

    def answer(self, prompt, reply):
        deadline = time.monotonic() + 30
        while prompt not in self.output[self.seen:]:
            ready, _, _ = fd_select.select([self.main], [], [], max(0.0, deadline - time.monotonic()))
            assert ready, f"no {prompt!r} in {self.output!r}"
            self.output += os.read(self.main, 4096).decode("utf-8", "replace")
        self.seen = self.output.index(prompt, self.seen) + len(prompt)
        if reply is not None:
            os.write(self.main, reply.encode() + b"\n")

    def finish(self) -> int:
        code = self.process.wait(timeout=60)
        while fd_select.select([self.main], [], [], 0.2)[0]:
            try:
                chunk = os.read(self.main, 4096)
            except OSError:  # the child closed its side
                break
            if not chunk:
                break
            self.output += chunk.decode("utf-8", "replace")
        os.close(self.main)
        return code
