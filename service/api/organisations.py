"""我的单位 (an applicant's own unit: details, colleagues, invitations, name history), a unit looked up by
its bureau, a change of name, and accepting an invitation (public: the link is the credential)."""
from __future__ import annotations

from flask import current_app
from marshmallow import Schema, fields, validate

from service.api.auth import BEARER, current_user, protect, roles_required
from service.api.blueprint import Blueprint
from service.api.registrations import OrganisationSchema
from service.api.schemas import ActorNames, UserSchema, person
from service.organisations.invitations import invite, join, revoke_invitation
from service.organisations.registration import rename_by_bureau, resubmit
from service.organisations.views import my_organisation, organisation_for, organisation_summary
from service.platform.inputs import Text
from service.platform.transactions import transaction

blp = Blueprint("organisations", __name__, url_prefix="/api", description="我的单位、邀请同事与单位更名")
protect(blp, public=("organisations.accept_invitation",))


class ColleagueSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    active = fields.Boolean()
    email_verified = fields.Boolean()


class InvitationSchema(ActorNames):
    ACTORS = ("invited_by",)
    id = fields.Integer()
    email = fields.String(allow_none=True)
    invited_by = fields.String(allow_none=True)
    invited_by_name = person("邀请人")
    created_at = fields.DateTime()
    expires_at = fields.DateTime()


class NameChangeSchema(ActorNames):
    ACTORS = ("changed_by",)
    old_name = fields.String()
    new_name = fields.String()
    reason = fields.String()
    changed_by = fields.String()
    changed_by_name = person("更名操作人")
    changed_at = fields.DateTime()


class OrganisationPageSchema(Schema):
    organisation = fields.Nested(OrganisationSchema)
    colleagues = fields.List(fields.Nested(ColleagueSchema))
    invitations = fields.Nested(InvitationSchema, many=True)
    name_history = fields.Nested(NameChangeSchema, many=True)


class InviteSchema(Schema):
    email = Text(required=True, validate=validate.Length(max=200), metadata={"description": "同事的邮箱"})


class RenameSchema(Schema):
    name = Text(required=True, validate=validate.Length(max=200), metadata={"description": "新名称（以营业执照为准）"})
    reason = Text(required=True, multiline=True, validate=validate.Length(max=500),
                  metadata={"description": "更名原因"})


class CorrectionSchema(Schema):
    name = Text(metadata={"description": "单位名称"})
    kind = Text(metadata={"description": "enterprise 或 park_authority"})
    city_code = Text(metadata={"description": "所在市州代码"})
    county = Text()
    address = Text()
    legal_representative = Text()
    contact_name = Text()
    contact_phone = Text()
    contact_email = Text()


class JoinSchema(Schema):
    token = Text(required=True, validate=validate.Length(min=1, max=200), metadata={"description": "邀请邮件中的令牌"})
    username = Text(load_default="")
    display_name = Text(load_default="", metadata={"description": "姓名"})
    phone = Text(load_default="")
    password = Text(load_default="", load_only=True)


def _public_url() -> str:
    return current_app.config["GREENLIST_PUBLIC_URL"]


@blp.route("/my-organisation")
@blp.response(200, OrganisationPageSchema)
@blp.doc(security=BEARER)
def my_unit():
    """我的单位：单位信息与注册状态（含退回原因）、本单位账号、待接受的邀请、更名记录"""
    return my_organisation(current_user())


@blp.route("/my-organisation/resubmit", methods=["POST"])
@blp.arguments(CorrectionSchema)
@blp.response(200, OrganisationSchema)
@blp.doc(security=BEARER)
@roles_required("applicant")
def resubmit_registration(values):
    """注册未通过的单位更正信息后重新提交（信用代码不可改），转入所在市州待确认"""
    with transaction():
        return organisation_summary(resubmit(current_user(), values, public_url=_public_url()))


@blp.route("/my-organisation/invitations", methods=["POST"])
@blp.arguments(InviteSchema)
@blp.response(201, InvitationSchema)
@blp.doc(security=BEARER)
@roles_required("applicant")
def invite_colleague(body):
    """邀请同事（已确认单位的账号）：向其邮箱发送加入链接（7 天内有效，只能使用一次）"""
    with transaction():
        link = invite(current_user(), body["email"], public_url=_public_url())
        return {"id": link.id, "email": link.email, "invited_by": current_user().username,
                "created_at": link.created_at, "expires_at": link.expires_at}


@blp.route("/my-organisation/invitations/<int:invitation_id>", methods=["DELETE"])
@blp.response(204)
@blp.doc(security=BEARER)
@roles_required("applicant")
def revoke(invitation_id):
    """撤销尚未接受的邀请"""
    with transaction():
        revoke_invitation(current_user(), invitation_id)


@blp.route("/organisations/<int:organisation_id>")
@blp.response(200, OrganisationPageSchema)
@blp.doc(security=BEARER)
def organisation(organisation_id):
    """一个单位（本单位账号、所在市州、省厅可见）"""
    return organisation_for(current_user(), organisation_id)


@blp.route("/organisations/<int:organisation_id>/rename", methods=["POST"])
@blp.arguments(RenameSchema)
@blp.response(200, OrganisationSchema)
@blp.doc(security=BEARER)
@roles_required("city_reviewer", "province_staff", "admin")
def rename(body, organisation_id):
    """单位更名（所在市州或省厅核实营业执照后办理，须说明原因；记入更名记录并通知该单位）"""
    with transaction():
        return organisation_summary(rename_by_bureau(current_user(), organisation_id, **body))


@blp.route("/invitations/accept", methods=["POST"])
@blp.arguments(JoinSchema)
@blp.response(201, UserSchema)
def accept_invitation(body):
    """接受邀请（公开，凭邮件中的令牌）：设置用户名、姓名和密码，成为该单位的账号"""
    token = body.pop("token")
    with transaction():
        return join(token, body)
