"""Expert panels over HTTP: the province draws a panel, an expert declares a conflict (回避声明), the
province gives the task to a substitute."""
from marshmallow import Schema, fields

from service.api.auth import BEARER, current_user, protect
from service.api.blueprint import Blueprint
from service.applications.inbox import in_inbox
from service.applications.panel_changes import declare_conflict, draw_panel, substitute_expert
from service.platform.inputs import Int, Text
from service.platform.transactions import transaction

blp = Blueprint("panels", __name__, url_prefix="/api/tasks", description="评审专家遴选与回避")
protect(blp)


class ExpertSchema(Schema):
    value = fields.String(metadata={"description": "表单中提交的值（账号编号）"})
    label = fields.String(metadata={"description": "姓名 · 单位 · 市州 · 在办件数"})
    id = fields.Integer()
    name = fields.String()
    employer = fields.String(allow_none=True)
    city_code = fields.String(allow_none=True)
    city_name = fields.String(allow_none=True)
    workload = fields.Integer(metadata={"description": "当前在办的专家评审任务数"})


class DrawSchema(Schema):
    seed = fields.String(metadata={"description": "本次抽取的种子：随表单提交（panel_seed）"})
    count = fields.Integer()
    eligible_count = fields.Integer()
    experts = fields.List(fields.Nested(ExpertSchema))


class PersonSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class ConflictSchema(Schema):
    id = fields.Integer()
    application_id = fields.Integer()
    task_id = fields.String()
    expert = fields.Nested(PersonSchema)
    reason = fields.String()
    declared_at = fields.DateTime()
    substitute = fields.Nested(PersonSchema, allow_none=True)
    method = fields.String(allow_none=True)
    seed = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    resolved_by = fields.String(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)


class DeclareSchema(Schema):
    reason = Text(multiline=True, load_default=None, allow_none=True, metadata={"description": "回避理由（必填）"})


class SubstituteSchema(Schema):
    method = Text(load_default="manual", metadata={"description": "draw（随机抽取）或 manual（人工指定）"})
    expert = Int(load_default=None, allow_none=True, metadata={"description": "人工指定的替补专家账号编号"})
    reason = Text(multiline=True, load_default=None, allow_none=True,
                  metadata={"description": "人工指定的理由（manual 时必填）"})


class SubstitutedSchema(Schema):
    conflict = fields.Nested(ConflictSchema)
    substitute = fields.Nested(PersonSchema)
    seed = fields.String(allow_none=True)


def _change(task_id, change):
    def command():
        with transaction():
            return change()
    return in_inbox(current_user(), task_id, command)


@blp.route("/<task_id>/expert-draw", methods=["POST"])
@blp.response(200, DrawSchema)
@blp.doc(security=BEARER)
def expert_draw(task_id):
    """随机抽取评审专家：从符合条件的专家中按批次人数抽取，种子与结果记入审计链"""
    return _change(task_id, lambda: draw_panel(task_id=task_id, user=current_user()))


@blp.route("/<task_id>/conflict", methods=["POST"])
@blp.arguments(DeclareSchema)
@blp.response(200, ConflictSchema)
@blp.doc(security=BEARER)
def conflict(body, task_id):
    """回避声明：被指定的评审专家声明回避，任务退回省厅选定替补专家"""
    def declare():
        declared = declare_conflict(task_id=task_id, user=current_user(), reason=body["reason"])
        return {"id": declared.id, "application_id": declared.application_id, "task_id": declared.task_id,
                "expert": {"id": current_user().id, "name": current_user().display_name},
                "reason": declared.reason, "declared_at": declared.declared_at}
    return _change(task_id, declare)


@blp.route("/<task_id>/substitute", methods=["POST"])
@blp.arguments(SubstituteSchema)
@blp.response(200, SubstitutedSchema)
@blp.doc(security=BEARER)
def substitute(body, task_id):
    """更换回避专家：省厅随机抽取或人工指定（须说明理由）一位符合条件、不在专家组中的专家"""
    return _change(task_id, lambda: substitute_expert(task_id=task_id, user=current_user(), method=body["method"],
                                                      expert_id=body["expert"], reason=body["reason"]))
