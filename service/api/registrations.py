"""Enterprise self-registration (public) and the city bureau's queue of registrations to confirm."""
from __future__ import annotations

from flask import current_app, request
from marshmallow import Schema, fields, validate

from service.api.auth import BEARER, current_user, protect, roles_required
from service.api.blueprint import Blueprint
from service.api.schemas import ActorNames, PageArgs, page_schema, person
from service.organisations.models import STATUSES
from service.organisations.registration import (already_registered, decide_registration, register_unit,
                                                registration_queue, verify_email)
from service.organisations.views import organisation_for, organisation_summary
from service.platform.inputs import Text
from service.platform.reference import CITIES
from service.platform.transactions import transaction

blp = Blueprint("registrations", __name__, url_prefix="/api/registrations", description="单位注册与市州确认")
protect(blp, public=("registrations.register", "registrations.verify"))
DECIDERS = ("city_reviewer", "province_staff", "admin")


def _text(description, **kwargs):
    # Missing fields load as "": the service names each one in Chinese ("请填写…").
    return Text(load_default="", metadata={"description": description}, **kwargs)


class RegistrationSchema(Schema):
    credit_code = _text("统一社会信用代码（18 位，校验 GB 32100 与 GB 11714 校验码）")
    name = _text("单位名称")
    kind = _text("单位类型：enterprise（企业）或 park_authority（园区管理机构）")
    city_code = _text("所在市州代码，如 220100")
    county = _text("所在县（市、区）")
    address = _text("单位地址（可不填）")
    legal_representative = _text("法定代表人（可不填）")
    contact_name = _text("联系人姓名（即首个账号的姓名）")
    contact_phone = _text("联系人手机")
    contact_email = _text("联系邮箱（验证邮件发往此处）")
    username = _text("首个账号的用户名")
    password = _text("密码：至少 10 个字符，不能是常见密码，不能包含用户名或信用代码", load_only=True)


class OrganisationSchema(ActorNames):
    ACTORS = ("decided_by",)
    id = fields.Integer()
    credit_code = fields.String()
    name = fields.String()
    kind = fields.String()
    kind_name = fields.String()
    city_code = fields.String()
    city_name = fields.String()
    county = fields.String()
    address = fields.String()
    legal_representative = fields.String()
    contact_name = fields.String()
    contact_phone = fields.String()
    contact_email = fields.String()
    outside_jilin = fields.Boolean(metadata={"description": "登记管理机关不在吉林省（信用代码第 3–8 位不以 22 开头）"})
    status = fields.String(metadata={"description": "、".join(f"{k}：{v}" for k, v in STATUSES.items())})
    status_name = fields.String()
    status_reason = fields.String()
    decided_by = fields.String(allow_none=True)
    decided_by_name = person("审核人")
    decided_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class VerifySchema(Schema):
    token = Text(required=True, validate=validate.Length(min=1, max=200), metadata={"description": "邮件中的验证令牌"})


class QueueArgs(PageArgs):
    status = fields.String(load_default="pending_city", validate=validate.OneOf(list(STATUSES)))
    city_code = fields.String(load_default=None, validate=validate.OneOf(list(CITIES)))
    credit_code = Text(load_default=None, validate=validate.Length(max=18))


class RefuseSchema(Schema):
    reason = Text(load_default="", multiline=True, validate=validate.Length(max=500),
                  metadata={"description": "退回原因（必填，单位可见）"})


def public_url() -> str:
    return current_app.config["GREENLIST_PUBLIC_URL"]


@blp.route("", methods=["POST"])
@blp.arguments(RegistrationSchema)
@blp.response(201, OrganisationSchema)
def register(values):
    """单位注册（公开）：建立单位与首个账号，向联系邮箱发送验证链接；同一信用代码重复注册返回 409 并通知该单位已有账号"""
    with transaction():  # a refused second registration is committed too: the unit's notice, the rate limit
        organisation = register_unit(values, remote_addr=request.remote_addr or "unknown", public_url=public_url())
        summary = organisation_summary(organisation) if organisation else None
    if summary is None:
        raise already_registered()
    return summary



@blp.route("/verify", methods=["POST"])
@blp.arguments(VerifySchema)
@blp.response(200, OrganisationSchema)
def verify(body):
    """验证注册邮箱（公开，链接只能使用一次）：注册转入所在市州待确认，账号可以登录查看进度"""
    with transaction():
        return organisation_summary(verify_email(body["token"], public_url=public_url()))


@blp.route("")
@blp.arguments(QueueArgs, location="query")
@blp.response(200, page_schema(OrganisationSchema, "RegistrationPage"))
@blp.doc(security=BEARER)
@roles_required(*DECIDERS)
def queue(args):
    """单位注册列表（市州只见本市州；省厅、管理员可按市州筛选），默认待确认"""
    result = registration_queue(current_user(), **args)
    return {**result, "items": [organisation_summary(o) for o in result["items"]]}


@blp.route("/<int:organisation_id>")
@blp.response(200, OrganisationSchema)
@blp.doc(security=BEARER)
def detail(organisation_id):
    """一个单位的注册信息（本单位账号、所在市州、省厅）"""
    return organisation_for(current_user(), organisation_id)["organisation"]


@blp.route("/<int:organisation_id>/confirm", methods=["POST"])
@blp.response(200, OrganisationSchema)
@blp.doc(security=BEARER)
@roles_required(*DECIDERS)
def confirm(organisation_id):
    """确认单位注册（所在市州或省厅）：单位即可申报"""
    with transaction():
        return organisation_summary(decide_registration(current_user(), organisation_id, confirm=True))


@blp.route("/<int:organisation_id>/refuse", methods=["POST"])
@blp.arguments(RefuseSchema)
@blp.response(200, OrganisationSchema)
@blp.doc(security=BEARER)
@roles_required(*DECIDERS)
def refuse(body, organisation_id):
    """退回单位注册（所在市州或省厅），须说明原因"""
    with transaction():
        return organisation_summary(decide_registration(current_user(), organisation_id, confirm=False,
                                                        reason=body["reason"]))
