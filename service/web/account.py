"""个人信息, changing one's own password (forced at first login with a temporary one), and the public
password pages a mail links to: 忘记密码, set a first password, reset a forgotten one."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user

from service.accounts.profile import PROFILE_FIELDS, change_own_password, update_profile
from service.accounts.recovery import RESET_REQUESTED, link_account, request_reset, set_password_with_link
from service.accounts.links import LinkInvalid
from service.accounts.service import start_session
from service.platform.errors import ServiceError
from service.platform.inputs import text_problem
from service.platform.transactions import transaction
from service.web.base import SESSION_ID, bp, home_for, me

# What an account holding a temporary password may still open: every other page sends it to the change page.
WHILE_PASSWORD_CHANGE_REQUIRED = ("web.static", "web.login", "web.logout", "web.change_password",
                                  "web.forgot_password", "web.set_password", "web.reset_password")
LINK_PAGES = {"set_password": "设置密码", "reset_password": "重置密码"}
MISMATCH = "两次输入的密码不一致"


@bp.before_request
def password_change_first():
    if request.endpoint in WHILE_PASSWORD_CHANGE_REQUIRED or not current_user.is_authenticated:
        return None
    if me().must_change_password:
        flash("请先修改密码：管理员设置的临时密码须在首次登录时改为您自己的密码", "info")
        return redirect(url_for("web.change_password"))
    return None


@bp.route("/account", methods=["GET", "POST"])
def profile():
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    user, errors, message = me(), {}, None
    values = {"display_name": user.display_name, "phone": user.phone or "", "email": user.email or "",
              "receive_email": bool(user.receive_email)}
    if request.method == "POST":
        values = {name: request.form.get(name, "") for name in PROFILE_FIELDS if name != "receive_email"}
        values["receive_email"] = request.form.get("receive_email") == "on"
        try:
            with transaction():
                changed = update_profile(user, dict(values))
            flash("个人信息已保存" if changed else "个人信息没有变化", "success")
            return redirect(url_for("web.profile"))
        except ServiceError as err:
            message, errors = err.message, err.fields
    return render_template("account.html", values=values, errors=errors, message=message,
                           verified=me().email_verified_at is not None), 422 if errors else 200


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    """Change one's own password. The other sessions and tokens end; this browser gets a new session at
    once, since the person in front of it has just proved they know the password."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    user, errors = me(), {}
    if request.method == "POST":
        current, new = request.form.get("current_password", ""), request.form.get("new_password", "")
        errors = _typed_twice(new, request.form.get("new_password2", ""), "new_password")
        if not errors:
            try:
                with transaction():  # a wrong current password is committed too: the login throttle counts it
                    changed = change_own_password(user, current=current, new=new,
                                                  remote_addr=request.remote_addr or "unknown")
                    session_id = start_session(user) if changed else None
                if changed:
                    session.clear()  # a new session id (and CSRF token); copies of the old cookie are dead
                    session[SESSION_ID] = session_id
                    login_user(user)
                    session.permanent = True
                    flash("密码已修改；其他设备和令牌上的登录已全部退出", "success")
                    return redirect(home_for(user))
                errors = {"current_password": ["当前密码不正确"]}
            except ServiceError as err:
                errors = err.fields or {"current_password": [err.message]}
    return render_template("password_change.html", errors=errors, forced=user.must_change_password), \
        422 if errors else 200


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    if request.method == "GET":
        return render_template("password_forgot.html", identifier="", error=None, done=False)
    identifier = request.form.get("identifier", "").strip()
    problem = "请填写用户名或邮箱" if not identifier else text_problem(identifier)
    if problem or len(identifier) > 200:
        return render_template("password_forgot.html", identifier=identifier, done=False,
                               error=problem or "用户名或邮箱不能超过 200 个字符"), 422
    with transaction():
        request_reset(identifier, public_url=current_app.config["GREENLIST_PUBLIC_URL"])
    return render_template("password_forgot.html", identifier="", error=None, done=True, message=RESET_REQUESTED)


@bp.route("/password/set/<token>", methods=["GET", "POST"])
def set_password(token):
    return _link_page("set_password", token)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    return _link_page("reset_password", token)


def _link_page(purpose: str, token: str):
    title = LINK_PAGES[purpose]
    try:
        user = link_account(purpose, token)
    except LinkInvalid as err:
        return render_template("password_link.html", title=title, invalid=err.message, errors={}), err.status
    errors = {}
    if request.method == "POST":
        password = request.form.get("password", "")
        errors = _typed_twice(password, request.form.get("password2", ""), "password")
        if not errors:
            try:
                with transaction():
                    set_password_with_link(purpose, token, password)
                flash("密码已设置，请用新密码登录", "success")
                return redirect(url_for("web.login"))
            except LinkInvalid as err:
                return render_template("password_link.html", title=title, invalid=err.message, errors={}), err.status
            except ServiceError as err:
                errors = err.fields or {"password": [err.message]}
    return render_template("password_link.html", title=title, invalid=None, username=user.username,
                           errors=errors), 422 if errors else 200


def _typed_twice(password: str, again: str, field: str) -> dict:
    """The form's own check (the API takes the password once): both boxes the same."""
    if password and password != again:
        return {f"{field}2": [MISMATCH]}
    return {}
