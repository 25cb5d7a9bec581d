"""The provincial register (名单库) over HTTP: search, one entry with its history, 动态调整 removal, import of an
earlier year's list, export for national nominations, and the public list (no login, nothing personal)."""
from __future__ import annotations

import io
from pathlib import Path

from flask import current_app, send_file
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from service.api.auth import BEARER, current_user, protect
from service.api.blueprint import Blueprint
from service.api.schemas import ActorNames, PageArgs, page_schema, person
from service.platform.inputs import Text
from service.platform.reference import CITIES
from service.platform.transactions import transaction
from service.register import files as register_files
from service.register import service as register
from service.register.models import LISTED, REMOVED, STATUS_LABELS

blp = Blueprint("register", __name__, url_prefix="/api/list-register", description="省级绿色制造名单库")
protect(blp, public=("register.public_list",))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def document_folder() -> Path:
    base = current_app.config.get("GREENLIST_ATTACHMENTS_DIR") or Path(current_app.instance_path) / "attachments"
    return Path(base) / "register"


class RegisterChangeSchema(ActorNames):
    ACTORS = ("recorded_by",)
    id = fields.Integer()
    status = fields.String(metadata={"description": "listed 在册 / removed 已动态调整出名单"})
    effective_on = fields.Date()
    reason = fields.String()
    document_number = fields.String()
    document_name = fields.String()
    recorded_by = fields.String()
    recorded_by_name = person("登记人")
    recorded_at = fields.DateTime()


class RegisterEntrySchema(Schema):
    id = fields.Integer()
    credit_code = fields.String()
    unit_name = fields.String()
    category = fields.String()
    category_name = fields.String()
    level = fields.String()
    city_code = fields.String()
    city = fields.Function(lambda e: CITIES.get(e.city_code, e.city_code))
    round_id = fields.Integer(allow_none=True)
    round_name = fields.String()
    year = fields.Integer()
    listed_on = fields.Date()
    status = fields.String()
    status_label = fields.Function(lambda e: STATUS_LABELS.get(e.status, e.status))
    source = fields.String(metadata={"description": "published 本系统发布 / imported 导入的历年名单"})
    application_id = fields.Integer(allow_none=True)


class RegisterEntryDetailSchema(RegisterEntrySchema):
    history = fields.Nested(RegisterChangeSchema, many=True)


class PublicRegisterEntrySchema(Schema):
    """What the public page shows: the unit and its listing, nothing personal."""

    unit_name = fields.String()
    credit_code = fields.String()
    category_name = fields.String()
    round_name = fields.String()
    year = fields.Integer()
    city = fields.Function(lambda e: CITIES.get(e.city_code, e.city_code))


class RegisterSearchArgs(PageArgs):
    q = Text(validate=validate.Length(max=100), metadata={"description": "单位名称（部分）或统一社会信用代码"})
    category = Text(validate=validate.Length(max=40), metadata={"description": "类别代码，如 factory"})
    city = Text(validate=validate.OneOf(list(CITIES)), metadata={"description": "市州代码"})
    status = Text(validate=validate.OneOf([LISTED, REMOVED, "all"]), load_default=LISTED,
                  metadata={"description": "listed（默认）/ removed / all"})


class PublicRegisterArgs(PageArgs):
    q = Text(validate=validate.Length(max=100), metadata={"description": "单位名称（部分）或统一社会信用代码"})
    category = Text(validate=validate.Length(max=40))
    city = Text(validate=validate.OneOf(list(CITIES)))


class RegisterExportArgs(Schema):
    category = Text(validate=validate.Length(max=40))
    city = Text(validate=validate.OneOf(list(CITIES)))
    status = Text(validate=validate.OneOf([LISTED, "all"]), load_default=LISTED)


class RegisterRemovalForm(Schema):
    reason = Text(required=True, multiline=True, error_messages={"required": "请填写动态调整的原因"},
                  metadata={"description": "动态调整的原因"})
    effective_on = fields.Date(required=True, error_messages={"required": "请填写调整日期（YYYY-MM-DD）",
                                                              "invalid": "调整日期应为 YYYY-MM-DD"})
    document_number = Text(load_default="", metadata={"description": "调整文件的文号（可选）"})


class RegisterDocumentFile(Schema):
    document = Upload(metadata={"description": "动态调整文件（PDF，≤ 20 MB）"})


class RegisterImportFile(Schema):
    file = Upload(required=True, metadata={"description": "按模板填写的 .xlsx"})


class RegisterImportResultSchema(Schema):
    imported = fields.Integer()


def _query(args, status) -> register.Query:
    return register.Query(q=args.get("q") or "", category=args.get("category"), city=args.get("city"),
                          status=None if status == "all" else status, page=args.get("page", 1),
                          page_size=args.get("page_size", 20))


def _page(args, status):
    rows, total = register.search(_query(args, status))
    return {"items": rows, "total": total, "page": args["page"], "page_size": args["page_size"]}


@blp.route("")
@blp.arguments(RegisterSearchArgs, location="query")
@blp.response(200, page_schema(RegisterEntrySchema, "RegisterPage"))
@blp.doc(security=BEARER)
def search(args):
    """名单库检索（省厅、管理员、审计）：按名称或信用代码查找，按类别、市州、状态筛选，分页"""
    register.require_reader(current_user())
    return _page(args, args["status"])


@blp.route("/public")
@blp.arguments(PublicRegisterArgs, location="query")
@blp.response(200, page_schema(PublicRegisterEntrySchema, "PublicRegisterPage"))
def public_list(args):
    """现行省级绿色制造名单（公开，无需登录）：单位名称、信用代码、类别、批次、市州；分页、可查找"""
    return _page(args, LISTED)


@blp.route("/<int:entry_id>")
@blp.response(200, RegisterEntryDetailSchema)
@blp.doc(security=BEARER)
def detail(entry_id):
    """名单库记录及其状态变化（列入、动态调整）"""
    register.require_reader(current_user())
    entry = register.get_entry_or_404(entry_id)
    entry.history = register.history(entry.id)
    return entry


@blp.route("/<int:entry_id>/removal", methods=["POST"])
@blp.arguments(RegisterRemovalForm, location="form")
@blp.arguments(RegisterDocumentFile, location="files")
@blp.response(200, RegisterEntryDetailSchema)
@blp.doc(security=BEARER)
def remove(form, files, entry_id):
    """动态调整出名单（省厅、管理员）：原因、调整日期、调整文件（PDF）必填；记入审计。
    此后该单位三年内申报，资格审查按名单库记录直接排除（不论其自己如何填报）"""
    upload = files.get("document")
    document = register.Document(upload.filename or "", upload.read()) if upload else None
    with transaction():
        register.remove(entry_id, reason=form["reason"], effective_on=form["effective_on"],
                        document_number=form.get("document_number", ""), document=document, user=current_user(),
                        folder=document_folder())
    entry = register.get_entry_or_404(entry_id)
    entry.history = register.history(entry.id)
    return entry


@blp.route("/documents/<int:change_id>")
@blp.doc(security=BEARER, responses={200: {"description": "动态调整文件 PDF"}})
def document(change_id):
    """下载动态调整文件（省厅、管理员、审计）"""
    change = register.removal_document(change_id, current_user())
    response = send_file(document_folder() / change.document_stored, mimetype="application/pdf", as_attachment=True,
                         download_name=change.document_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blp.route("/import", methods=["POST"])
@blp.arguments(RegisterImportFile, location="files")
@blp.response(200, RegisterImportResultSchema)
@blp.doc(security=BEARER)
def import_file(files):
    """导入历年省级名单（.xlsx，按模板；省厅、管理员）：逐格校验（信用代码按 GB 32100 校验位），
    全部成功或全部不导入，错误指出行和列"""
    upload = files["file"]
    with transaction():
        entries = register_files.import_workbook(upload.read(), filename=upload.filename or "", user=current_user())
        return {"imported": len(entries)}


@blp.route("/template")
@blp.doc(security=BEARER, responses={200: {"description": "名单库导入模板 .xlsx（含填写说明）"}})
def template():
    """下载历年名单导入模板"""
    register.require_keeper(current_user())
    return send_file(io.BytesIO(register_files.template_workbook()), mimetype=XLSX, as_attachment=True,
                     download_name="省级绿色制造名单导入模板.xlsx")


@blp.route("/export")
@blp.arguments(RegisterExportArgs, location="query")
@blp.doc(security=BEARER, responses={200: {"description": "名单库 .xlsx（国家级推荐用）"}})
def export(args):
    """导出现行名单（国家级名单推荐用；可按类别、市州筛选；省厅、管理员、审计；导出记入审计）"""
    query = _query(args, args["status"])
    with transaction():
        content = register_files.export_workbook(query, user=current_user())
    return send_file(io.BytesIO(content), mimetype=XLSX, as_attachment=True,
                     download_name=f"省级绿色制造名单库-{register.today():%Y%m%d}.xlsx")

