"""Login, logout, the current user, and the bearer-token check every other endpoint relies on."""
from __future__ import annotations

from functools import wraps

from flask import g, request
from flask_login import current_user as web_user
from flask_wtf.csrf import CSRFError
from marshmallow import Schema, fields

from service.accounts.service import (WRONG_CREDENTIALS, Unauthorized, authenticate, issue_token, revoke_all_sessions, user_for_token)
from service.platform.errors import Forbidden, ServiceError
from service.platform.inputs import Text
from service.platform.extensions import csrf
from service.platform.transactions import transaction
from service.api.blueprint import Blueprint
from service.api.schemas import UserSchema

blp = Blueprint("auth", __name__, url_prefix="/api", description="登录与当前用户")
BEARER = [{"bearerAuth": []}]


def _bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("请先登录（缺少 Authorization: Bearer 令牌）")
    return token.strip()


# What an account holding a temporary password may still call: all else answers 403 password_change_required.
WHILE_PASSWORD_CHANGE_REQUIRED = ("auth.logout", "account.me", "account.update_me", "account.change_password")


class CsrfFailed(ServiceError):
    status, code = 400, "csrf_failed"


def authenticate_request():
    """Run before every API view except login: sets g.user or answers 401.

    A bearer token is the API's own way in. The web pages' scripts call the same endpoints with the
    session cookie instead; those calls must carry the page's CSRF token when they change anything.
    """
    if request.headers.get("Authorization") or not web_user.is_authenticated:
        g.user = user_for_token(_bearer_token())
    else:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            try:
                csrf.protect()
            except CSRFError:
                raise CsrfFailed("页面的安全令牌缺失或已失效，请刷新页面后重试") from None
        g.user = web_user._get_current_object()
    g.username = g.user.username
    if g.user.must_change_password and request.endpoint not in WHILE_PASSWORD_CHANGE_REQUIRED:
        raise Forbidden("请先修改密码：管理员设置的临时密码须在首次登录时改为您自己的密码",
                        code="password_change_required")


def current_user():
    return g.user


def roles_required(*roles):
    """403 unless the caller has one of ``roles``; runs before the body is parsed."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not any(g.user.has_role(role) for role in roles):
                raise Forbidden("您的角色无权执行此操作")
            return view(*args, **kwargs)

        return wrapper

    return decorator


def protect(blueprint, *, public=()):
    """Require a valid token on every view of ``blueprint`` except the ``public`` endpoints."""

    @blueprint.before_request
    def _check():
        if request.endpoint not in public and request.method != "OPTIONS":
            authenticate_request()


class LoginSchema(Schema):
    username = Text(required=True, metadata={"description": "用户名"})
    password = Text(required=True, load_only=True, metadata={"description": "密码"})


class TokenSchema(Schema):
    token = fields.String()
    user = fields.Nested(UserSchema)


@blp.route("/auth/login", methods=["POST"])
@blp.arguments(LoginSchema)
@blp.response(200, TokenSchema)
def login(credentials):
    """登录，取得访问令牌"""
    with transaction():  # a failure is committed too: the rate limit counts it
        user = authenticate(credentials["username"], credentials["password"],
                            remote_addr=request.remote_addr or "unknown")
        token = issue_token(user) if user else None
    if user is None:
        raise Unauthorized(WRONG_CREDENTIALS)
    return {"token": token, "user": user}


@blp.route("/auth/logout", methods=["POST"])
@blp.response(204)
@blp.doc(security=BEARER)
def logout():
    """退出登录：吊销该用户的全部令牌与网页会话"""
    with transaction():
        revoke_all_sessions(user_for_token(_bearer_token()))


protect(blp, public=("auth.login",))
