"""Log in and out with the same accounts as the API; the session cookie names a server-side session."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from service.accounts.service import (WRONG_CREDENTIALS, TooManyAttempts, authenticate, end_session, revoke_all_sessions, start_session)
from service.platform.inputs import text_problem
from service.platform.transactions import transaction
from service.web.base import SESSION_ID, bp, home_for, local_path, me


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(home_for(me()))
        return render_template("login.html", next=local_path(request.args.get("next")))
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    target = local_path(request.form.get("next"))
    if not username or not password:
        return _login_refused(target, username, "请输入用户名和密码", 400)
    if text_problem(username) or text_problem(password):  # no account has such a name; PostgreSQL can't look
        return _login_refused(target, username, "用户名或密码含有无效字符", 400)
    try:
        with transaction():  # a failure is committed too: the rate limit counts it
            user = authenticate(username, password, remote_addr=request.remote_addr or "unknown")
            session_id = start_session(user) if user else None
    except TooManyAttempts as err:
        return _login_refused(target, username, err.message, err.status)
    if user is None:
        return _login_refused(target, username, WRONG_CREDENTIALS, 401)
    session.clear()  # a fresh session (and CSRF token) at every login
    session[SESSION_ID] = session_id
    login_user(user)
    session.permanent = True
    return redirect(target or home_for(user))


def _login_refused(target, username, error, status):
    return render_template("login.html", next=target, username=username, error=error), status


@bp.post("/logout")
def logout():
    # Ended on the server, for every session and token of the user: a copy of this cookie (another tab,
    # a shared computer, a thief) is logged out too.
    with transaction():
        if current_user.is_authenticated:
            revoke_all_sessions(current_user._get_current_object())
        else:
            end_session(session.get(SESSION_ID))
    logout_user()
    session.clear()
    flash("您已退出登录", "info")
    return redirect(url_for("web.login"))


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("web.login"))
    return redirect(home_for(me()))
