"""The task page: the form-js form with the application's context; the script saves drafts and submits.
A review task whose expert declared a conflict shows the province the substitutes instead."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required

from service.applications.views import detail_view, open_items
from service.versions.deploy import loaded_version
from service.applications.attachments import INTERNAL_KINDS, KINDS, MAX_ATTACHMENT_BYTES, UploadLimits
from service.applications.verification import is_verification_form
from service.applications.inbox import in_inbox, task_page
from service.register.service import recent_removal
from service.applications.panel_changes import substitute_expert
from service.platform.errors import ServiceError
from service.platform.inputs import id_from
from service.platform.transactions import transaction
from service.web.base import bp, me
from service.web.actions import task_actions
from service.web.presenters import dump, task_context


APPLICANT_KINDS = ("self_evaluation_report", "third_party_report", "other")


def _upload_kinds(page) -> tuple[str, ...]:
    """What this step uploads: the unit its materials; a step recording the verification (the city review) the
    evidence and the departments' replies its form then offers for choice."""
    if page["task"]["role"] == "applicant":
        return APPLICANT_KINDS
    if is_verification_form(page["form"] or {}):
        return INTERNAL_KINDS
    return ()


def _render(task_id, *, typed=None, error=None, status=200):
    page = task_page(me(), task_id)
    application = page["application"]
    detail = detail_view(me(), application, open_items(application.id),
                         loaded_version(application.process_version_id).number, with_mismatches=False)
    if page["substitution"] is not None:
        return render_template("task_substitute.html", page=page, detail=detail, typed=typed or {},
                               error=error), status
    context = task_context(page, me())
    # The unit's own step shows what the provincial register holds against it (the eligibility decision reads it).
    removal = recent_removal(application.credit_code) if page["task"]["role"] == "applicant" else None
    return render_template("task.html", page=page, detail=detail, context_json=dump(context), context=context,
                           register_removal=removal,
                           history=context["history"], kinds=KINDS, upload_kinds=_upload_kinds(page),
                           max_file_bytes=MAX_ATTACHMENT_BYTES,
                           limits=UploadLimits.from_config(current_app.config),
                           actions=task_actions(me(), page["task"]["task_id"])), status


@bp.get("/tasks/<task_id>")
@login_required
def task(task_id):
    return _render(task_id)


@bp.post("/tasks/<task_id>/substitute")
@login_required
def task_substitute(task_id):
    """The province's choice of a substitute for an expert who declared a conflict (drawn or named)."""
    typed = {"method": request.form.get("method", ""), "expert": request.form.get("expert", ""),
             "reason": request.form.get("reason", "")}

    def command():
        with transaction():
            return substitute_expert(task_id=task_id, user=me(), method=typed["method"],
                                     expert_id=id_from(typed["expert"]), reason=typed["reason"])
    try:
        done = in_inbox(me(), task_id, command)
    except ServiceError as err:
        if err.status not in (409, 422):
            raise
        reasons = "；".join(m for messages in err.fields.values() for m in messages)
        return _render(task_id, typed=typed, error=f"{err.message}{'：' + reasons if reasons else ''}",
                       status=err.status)
    flash(f"已更换评审专家：{done['substitute']['name']}替补{done['conflict']['expert']['name']}", "success")
    return redirect(url_for("web.application", application_id=done["conflict"]["application_id"]))
