"""Accounts managed by the administrator: staff, city reviewers, experts, auditors; xlsx import and export."""
import io

from flask import current_app, send_file
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate
from marshmallow.utils import get_value

from service.accounts.admin import (account_kinds, create_account, deactivate_account, get_account_or_404,
                                    list_accounts, reactivate_account, reissue_access, update_account)
from service.accounts.bulk import export_workbook, import_accounts, template_workbook
from service.audit import chain as audit
from service.platform.inputs import Text
from service.platform.reference import CITIES
from service.platform.transactions import transaction
from service.api.auth import BEARER, current_user, protect, roles_required
from service.api.blueprint import Blueprint
from service.api.schemas import PageArgs, page_schema

blp = Blueprint("accounts", __name__, url_prefix="/api/accounts",
                description="账号管理（仅系统管理员）：省厅、市州工信局、评审专家、审计账号")
protect(blp)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KINDS = "角色代码，见 GET /api/roles（如 province_staff、city_reviewer、expert、auditor、admin，及管理员添加的角色）"


class AccountSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    roles = fields.List(fields.String())
    city_code = fields.String(allow_none=True)
    city_name = fields.Function(lambda u: CITIES.get(get_value(u, "city_code")), allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    employer = fields.String(allow_none=True)
    specialties = fields.List(fields.String())
    industry_codes = fields.List(fields.String())
    unit_name = fields.String(allow_none=True)
    active = fields.Boolean()
    must_change_password = fields.Boolean()
    created_at = fields.DateTime()


class AccountChangeSchema(Schema):
    display_name = Text(metadata={"description": "姓名（或科室名称）"})
    roles = fields.List(Text(), metadata={"description": f"账号类型，可多选：{KINDS}"})
    city_code = Text(allow_none=True, metadata={"description": "所在市州代码；市州工信局必填，专家选填（用于回避）"})
    email = Text(allow_none=True, metadata={"description": "邮箱；新账号有邮箱时发送设置密码链接"})
    phone = Text(allow_none=True, metadata={"description": "手机或带区号的固定电话"})
    employer = Text(allow_none=True, metadata={"description": "工作单位（专家）"})
    specialties = fields.List(Text(), metadata={"description": "专业类别（专家）：factory / park / supply_chain"})
    industry_codes = fields.List(Text(), metadata={"description": "国民经济行业代码（专家），如 C3670"})


class AccountCreateSchema(AccountChangeSchema):
    username = Text(required=True, metadata={"description": "用户名：3–64 位字母、数字或 _ . -"})
    display_name = Text(required=True, metadata={"description": "姓名（或科室名称）"})
    roles = fields.List(Text(), required=True, metadata={"description": f"账号类型，可多选：{KINDS}"})


class CreatedSchema(Schema):
    account = fields.Nested(AccountSchema)
    link_sent = fields.Boolean(metadata={"description": "已向邮箱发送设置密码链接"})
    temporary_password = fields.String(allow_none=True, metadata={
        "description": "无邮箱时的临时密码，只显示这一次；首次登录后须修改"})


class AccountArgs(PageArgs):
    role = Text(validate=validate.Length(max=32), metadata={"description": "按账号类型（角色代码）筛选"})
    city = Text(validate=validate.OneOf(list(CITIES)), metadata={"description": "按市州代码筛选"})
    active = fields.Boolean(metadata={"description": "true 仅启用，false 仅停用"})
    q = Text(validate=validate.Length(max=64), metadata={"description": "按用户名或姓名查找"})


class ExportArgs(Schema):
    role = Text(validate=validate.Length(max=32))
    city = Text(validate=validate.OneOf(list(CITIES)))
    active = fields.Boolean()


class ImportFile(Schema):
    file = Upload(required=True, metadata={"description": "按模板填写的 .xlsx"})


class TemporaryPasswordSchema(Schema):
    row = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    temporary_password = fields.String()


class ImportResultSchema(Schema):
    created = fields.Integer()
    links_sent = fields.Integer()
    temporary_passwords = fields.List(fields.Nested(TemporaryPasswordSchema))


def _base_url() -> str:
    return current_app.config["GREENLIST_PUBLIC_URL"]


@blp.route("")
@blp.response(200, page_schema(AccountSchema, "AccountPage"))
@blp.doc(security=BEARER)
@roles_required("admin")
@blp.arguments(AccountArgs, location="query")
def list_all(args):
    """账号列表（分页；按类型、市州、状态筛选，按用户名或姓名查找）"""
    return list_accounts(**args)


@blp.route("", methods=["POST"])
@blp.response(201, CreatedSchema)
@blp.doc(security=BEARER)
@roles_required("admin")
@blp.arguments(AccountCreateSchema)
def create(values):
    """新建账号：有邮箱则发送设置密码链接，否则返回一次性临时密码"""
    with transaction():
        created = create_account(actor=current_user().username, values=values, base_url=_base_url(),
                                 roles_allowed=tuple(account_kinds()))
        account_id, link_sent, password = created.user.id, created.link_sent, created.temporary_password
    return {"account": get_account_or_404(account_id), "link_sent": link_sent, "temporary_password": password}


@blp.route("/<int:account_id>")
@blp.response(200, AccountSchema)
@blp.doc(security=BEARER)
@roles_required("admin")
def get(account_id):
    """一个账号"""
    return get_account_or_404(account_id)


@blp.route("/<int:account_id>", methods=["PATCH"])
@blp.response(200, AccountSchema)
@blp.doc(security=BEARER)
@roles_required("admin")
@blp.arguments(AccountChangeSchema)
def patch(changes, account_id):
    """修改账号信息（用户名不可改；变更前后记入系统审计链）"""
    with transaction():
        update_account(get_account_or_404(account_id), actor=current_user().username, changes=changes,
                       roles_allowed=tuple(account_kinds()))
    return get_account_or_404(account_id)


@blp.route("/<int:account_id>/deactivate", methods=["POST"])
@blp.response(200, AccountSchema)
@blp.doc(security=BEARER)
@roles_required("admin")
def deactivate(account_id):
    """停用账号：其全部网页会话和令牌立即失效"""
    with transaction():
        deactivate_account(get_account_or_404(account_id), actor=current_user().username)
    return get_account_or_404(account_id)


@blp.route("/<int:account_id>/reactivate", methods=["POST"])
@blp.response(200, AccountSchema)
@blp.doc(security=BEARER)
@roles_required("admin")
def reactivate(account_id):
    """重新启用账号"""
    with transaction():
        reactivate_account(get_account_or_404(account_id), actor=current_user().username)
    return get_account_or_404(account_id)


@blp.route("/<int:account_id>/reissue-password", methods=["POST"])
@blp.response(200, CreatedSchema)
@blp.doc(security=BEARER)
@roles_required("admin")
def reissue_password(account_id):
    """重新发放登录方式：有邮箱则重发设置密码链接（旧链接作废），否则生成新的临时密码（原登录全部失效）"""
    with transaction():
        given = reissue_access(get_account_or_404(account_id), actor=current_user().username, base_url=_base_url())
        link_sent, password = given.link_sent, given.temporary_password
    return {"account": get_account_or_404(account_id), "link_sent": link_sent, "temporary_password": password}


@blp.route("/import", methods=["POST"])
@blp.response(200, ImportResultSchema)
@blp.doc(security=BEARER)
@roles_required("admin")
@blp.arguments(ImportFile, location="files")
def import_file(files):
    """批量导入（.xlsx，按模板）：全部成功或全部不导入，错误逐行逐列列出"""
    upload = files["file"]
    with transaction():
        return import_accounts(upload.read(), actor=current_user().username, base_url=_base_url(),
                               filename=upload.filename or "")


@blp.route("/template")
@blp.doc(security=BEARER, responses={200: {"description": "账号导入模板 .xlsx（含填写说明）"}})
@roles_required("admin")
def template():
    """下载账号导入模板"""
    return send_file(io.BytesIO(template_workbook()), mimetype=XLSX, as_attachment=True,
                     download_name="账号导入模板.xlsx")


@blp.route("/export")
@blp.doc(security=BEARER, responses={200: {"description": "账号清单 .xlsx"}})
@roles_required("admin")
@blp.arguments(ExportArgs, location="query")
def export(args):
    """导出账号清单（可按类型、市州、状态筛选；导出记入审计）"""
    content = export_workbook(**args)
    with transaction():
        audit.append(audit.SYSTEM_CHAIN, actor=current_user().username, action="accounts_exported", data=args)
    return send_file(io.BytesIO(content), mimetype=XLSX, as_attachment=True, download_name="账号清单.xlsx")
