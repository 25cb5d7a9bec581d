"""Attachments: upload a PDF to an application, download it if you may see the application."""
from pathlib import Path

from flask import current_app, send_file
from flask_smorest.fields import Upload
from marshmallow import Schema

from service.applications.attachments import (KINDS, UploadLimits, attachment_for, pdf_download_name, remove_attachment,
                                              replace_attachment, store_attachment)
from service.platform.inputs import Int, Text
from service.platform.transactions import transaction
from service.api.auth import BEARER, current_user, protect
from service.api.blueprint import Blueprint
from service.api.schemas import AttachmentSchema

blp = Blueprint("attachments", __name__, url_prefix="/api/attachments", description="附件（PDF）")
protect(blp)


class UploadForm(Schema):
    application_id = Int(required=True)
    kind = Text(required=True, metadata={"description": " / ".join(KINDS)})


class UploadFile(Schema):
    file = Upload(required=True)


class ReplaceForm(Schema):
    kind = Text(load_default=None, metadata={"description": "新文件的材料类型（默认沿用原附件的类型）"})


def storage_folder() -> Path:
    return Path(current_app.config.get("GREENLIST_ATTACHMENTS_DIR") or Path(current_app.instance_path) / "attachments")


@blp.route("", methods=["POST"])
@blp.arguments(UploadForm, location="form")
@blp.arguments(UploadFile, location="files")
@blp.response(201, AttachmentSchema)
@blp.alt_response(413, schema="Error", description="payload_too_large：请求过大；attachments_too_large：这份申报的附件合计将超过上限")
@blp.alt_response(429, schema="Error", description="upload_rate_limited：本账号一小时内上传过多，Retry-After 为需等待的秒数")
@blp.doc(security=BEARER)
def upload(form, files):
    """上传 PDF 附件（单个不超过 20 MB，按内容检查类型）

    每份申报最多 30 个附件、合计 200 MB（所有上传者合计，超出数量为 422 too_many_attachments），
    每个账号每小时最多 100 个文件、500 MB（超出为 429 upload_rate_limited）；上限可由部署设置调整。
    """
    upload_file = files["file"]
    with transaction():
        return store_attachment(user=current_user(), application_id=form["application_id"], kind=form["kind"],
                                filename=upload_file.filename or "", content=upload_file.read(),
                                folder=storage_folder(), limits=UploadLimits.from_config(current_app.config))


@blp.route("/<int:attachment_id>")
@blp.doc(security=BEARER, responses={200: {"description": "PDF 文件"}})
def download(attachment_id):
    """下载附件（仅能看到该申报的人）"""
    attachment = attachment_for(current_user(), attachment_id)
    # Rows stored before names were forced to .pdf may say "evil.html": the offered name never does.
    response = send_file(storage_folder() / attachment.stored_name, mimetype="application/pdf", as_attachment=True,
                         download_name=pdf_download_name(attachment.original_name))
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blp.route("/<int:attachment_id>", methods=["DELETE"])
@blp.response(200, AttachmentSchema)
@blp.alt_response(409, schema="Error", description="declaration_submitted：申报书已提交；attachment_removed：已删除或替换")
@blp.doc(security=BEARER)
def delete(attachment_id):
    """删除附件（申报单位，申报书提交前；文件留档并记入审计链）"""
    with transaction():
        return remove_attachment(user=current_user(), attachment_id=attachment_id)


@blp.route("/<int:attachment_id>/replace", methods=["POST"])
@blp.arguments(ReplaceForm, location="form")
@blp.arguments(UploadFile, location="files")
@blp.response(201, AttachmentSchema)
@blp.alt_response(409, schema="Error", description="declaration_submitted：申报书已提交；attachment_removed：已删除或替换")
@blp.doc(security=BEARER)
def replace(form, files, attachment_id):
    """替换附件（申报单位，申报书提交前）：上传新文件，原文件留档（名称、哈希、替换人和时间记入审计链）"""
    upload_file = files["file"]
    with transaction():
        return replace_attachment(user=current_user(), attachment_id=attachment_id, kind=form.get("kind"),
                                  filename=upload_file.filename or "", content=upload_file.read(),
                                  folder=storage_folder(), limits=UploadLimits.from_config(current_app.config))
