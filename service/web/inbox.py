"""待办 and 已办: the user's open tasks with filters and counts, claim and release, and what they completed."""
from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask_login import login_required

from service.applications.commands import claim_task, unclaim_task
from service.platform.errors import ServiceError
from service.platform.inputs import id_from, text_problem
from service.applications.inbox import done_list, in_inbox, inbox, inbox_counts
from service.applications.numbers import clean_query
from service.organisations.registration import waiting_count
from service.platform.reference import CITIES
from service.web.filters import CATEGORIES
from service.platform.transactions import transaction
from service.web.base import back_to, bp, flash_error, me

PAGE_SIZE = 20
MAX_PAGE = 10 ** 9  # keeps the offset inside a 64-bit integer


def _page_arg() -> int:
    return min(max(id_from(request.args.get("page")) or 1, 1), MAX_PAGE)


@bp.get("/inbox")
@login_required
def inbox_page():
    step = request.args.get("step")
    filters = {"step": step if step and not text_problem(step) else None,
               "city": request.args.get("city") if request.args.get("city") in CITIES else None,
               "category": request.args.get("category") if request.args.get("category") in CATEGORIES else None,
               "claimed": request.args.get("claimed") if request.args.get("claimed") in ("yes", "no", "mine")
               else None,
               "q": clean_query(request.args.get("q"))}
    result = inbox(me(), page=_page_arg(), page_size=PAGE_SIZE, **filters)
    pages = max((result["total"] + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render_template("inbox.html", result=result, counts=inbox_counts(me()), filters=filters, pages=pages,
                           active={k: v for k, v in filters.items() if v}, registrations_waiting=waiting_count(me()))


@bp.get("/done")
@login_required
def done_page():
    result = done_list(me(), page=_page_arg(), page_size=PAGE_SIZE, q=request.args.get("q"))
    pages = max((result["total"] + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render_template("done.html", result=result, pages=pages)


def _claim_change(task_id: str, change, done_message: str):
    try:
        def command():
            with transaction():
                change(task_id=task_id, user=me())
        in_inbox(me(), task_id, command)
        flash(done_message, "success")
    except ServiceError as err:
        flash_error(err)
    return back_to(url_for("web.inbox_page"))


@bp.post("/tasks/<task_id>/claim")
@login_required
def claim(task_id):
    return _claim_change(task_id, claim_task, "已认领，其他人将看到由您办理")


@bp.post("/tasks/<task_id>/unclaim")
@login_required
def unclaim(task_id):
    return _claim_change(task_id, unclaim_task, "已释放认领")
