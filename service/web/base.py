"""The web blueprint, its login manager and CSRF check, and what every page shares."""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from service.accounts.service import activity_due, live_session, note_activity
from service.platform.errors import ServiceError
from service.platform.extensions import csrf, db, login_manager
from service.accounts.models import User
from service.platform.transactions import transaction

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/static/web")
login_manager.login_view = "web.login"
login_manager.login_message = "请先登录"
login_manager.login_message_category = "info"

UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
SESSION_ID = "sid"  # the cookie's key naming the server-side WebSession


@login_manager.user_loader
def load_user(user_id: str):
    """The user of this request's cookie, only while its server-side session lives.

    A signed cookie alone would stay valid until it expires, whatever happened since; the session record
    is what logging out, a password change and a deactivation end.
    """
    found = live_session(session.get(SESSION_ID))
    if found is None or str(found[0].user_id) != user_id:
        return None
    record, user = found
    if activity_due(record):
        with transaction():  # a few-minute step, not every request: reading a page writes nothing
            note_activity(record)
        user = db.session.get(User, int(user_id))  # read again after the commit
    return user


@bp.before_request
def check_csrf():
    if request.method in UNSAFE_METHODS:
        csrf.protect()


@bp.errorhandler(CSRFError)
def csrf_failed(err):
    return render_template("error.html", status=400, message="页面已过期或来源不明，请刷新页面后重试。"), 400


@bp.errorhandler(ServiceError)
def service_error(err: ServiceError):
    # An error about one application the reader may see (a task done since) leads to it instead of a dead end.
    details = err.details if isinstance(err.details, dict) else {}
    return render_template("error.html", status=err.status, message=err.message,
                           application_id=details.get("application_id")), err.status


def me() -> User:
    return current_user._get_current_object()


def roles_required(*roles):
    """The page is for these roles only: others get a readable 403 page."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not any(me().has_role(role) for role in roles):
                return forbidden_page()
            return view(*args, **kwargs)

        return wrapper

    return decorator


def forbidden_page():
    return render_template("error.html", status=403, message="您的角色无权打开此页面。"), 403


def local_path(target: str | None) -> str | None:
    r"""``target`` if a browser would take it for a path on this site, else None.

    Browsers read an address leniently (WHATWG URL): they drop tabs and newlines anywhere, strip control
    characters and spaces around it, and take a backslash for a slash, so "/\t/evil.test" and "/\evil.test"
    both mean "//evil.test", another site. A link we made has none of these, so any of them refuses the
    target outright (a newline would also break the Location header). What is left reads the same to the
    browser and to us, and one leading slash not followed by another is a path here: no scheme, no host.
    """
    if not target or any(ord(char) < 0x20 or ord(char) == 0x7F or char == "\\" for char in target):
        return None
    return target if target.startswith("/") and not target.startswith("//") else None


def back_to(default: str):
    """Redirect to the page the form came from when it is ours, else to ``default``."""
    return redirect(local_path(request.form.get("next")) or default)


def flash_error(err: ServiceError) -> None:
    flash(err.message, "error")
    if isinstance(err.details, dict):
        for key, reason in list(err.details.items())[:20]:
            flash(f"申报 {key}：{reason}", "error")


def home_for(user: User) -> str:
    if user.has_role("applicant") and len(user.roles) == 1:
        return url_for("web.my_applications")
    if user.has_role("auditor") or user.has_role("admin"):
        return url_for("web.applications")
    return url_for("web.inbox_page")
