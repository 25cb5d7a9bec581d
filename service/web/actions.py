"""The task actions on the pages: 转办 on the task page; 撤回, 放弃申报, 催办 and 抄送 on the application page;
抄送我的. Each form posts here, runs one service command in one transaction and comes back with a message."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from service.applications import actions
from service.applications.access import hand_over_colleagues, may_copy, may_hand_over, may_withdraw
from service.applications.inbox import in_inbox
from service.applications.models import Application, WorkItem
from service.applications.views import open_items
from service.platform.errors import ServiceError
from service.platform.extensions import db
from service.platform.inputs import id_from, text_problem
from service.platform.timeutil import last_day_text, utcnow
from service.platform.transactions import transaction
from service.web.base import back_to, bp, flash_error, me
from service.web.inbox import PAGE_SIZE, _page_arg


def _search_text(name: str) -> str:
    text = (request.args.get(name) or "").strip()[:50]
    return "" if text_problem(text) else text


def _flash_fields(err: ServiceError) -> None:
    flash_error(err)
    for problems in err.fields.values():
        for problem in problems:
            flash(problem, "error")


def task_actions(user, task_id: str) -> dict | None:
    """The task page's 转办 block: whether ``user`` may hand the task over, and to whom (searched)."""
    item = db.session.scalar(select(WorkItem).where(WorkItem.task_id == str(task_id)))
    if item is None or not may_hand_over(user, item):
        return None
    text = _search_text("colleague")
    return {"task_id": item.task_id, "name": item.name, "search": text,
            "colleagues": hand_over_colleagues(item, user, text)}


def application_actions(user, application: Application) -> dict:
    """The application page's actions block: what ``user`` may do to it now."""
    items = open_items(application.id)
    result = {"take_back": None, "withdraw": None, "urge": [], "copy_to": None}
    if application.outcome is not None:
        return result
    result["take_back"] = actions.take_back_view(user, application, items)
    if may_withdraw(user, application):
        deadline = actions.withdraw_deadline(application)
        result["withdraw"] = {"deadline": last_day_text(deadline), "open": utcnow() < deadline}
    urgeable = actions.urgeable(user, items)
    marks = actions.urge_marks(sorted(urgeable))
    result["urge"] = [{"task_id": i.task_id, "name": i.name, "mark": marks.get(i.task_id)}
                      for i in items if i.task_id in urgeable]
    if may_copy(user):
        text = _search_text("copy_to")
        result["copy_to"] = {"search": text, "colleagues": actions.copy_candidates(application_id=application.id,
                                                                                user=user, text=text)}
    return result


@bp.post("/tasks/<task_id>/hand-over")
@login_required
def hand_over(task_id):
    def command():
        with transaction():
            return actions.hand_over(task_id=task_id, to=id_from(request.form.get("to")),
                                     reason=request.form.get("reason", ""), user=me())
    try:
        in_inbox(me(), task_id, command)
    except ServiceError as err:
        if err.status not in (409, 422):
            raise
        _flash_fields(err)
        return redirect(url_for("web.task", task_id=task_id) + "#actions")
    flash("已转办，同事已收到通知；审计记录已写入", "success")
    return redirect(url_for("web.inbox_page"))


@bp.post("/applications/<int:application_id>/take-back")
@login_required
def take_back(application_id):
    try:
        with transaction():
            actions.take_back(application_id=application_id, reason=request.form.get("reason", ""), user=me())
    except ServiceError as err:
        if err.status not in (403, 409, 422):
            raise
        _flash_fields(err)
        return redirect(url_for("web.application", application_id=application_id) + "#actions")
    flash("已撤回，环节已回到您的待办，上次提交的内容已带出，可修改后重新提交", "success")
    mine = db.session.scalar(select(WorkItem).where(WorkItem.application_id == application_id)
                             .order_by(WorkItem.id.desc()).limit(1))
    if mine is not None:
        return redirect(url_for("web.task", task_id=mine.task_id))
    return redirect(url_for("web.application", application_id=application_id))


@bp.post("/applications/<int:application_id>/withdraw")
@login_required
def withdraw(application_id):
    try:
        with transaction():
            actions.withdraw(application_id=application_id, reason=request.form.get("reason", ""), user=me())
    except ServiceError as err:
        if err.status not in (403, 409, 422):
            raise
        _flash_fields(err)
        return redirect(url_for("web.application", application_id=application_id) + "#actions")
    flash("已放弃申报，本申报已结束，待办与期限已撤销", "success")
    return redirect(url_for("web.application", application_id=application_id))


@bp.post("/tasks/<task_id>/urge")
@login_required
def urge(task_id):
    try:
        with transaction():
            done = actions.urge(task_id=task_id, note=request.form.get("note", ""), user=me())
        flash(f"已催办“{done['name']}”，已通知 {done['owner_count']} 位办理人", "success")
    except ServiceError as err:
        if err.status not in (403, 404, 409, 422):
            raise
        _flash_fields(err)
    return back_to(url_for("web.inbox_page"))


@bp.post("/applications/<int:application_id>/copies")
@login_required
def copy(application_id):
    try:
        with transaction():
            done = actions.copy_application(application_id=application_id, to=id_from(request.form.get("to")),
                                            note=request.form.get("note", ""), user=me())
        flash(f"已抄送给 {done['to']['display_name']}，对方可查看本申报并已收到通知", "success")
    except ServiceError as err:
        if err.status not in (403, 409, 422):
            raise
        _flash_fields(err)
    return redirect(url_for("web.application", application_id=application_id) + "#actions")


@bp.get("/copied")
@login_required
def copied_page():
    result = actions.copied_to_me(me(), page=_page_arg(), page_size=PAGE_SIZE)
    pages = max((result["total"] + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render_template("copied.html", result=result, pages=pages)
