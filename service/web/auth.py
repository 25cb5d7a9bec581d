"""Log in and out with the same accounts as the API; the session cookie carries the login."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from ..accounts import TooManyAttempts, Unauthorized, authenticate, record_login_failure
from ..inputs import text_problem
from ..transactions import transaction
from .base import bp, home_for, local_path, me


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(home_for(me()))
        return render_template("login.html", next=local_path(request.args.get("next")))
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    target = local_path(request.form.get("next"))
    error, status = None, 401
    if not username or not password:
        error, status = "请输入用户名和密码", 400
    elif text_problem(username) or text_problem(password):  # no account has such a name; PostgreSQL can't look
        error, status = "用户名或密码含有无效字符", 400
    else:
        address = request.remote_addr or "unknown"
        try:
            with transaction():
                user = authenticate(username, password, remote_addr=address)
                user_id = user.id
        except TooManyAttempts as err:
            error, status = err.message, err.status
        except Unauthorized as err:
            with transaction():  # kept for rate limiting even though the login failed
                record_login_failure(username, remote_addr=address)
            error = err.message
    if error:
        return render_template("login.html", next=target, username=username, error=error), status
    from ..extensions import db
    from ..models import User

    session.clear()  # a fresh session (and CSRF token) at every login
    user = db.session.get(User, user_id)
    login_user(user)
    session.permanent = True
    return redirect(target or home_for(user))


@bp.post("/logout")
def logout():
    logout_user()
    session.clear()
    flash("您已退出登录", "info")
    return redirect(url_for("web.login"))


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("web.login"))
    return redirect(home_for(me()))
