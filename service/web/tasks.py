"""The task page: the form-js form with the application's context; the script saves drafts and submits."""
from __future__ import annotations

from flask import current_app, render_template
from flask_login import login_required

from service.applications.views import detail_view, open_items
from service.versions.deploy import loaded_version
from service.applications.attachments import KINDS, MAX_ATTACHMENT_BYTES, UploadLimits
from service.applications.inbox import task_page
from service.web.base import bp, me
from service.web.presenters import dump, task_context


@bp.get("/tasks/<task_id>")
@login_required
def task(task_id):
    page = task_page(me(), task_id)
    application = page["application"]
    detail = detail_view(me(), application, open_items(application.id),
                         loaded_version(application.process_version_id).number)
    context = task_context(page, me())
    return render_template("task.html", page=page, detail=detail, context_json=dump(context),
                           history=context["history"], kinds=KINDS, max_file_bytes=MAX_ATTACHMENT_BYTES,
                           limits=UploadLimits.from_config(current_app.config))
