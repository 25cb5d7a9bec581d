"""Repair of applications by administrators: the last process error, retry, and 退回到任意环节."""
from marshmallow import Schema, fields, validate

from service.applications.access import visible_application_or_404
from service.applications.repair import repair_view, retry, rewind
from service.applications.views import application_detail
from service.platform.inputs import Text
from service.platform.transactions import transaction
from service.api.auth import BEARER, current_user, protect, roles_required
from service.api.blueprint import Blueprint
from service.api.schemas import ApplicationDetailSchema

blp = Blueprint("application_repair", __name__, url_prefix="/api/applications",
                description="申报修复：流程错误、重试、退回到任意环节（管理员）")
protect(blp)


class FaultSchema(Schema):
    element_id = fields.String(allow_none=True, metadata={"description": "出错的流程元素"})
    element_name = fields.String(allow_none=True)
    message = fields.String(metadata={"description": "错误信息"})
    kind = fields.String(metadata={"description": "出错时在做什么：task（提交任务）、message、timers"})
    kind_label = fields.String()
    task_id = fields.String(allow_none=True)
    step_name = fields.String(allow_none=True, metadata={"description": "提交的任务"})
    actor = fields.String(metadata={"description": "谁的操作出错"})
    failures = fields.Integer(metadata={"description": "连续出错次数（含重试）"})
    first_at = fields.DateTime()
    occurred_at = fields.DateTime()
    process_version_id = fields.Integer()
    version = fields.Integer(metadata={"description": "出错时的流程版本号"})
    moved_since = fields.Boolean(metadata={"description": "出错后已迁移到其他版本"})


class RewindTargetSchema(Schema):
    element_id = fields.String()
    name = fields.String()


class RepairSchema(Schema):
    needs_repair = fields.Boolean()
    fault = fields.Nested(FaultSchema, allow_none=True)
    rewind_targets = fields.List(fields.Nested(RewindTargetSchema),
                                 metadata={"description": "现在可以退回到的环节（仅管理员）"})
    rewind_blocked = fields.String(allow_none=True, metadata={"description": "现在不能退回的原因"})


class RewindSchema(Schema):
    element_id = Text(required=True, validate=validate.Length(min=1, max=200),
                      metadata={"description": "退回到的人工环节（流程元素 id）"})
    reason = Text(required=True, multiline=True, metadata={"description": "退回原因（记入审计）"})


@blp.route("/<int:application_id>/repair")
@blp.response(200, RepairSchema)
@blp.doc(security=BEARER)
@roles_required("admin", "province_staff")
def repair(application_id):
    """申报最近一次流程错误（出错元素、信息、时间），以及管理员现在可以退回到的环节"""
    return repair_view(current_user(), visible_application_or_404(current_user(), application_id))


@blp.route("/<int:application_id>/retry", methods=["POST"])
@blp.response(200, ApplicationDetailSchema)
@blp.doc(security=BEARER)
@roles_required("admin")
def retry_failed(application_id):
    """重试流程出错时被拒绝的操作（部署修正版本并迁移后）；记入审计，成功后清除错误记录"""
    with transaction():
        retry(application_id=application_id, user=current_user())
    return application_detail(current_user(), application_id)


@blp.route("/<int:application_id>/rewind", methods=["POST"])
@blp.response(200, ApplicationDetailSchema)
@blp.doc(security=BEARER)
@roles_required("admin")
@blp.arguments(RewindSchema)
def rewind_to(body, application_id):
    """把运行中的申报退回到已办理过的人工环节（须写原因，记入审计）；多实例环节进行中、分支已不可达或申报已结束时拒绝（409）"""
    with transaction():
        rewind(application_id=application_id, element_id=body["element_id"], reason=body["reason"],
               user=current_user())
    return application_detail(current_user(), application_id)
