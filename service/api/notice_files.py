"""The notice's files of a process version (推荐汇总表, evaluation requirements, report templates): listed and
downloaded by anyone signed in; added to or replaced in a draft by an administrator for next year."""
import io

from flask import send_file
from flask_smorest.fields import Upload
from marshmallow import Schema, fields

from service.api.auth import BEARER, current_user, protect, roles_required
from service.api.blueprint import Blueprint
from service.api.drafts import ProcessDraftSummarySchema
from service.platform.inputs import Int, Text
from service.platform.transactions import transaction
from service.versions.deploy import get_version_or_404, loaded_version
from service.versions.drafts import delete_notice_file, get_draft_or_404, save_notice_file
from service.versions.notice_files import file_content, offered

blp = Blueprint("notice_files", __name__, url_prefix="/api", description="通知附件（随流程版本发布的模板与要求）")
protect(blp)


class NoticeFileSchema(Schema):
    file = fields.String(metadata={"description": "文件名（下载地址的最后一段）"})
    title = fields.String()
    categories = fields.List(fields.String(), metadata={"description": "适用类别（空：全部类别）"})
    size = fields.Integer()
    sha256 = fields.String()


class NoticeFileArgs(Schema):
    category = Text(load_default=None, metadata={"description": "只列出适用于该类别的文件"})


class NoticeFileUploadForm(Schema):
    title = Text(required=True, metadata={"description": "中文标题，如 附件4 绿色工厂第三方评价报告模板"})
    categories = Text(load_default="", metadata={"description": "适用类别 key，逗号分隔；留空表示全部类别"})
    replaces = Text(load_default=None, metadata={"description": "替换草稿中的哪个文件（文件名）；不填则新增"})
    revision = Int(load_default=None, metadata={"description": "打开草稿时读到的 revision"})


class NoticeFileUpload(Schema):
    file = Upload(required=True)


class DraftRevisionArgs(Schema):
    revision = Int(load_default=None)


@blp.route("/process-versions/<int:version_id>/notice-files")
@blp.arguments(NoticeFileArgs, location="query")
@blp.response(200, NoticeFileSchema(many=True))
@blp.doc(security=BEARER)
def list_files(args, version_id):
    """一个流程版本的通知附件"""
    get_version_or_404(version_id)
    return offered(loaded_version(version_id).definition.notice_files, args["category"])


@blp.route("/process-versions/<int:version_id>/notice-files/<path:name>")
@blp.doc(security=BEARER, responses={200: {"description": "文件（PDF、Word 或 Excel）"}})
def download(version_id, name):
    """下载一个通知附件（该版本部署时的文件，以后不会改变）"""
    get_version_or_404(version_id)
    entry, content = file_content(loaded_version(version_id).definition.notice_files, name)
    response = send_file(io.BytesIO(content), mimetype=entry.media_type, as_attachment=True, download_name=entry.file)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blp.route("/process-drafts/<int:draft_id>/notice-files", methods=["POST"])
@blp.arguments(NoticeFileUploadForm, location="form")
@blp.arguments(NoticeFileUpload, location="files")
@blp.response(200, ProcessDraftSummarySchema)
@blp.doc(security=BEARER)
@roles_required("admin")
def upload_to_draft(form, files, draft_id):
    """上传通知附件到草稿（新增，或以 replaces 替换原文件）；部署后新版本提供新文件，旧版本仍提供旧文件"""
    upload = files["file"]
    categories = [c.strip() for c in (form["categories"] or "").split(",") if c.strip()]
    with transaction():
        draft = save_notice_file(get_draft_or_404(draft_id), name=upload.filename or "", title=form["title"],
                                 categories=categories, content=upload.read(), replaces=form["replaces"],
                                 actor=current_user().username, expected_revision=form["revision"])
        return _summary(draft)


@blp.route("/process-drafts/<int:draft_id>/notice-files/<path:name>", methods=["DELETE"])
@blp.arguments(DraftRevisionArgs, location="query")
@blp.response(200, ProcessDraftSummarySchema)
@blp.doc(security=BEARER)
@roles_required("admin")
def delete_from_draft(args, draft_id, name):
    """从草稿中删除一个通知附件"""
    with transaction():
        draft = delete_notice_file(get_draft_or_404(draft_id), name, actor=current_user().username,
                                   expected_revision=args["revision"])
        return _summary(draft)


def _summary(draft) -> dict:
    """The draft's columns read inside the transaction (the names beside them are added at dump)."""
    return {name: getattr(draft, name) for name, field in ProcessDraftSummarySchema().fields.items()
            if not field.dump_only}
