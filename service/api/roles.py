"""The deployment's roles (administrator only): the built-ins and those added, such as 技术支撑单位."""
from marshmallow import Schema, fields, validate

from service.accounts.roles import ADDABLE_SCOPES, SCOPES, add_role, all_roles
from service.api.auth import BEARER, current_user, protect, roles_required
from service.api.blueprint import Blueprint
from service.api.schemas import ActorNames, person
from service.platform.inputs import Text
from service.platform.transactions import transaction

blp = Blueprint("roles", __name__, url_prefix="/api/roles",
                description="角色管理（仅系统管理员）：内置角色与新增角色；泳道按角色名称或代码对应角色")
protect(blp)
SCOPE_TEXT = "；".join(f"{key}：{text}" for key, text in SCOPES.items())


class RoleSchema(ActorNames):
    ACTORS = ("created_by",)
    key = fields.String(metadata={"description": "角色代码"})
    name = fields.String(metadata={"description": "中文名称（泳道名可用它或角色代码）"})
    scope = fields.String(metadata={"description": f"办理范围。{SCOPE_TEXT}"})
    works_tasks = fields.Boolean(metadata={"description": "是否办理流程任务"})
    built_in = fields.Boolean(metadata={"description": "内置角色"})
    created_by = fields.String(allow_none=True)
    created_by_name = person("创建人")
    created_at = fields.DateTime()


class RoleListSchema(Schema):
    items = fields.Nested(RoleSchema, many=True)


class RoleCreateSchema(Schema):
    key = Text(required=True, validate=validate.Length(max=32),
               metadata={"description": "角色代码：3–32 位小写字母、数字或下划线，如 tech_support"})
    name = Text(required=True, validate=validate.Length(max=30), metadata={"description": "中文名称，如 技术支撑单位"})
    scope = Text(required=True, validate=validate.Length(max=16),
                 metadata={"description": f"办理范围：{' / '.join(ADDABLE_SCOPES)}。{SCOPE_TEXT}"})
    works_tasks = fields.Boolean(load_default=True, metadata={"description": "是否办理流程任务（默认是）"})


@blp.route("")
@blp.response(200, RoleListSchema)
@blp.doc(security=BEARER)
@roles_required("admin")
def list_all():
    """全部角色（内置在前，新增的按添加顺序）"""
    return {"items": all_roles()}


@blp.route("", methods=["POST"])
@blp.response(201, RoleSchema)
@blp.doc(security=BEARER)
@roles_required("admin")
@blp.arguments(RoleCreateSchema)
def create(values):
    """新增角色（记入系统审计链）；之后可在账号管理中授予账号，并在流程图中用作泳道"""
    with transaction():
        role = add_role(actor=current_user().username, values=values)
        key = role.key
    return next(role for role in all_roles() if role.key == key)
