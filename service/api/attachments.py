"""Attachments: upload a PDF to an application, download it if you may see the application."""
from pathlib import Path

from flask import current_app, send_file
from flask_smorest.fields import Upload
from marshmallow import Schema

from ..attachments import KINDS, attachment_for, store_attachment
from ..inputs import Int, Text
from ..transactions import transaction
from .auth import BEARER, current_user, protect
from .blueprint import Blueprint
from .schemas import AttachmentSchema

blp = Blueprint("attachments", __name__, url_prefix="/api/attachments", description="附件（PDF）")
protect(blp)


class UploadForm(Schema):
    application_id = Int(required=True)
    kind = Text(required=True, metadata={"description": " / ".join(KINDS)})


class UploadFile(Schema):
    file = Upload(required=True)


def storage_folder() -> Path:
    return Path(current_app.config.get("GREENLIST_ATTACHMENTS_DIR") or Path(current_app.instance_path) / "attachments")


@blp.route("", methods=["POST"])
@blp.arguments(UploadForm, location="form")
@blp.arguments(UploadFile, location="files")
@blp.response(201, AttachmentSchema)
@blp.doc(security=BEARER)
def upload(form, files):
    """上传 PDF 附件（大小上限，按内容检查类型）"""
    upload_file = files["file"]
    with transaction():
        return store_attachment(user=current_user(), application_id=form["application_id"], kind=form["kind"],
                                filename=upload_file.filename or "", content=upload_file.read(),
                                folder=storage_folder())


@blp.route("/<int:attachment_id>")
@blp.doc(security=BEARER, responses={200: {"description": "PDF 文件"}})
def download(attachment_id):
    """下载附件（仅能看到该申报的人）"""
    attachment = attachment_for(current_user(), attachment_id)
    return send_file(storage_folder() / attachment.stored_name, mimetype="application/pdf", as_attachment=True,
                     download_name=attachment.original_name)
