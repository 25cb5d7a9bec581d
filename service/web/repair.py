"""Repair of an application from its page (administrators): retry what a process error refused, return
it to an earlier step. The page shows the error and the way out; these forms post here."""
from __future__ import annotations

from flask import flash, redirect, request, url_for

from service.applications.repair import retry, rewind
from service.platform.errors import ServiceError
from service.platform.transactions import transaction
from service.web.base import bp, flash_error, me, roles_required


@bp.post("/admin/applications/<int:application_id>/retry")
@roles_required("admin")
def admin_retry(application_id):
    try:
        with transaction():
            retry(application_id=application_id, user=me())
        flash("重试成功，申报已继续办理；审计记录已写入", "success")
    except ServiceError as err:
        flash_error(err)
    return redirect(url_for("web.application", application_id=application_id))


@bp.post("/admin/applications/<int:application_id>/rewind")
@roles_required("admin")
def admin_rewind(application_id):
    element_id, reason = request.form.get("element_id", ""), request.form.get("reason", "")
    try:
        with transaction():
            rewind(application_id=application_id, element_id=element_id, reason=reason, user=me())
        flash("已退回，相关待办已更新；审计记录已写入", "success")
    except ServiceError as err:
        flash_error(err)
        for problems in err.fields.values():
            for problem in problems:
                flash(problem, "error")
        # The form keeps what was chosen and typed.
        return redirect(url_for("web.application", application_id=application_id, rewind_to=element_id[:200],
                                reason=reason[:500]) + "#repair")
    return redirect(url_for("web.application", application_id=application_id))
