"""The inbox and the task page: read, save a draft, claim, release, submit."""
from marshmallow import Schema, fields, validate

from service.applications.commands import claim_task, complete_task, unclaim_task
from service.applications.views import detail_view
from service.applications.inbox import done_list, in_inbox, inbox, save_draft, task_page, task_summary
from service.platform.extensions import db
from service.platform.inputs import Int, Text
from service.platform.reference import CITIES
from service.applications.models import Application
from service.platform.transactions import transaction, write_lock_late
from service.api.auth import BEARER, current_user, protect
from service.api.blueprint import Blueprint
from service.api.schemas import (SEARCH_DESCRIPTION, ApplicationDetailSchema, ApplicationSchema, PageArgs,
                                 page_schema)

blp = Blueprint("tasks", __name__, url_prefix="/api/tasks", description="待办任务")
protect(blp)


class InboxArgs(PageArgs):
    step = Text(metadata={"description": "环节（BPMN 元素 id）"})
    city = Text(validate=validate.OneOf(list(CITIES)))
    category = Text(validate=validate.Length(min=1, max=40))
    claimed = Text(validate=validate.OneOf(["yes", "no", "mine"]))
    q = Text(validate=validate.Length(max=60), metadata={"description": SEARCH_DESCRIPTION})


class DoneArgs(PageArgs):
    q = Text(validate=validate.Length(max=60), metadata={"description": SEARCH_DESCRIPTION})


class ClaimerSchema(Schema):
    id = fields.Integer()
    display_name = fields.String()


class UrgeMarkSchema(Schema):
    at = fields.DateTime()
    by = fields.String(metadata={"description": "催办人"})
    note = fields.String(allow_none=True)


class TaskSummarySchema(Schema):
    task_id = fields.String()
    application_id = fields.Integer()
    number = fields.String(allow_none=True, metadata={"description": "申报编号"})
    unit_name = fields.String()
    city_code = fields.String()
    city_name = fields.String()
    category = fields.String()
    category_name = fields.String()
    step = fields.String()
    name = fields.String()
    role = fields.String()
    claimed_by = fields.Nested(ClaimerSchema, allow_none=True)
    created_at = fields.DateTime()
    due_at = fields.DateTime(allow_none=True)
    overdue = fields.Boolean()
    due_soon = fields.Boolean()
    urged = fields.Nested(UrgeMarkSchema, allow_none=True, metadata={
        "description": "最近一次催办（已催办：时间与催办人；仅待办列表给出）"})
    time_limit_days = fields.Integer(allow_none=True, metadata={
        "description": "办理时限（工作日；流程图中该环节的 time_limit_days，仅任务页给出）"})


class HistorySchema(Schema):
    step = fields.String()
    name = fields.String()
    actor = fields.String()
    at = fields.DateTime()
    data = fields.Dict()


class TaskPageSchema(Schema):
    task = fields.Nested(TaskSummarySchema)
    form = fields.Dict(metadata={"description": "form-js 表单定义"})
    data = fields.Dict(metadata={"description": "草稿、上次提交的数据或空"})
    data_source = fields.String(metadata={"description": "draft / previous / empty"})
    confirm = fields.Dict(metadata={"description": "不可撤销的结论需确认：{field: 结论字段, values: {取值: 后果说明}}；无则为空"})
    draft_saved_at = fields.DateTime(allow_none=True)
    options = fields.Dict(metadata={"description": "表单动态选项（valuesKey）与批次设置"})
    version = fields.Integer(metadata={"description": "提交时带回的申报版本"})
    application = fields.Nested(ApplicationSchema)
    history = fields.List(fields.Nested(HistorySchema))
    panel = fields.Dict(allow_none=True, metadata={"description": "遴选专家的环节：本批次专家人数与符合条件的专家数"})
    substitution = fields.Dict(allow_none=True, metadata={"description": "专家已声明回避、待省厅更换时：声明与可替补的专家"})
    may_declare_conflict = fields.Boolean(metadata={"description": "当前用户是本任务指定的专家，可以声明回避"})
    notice_files = fields.List(fields.Dict(), metadata={
        "description": "本流程版本适用于该类别的通知附件 [{file, title, categories, size, sha256}]，"
                       "下载：/api/process-versions/{版本 id}/notice-files/{file}"})
    required_attachments = fields.List(fields.Dict(), metadata={
        "description": "申报环节必须上传的附件 [{kind, label, field, values}]：field 取 values 之一时需要"})


class DraftSchema(Schema):
    data = fields.Dict(required=True)


class DraftSavedSchema(Schema):
    task_id = fields.String()
    saved_at = fields.DateTime(attribute="updated_at")


class SubmitSchema(Schema):
    data = fields.Dict(required=True, metadata={"description": "表单数据"})
    version = Int(required=True, metadata={"description": "打开任务时读到的申报版本"})


@blp.route("")
@blp.arguments(InboxArgs, location="query")
@blp.response(200, page_schema(TaskSummarySchema, "InboxPage"))
@blp.doc(security=BEARER)
def index(args):
    """我的待办（可办理的任务），分页并给出总数"""
    return inbox(current_user(), **args)


class DoneItemSchema(Schema):
    application_id = fields.Integer()
    number = fields.String(allow_none=True, metadata={"description": "申报编号"})
    step = fields.String()
    name = fields.String(metadata={"description": "办理的环节"})
    at = fields.DateTime(metadata={"description": "办理时间"})
    unit_name = fields.String()
    category = fields.String()
    city_code = fields.String()
    stage = fields.String(metadata={"description": "申报当前所处环节"})
    outcome = fields.String(allow_none=True)
    decision = fields.String(allow_none=True, metadata={"description": "我作出的结论（表单中的中文名称，如“退回修改”）；无结论的环节为空"})


@blp.route("/done")
@blp.arguments(DoneArgs, location="query")
@blp.response(200, page_schema(DoneItemSchema, "DonePage"))
@blp.doc(security=BEARER)
def done(args):
    """我的已办（我办理过的任务），最新在前，分页；可按编号、信用代码或单位名称搜索"""
    return done_list(current_user(), **args)


@blp.route("/<task_id>")
@blp.response(200, TaskPageSchema)
@blp.doc(security=BEARER)
def page(task_id):
    """任务页：表单定义、数据（草稿）、申报信息和可见的历史意见"""
    return task_page(current_user(), task_id)


@blp.route("/<task_id>/draft", methods=["PUT"])
@blp.arguments(DraftSchema)
@blp.response(200, DraftSavedSchema)
@blp.doc(security=BEARER)
def draft(body, task_id):
    """保存草稿（不校验完整性）"""
    with transaction():
        return save_draft(current_user(), task_id, body["data"])


def _claim_change(task_id, change):
    def command():
        with transaction():
            item = change(task_id=task_id, user=current_user())
            # Built before the commit, from rows already loaded: nothing is read again.
            application = db.session.get(Application, item.application_id)
            return task_summary(item, application.unit_name, number=application.number)
    return in_inbox(current_user(), task_id, command)


@blp.route("/<task_id>/claim", methods=["POST"])
@blp.response(200, TaskSummarySchema)
@blp.doc(security=BEARER)
def claim(task_id):
    """认领任务"""
    return _claim_change(task_id, claim_task)


@blp.route("/<task_id>/unclaim", methods=["POST"])
@blp.response(200, TaskSummarySchema)
@blp.doc(security=BEARER)
def unclaim(task_id):
    """释放认领"""
    return _claim_change(task_id, unclaim_task)


@blp.route("/<task_id>/submit", methods=["POST"])
@blp.response(200, ApplicationDetailSchema)
@blp.doc(security=BEARER)
@blp.arguments(SubmitSchema)
@write_lock_late  # every read is checked at the write: the version in the UPDATE, the audit sequence
def submit(body, task_id):
    """提交任务（带回版本号；版本过期返回 409）"""
    def command():
        with transaction():
            done = complete_task(task_id=task_id, data=body["data"], user=current_user(),
                                 expected_version=body["version"])
            return detail_view(current_user(), done.application, done.open_items, done.version_number,
                               attachments=done.attachments, with_mismatches=False)
    return in_inbox(current_user(), task_id, command)
