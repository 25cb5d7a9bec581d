"""站内消息: the message centre page, marking read, and the unread count the header shows."""
from __future__ import annotations

from flask import flash, redirect, request, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from service.notify.messages import KIND_NAMES, mark_all_read, mark_read, message_list, unread_count, unread_label
from service.platform.errors import ServiceError
from service.platform.transactions import transaction
from service.web.base import back_to, bp, flash_error, me
from service.web.inbox import PAGE_SIZE, _page_arg


def header_unread() -> str:
    """The header's badge text ('' when nothing is unread); called by base.html only for a signed-in user."""
    if not current_user.is_authenticated:
        return ""
    try:
        count = unread_count(me())
    except SQLAlchemyError:  # an error page after a failed transaction still renders, without the badge
        return ""
    return unread_label(count) if count else ""


@bp.get("/messages")
@login_required
def messages_page():
    unread = request.args.get("unread") == "1"
    result = message_list(me(), page=_page_arg(), page_size=PAGE_SIZE, unread=unread)
    pages = max((result["total"] + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render_template("messages.html", result=result, pages=pages, unread=unread, kind_names=KIND_NAMES,
                           unread_text=unread_label(result["unread_count"]))


@bp.post("/messages/<int:message_id>/read")
@login_required
def message_read(message_id):
    try:
        with transaction():
            message = mark_read(me(), message_id)
            application_id = message.application_id
    except ServiceError as err:
        flash_error(err)
        return redirect(url_for("web.messages_page"))
    if request.form.get("open") and application_id:  # 查看: read it and go to the application
        return redirect(url_for("web.application", application_id=application_id))
    return back_to(url_for("web.messages_page"))


@bp.post("/messages/read-all")
@login_required
def messages_read_all():
    with transaction():
        marked = mark_all_read(me())
    flash(f"已将 {marked} 条消息标为已读" if marked else "没有未读消息", "success")
    return back_to(url_for("web.messages_page"))


def register(app) -> None:
    app.jinja_env.globals.update(header_unread=header_unread)
