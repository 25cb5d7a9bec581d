"""The caller's own account (个人信息, password) and the public password pages' API (forgotten, set by link)."""
from __future__ import annotations

from flask import current_app, request
from marshmallow import Schema, fields, validate, validates_schema, ValidationError

from service.accounts.profile import change_own_password, update_profile
from service.accounts.recovery import RESET_REQUESTED, request_reset, set_password_with_link
from service.accounts.service import issue_token
from service.platform.errors import Invalid
from service.platform.inputs import Text
from service.platform.transactions import transaction
from service.api.auth import BEARER, current_user, protect
from service.api.blueprint import Blueprint
from service.api.schemas import UserSchema

blp = Blueprint("account", __name__, url_prefix="/api", description="个人信息与密码")
PUBLIC = ("account.forgot_password", "account.set_password", "account.reset_password")
WRONG_CURRENT = "当前密码不正确"


class ProfileSchema(UserSchema):
    email = fields.String(allow_none=True)
    email_verified = fields.Function(lambda u: u.email_verified_at is not None, metadata={
        "description": "邮箱已通过邮件链接验证"})
    phone = fields.String(allow_none=True)
    receive_email = fields.Boolean(metadata={"description": "是否接收待办、退回、结果等事务通知邮件"
                                                          "（重置密码等账号邮件总会发送）"})
    must_change_password = fields.Boolean(metadata={"description": "须先修改密码，其他接口答 403 password_change_required"})


class ProfileChangeSchema(Schema):
    display_name = Text(metadata={"description": "姓名（1–100 个字符）"})
    phone = Text(allow_none=True, metadata={"description": "手机号或带区号的固定电话；空为不填"})
    email = Text(allow_none=True, metadata={"description": "邮箱；更改后需重新验证，原邮箱会收到通知"})
    receive_email = fields.Boolean(metadata={"description": "是否接收事务通知邮件"})


class ForgotSchema(Schema):
    username = Text(validate=validate.Length(max=200), metadata={"description": "用户名或邮箱"})
    email = Text(validate=validate.Length(max=200), metadata={"description": "邮箱（可代替 username）"})

    @validates_schema
    def one_of_them(self, data, **kwargs):
        if not (data.get("username") or "").strip() and not (data.get("email") or "").strip():
            raise ValidationError("请填写用户名或邮箱", field_name="username")


class LinkPasswordSchema(Schema):
    token = Text(required=True, validate=validate.Length(max=200), metadata={"description": "邮件链接中的令牌"})
    password = Text(required=True, load_only=True, metadata={"description": "新密码（至少 10 个字符）"})


class PasswordChangeSchema(Schema):
    current_password = Text(required=True, load_only=True, metadata={"description": "当前密码"})
    new_password = Text(required=True, load_only=True, metadata={"description": "新密码（至少 10 个字符）"})


class MessageSchema(Schema):
    message = fields.String()


class NewTokenSchema(Schema):
    message = fields.String()
    token = fields.String(metadata={"description": "新的访问令牌：修改密码后原有令牌与网页会话全部失效"})


@blp.route("/me")
@blp.response(200, ProfileSchema)
@blp.doc(security=BEARER)
def me():
    """当前用户（含个人信息）"""
    return current_user()


@blp.route("/me", methods=["PATCH"])
@blp.arguments(ProfileChangeSchema)
@blp.response(200, ProfileSchema)
@blp.doc(security=BEARER)
def update_me(changes):
    """修改个人信息：姓名、电话、邮箱、是否接收邮件（只改给出的字段）"""
    with transaction():
        update_profile(current_user(), changes)
    return current_user()


@blp.route("/me/password", methods=["POST"])
@blp.arguments(PasswordChangeSchema)
@blp.response(200, NewTokenSchema)
@blp.alt_response(429, schema="Error", description="too_many_attempts：当前密码错误次数过多，请稍后再试")
@blp.doc(security=BEARER)
def change_password(body):
    """修改自己的密码：须提供当前密码；该账号全部令牌与网页会话失效，返回一个新令牌"""
    user = current_user()
    with transaction():  # a wrong current password is committed too: the login throttle counts it
        changed = change_own_password(user, current=body["current_password"], new=body["new_password"],
                                      remote_addr=request.remote_addr or "unknown")
        token = issue_token(user) if changed else None
    if not changed:
        raise Invalid(WRONG_CURRENT, fields={"current_password": [WRONG_CURRENT]})
    return {"message": "密码已修改，其他登录已全部退出", "token": token}


@blp.route("/password/forgot", methods=["POST"])
@blp.arguments(ForgotSchema)
@blp.response(202, MessageSchema)
def forgot_password(body):
    """忘记密码：向该账号的邮箱发送重置链接（无论账号是否存在，回答都相同）"""
    with transaction():
        request_reset(body.get("username") or body.get("email") or "",
                      public_url=current_app.config["GREENLIST_PUBLIC_URL"])
    return {"message": RESET_REQUESTED}


def _use_link(purpose, body):
    with transaction():
        set_password_with_link(purpose, body["token"], body["password"])
    return {"message": "密码已设置，请用新密码登录"}


@blp.route("/password/set", methods=["POST"])
@blp.arguments(LinkPasswordSchema)
@blp.response(200, MessageSchema)
@blp.alt_response(410, schema="Error", description="link_invalid：链接无效、已使用或已过期")
def set_password(body):
    """用邮件中的设置密码链接设置首个密码（链接只能使用一次）"""
    return _use_link("set_password", body)


@blp.route("/password/reset", methods=["POST"])
@blp.arguments(LinkPasswordSchema)
@blp.response(200, MessageSchema)
@blp.alt_response(410, schema="Error", description="link_invalid：链接无效、已使用或已过期")
def reset_password(body):
    """用邮件中的重置密码链接设置新密码（30 分钟内有效，只能使用一次）"""
    return _use_link("reset_password", body)


protect(blp, public=PUBLIC)
