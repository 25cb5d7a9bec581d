"""The draft page's notice files (通知附件): an administrator uploads next year's template or requirements
into a draft, replacing last year's file or adding one; deploying the draft makes the new version offer it
while the versions already deployed keep offering theirs."""
from __future__ import annotations

from flask import flash, redirect, request, url_for

from service.platform.errors import ServiceError
from service.platform.inputs import id_from
from service.platform.transactions import transaction
from service.versions.drafts import delete_notice_file, get_draft_or_404, save_notice_file
from service.web.base import bp, flash_error, me, roles_required


def _back(draft_id: int):
    return redirect(url_for("web.admin_draft", draft_id=draft_id) + "#notice-files")


@bp.post("/admin/drafts/<int:draft_id>/notice-files")
@roles_required("admin")
def admin_draft_notice_file(draft_id):
    upload = request.files.get("file")
    replaces = request.form.get("replaces") or None
    try:
        if upload is None or not upload.filename:
            flash("请选择要上传的文件（PDF、Word 或 Excel）", "error")
            return _back(draft_id)
        with transaction():
            save_notice_file(get_draft_or_404(draft_id), name=upload.filename, title=request.form.get("title", ""),
                             categories=request.form.getlist("categories"), content=upload.read(),
                             replaces=replaces, actor=me().username,
                             expected_revision=id_from(request.form.get("revision")))
    except ServiceError as err:
        flash_error(err)
        for messages in err.fields.values():
            for message in messages:
                flash(message, "error")
        return _back(draft_id)
    flash(f"已{'替换' if replaces else '上传'}通知附件：{upload.filename}（部署后生效）", "success")
    return _back(draft_id)


@bp.post("/admin/drafts/<int:draft_id>/notice-files/delete")
@roles_required("admin")
def admin_draft_notice_file_delete(draft_id):
    name = request.form.get("file", "")
    try:
        with transaction():
            delete_notice_file(get_draft_or_404(draft_id), name, actor=me().username,
                               expected_revision=id_from(request.form.get("revision")))
    except ServiceError as err:
        flash_error(err)
        return _back(draft_id)
    flash(f"已从草稿中删除通知附件：{name}", "success")
    return _back(draft_id)
