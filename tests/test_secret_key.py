"""No default secret: with a key everyone knows (or none), anyone could sign an admin's login cookie, so
the service refuses to serve, by every way it is started, until a real SECRET_KEY is set."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from service import create_app
from service.platform.config import InsecureConfiguration
from service.platform.extensions import db

ROOT = Path(__file__).resolve().parent.parent
THE_OLD_DEFAULT = "dev-only-change-me"


def environment_without_a_key(app, **extra):
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    return {**env, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "PYTHONPATH": str(ROOT),
            "GREENLIST_LOG_LEVEL": "WARNING", **extra}


@pytest.mark.parametrize("key", [None, "", THE_OLD_DEFAULT, "short-but-not-empty"])
def test_the_app_will_not_be_built_for_serving_with_a_forgeable_key(app, monkeypatch, key):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    config = {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]}
    if key is not None:
        config["SECRET_KEY"] = key
    with pytest.raises(InsecureConfiguration) as refused:
        create_app(config)
    message = str(refused.value)
    assert "SECRET_KEY" in message and "服务拒绝启动" in message
    assert "secrets.token_hex(32)" in message  # it says how to make one


def test_a_real_key_from_the_environment_serves_and_tests_get_a_throwaway_one(app, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    assert create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]}).secret_key == "k" * 64
    monkeypatch.delenv("SECRET_KEY")
    assert len(app.secret_key) >= 32 and app.secret_key != THE_OLD_DEFAULT


def test_greenlist_serve_exits_with_the_message_instead_of_listening(app):
    db.session.remove()
    served = subprocess.run([sys.executable, "-m", "service.commands.cli", "serve", "--port", "0"], cwd=ROOT,
                            env=environment_without_a_key(app), capture_output=True, text=True, timeout=120)
    assert served.returncode == 1
    assert "未设置 SECRET_KEY" in served.stderr and "token_hex(32)" in served.stderr
    assert "Traceback" not in served.stderr


def test_gunicorn_refuses_to_boot_the_app(app):
    db.session.remove()
    booted = subprocess.run([sys.executable, "-m", "gunicorn", "-c", "python:service.gunicorn_conf", "service.wsgi:app"],
                            cwd=ROOT, env=environment_without_a_key(app, WEB_CONCURRENCY="1",
                                                                    GREENLIST_BIND="127.0.0.1:0"),
                            capture_output=True, text=True, timeout=120)
    assert booted.returncode != 0
    assert "未设置 SECRET_KEY" in booted.stderr


def test_commands_that_never_read_a_cookie_run_without_a_key(app):
    db.session.remove()  # the migration takes SQLite's write lock
    upgraded = subprocess.run([sys.executable, "-m", "service.commands.cli", "init-db"], cwd=ROOT,
                              env=environment_without_a_key(app), capture_output=True, text=True, timeout=120)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "数据库结构已是最新版本" in upgraded.stdout
