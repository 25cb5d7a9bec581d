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


class ObjectorSchema(Schema):
    real_name = fields.String(metadata={"description": "异议人姓名"})
    contact = fields.String(metadata={"description": "联系电话"})
    unit = fields.String(metadata={"description": "异议人单位（可为空）"})


class EvidenceFileSchema(Schema):
    id = fields.Integer(metadata={"description": "附件 id，下载：/api/attachments/{id}"})
    name = fields.String()
    size = fields.Integer()


class ObjectionViewSchema(Schema):
    n = fields.Integer(metadata={"description": "第几件异议（按收到顺序）"})
    received_at = fields.DateTime(allow_none=True, metadata={"description": "收到时间"})
    content = fields.String(metadata={"description": "异议内容"})
    evidence = fields.String(allow_none=True, metadata={"description": "证明材料说明（异议人信息不可见时为空）"})
    attachments = fields.List(fields.Nested(EvidenceFileSchema), metadata={
        "description": "证明材料 PDF（仅可见异议人信息者列出、可下载）"})
    objector = fields.Nested(ObjectorSchema, allow_none=True, metadata={
        "description": "异议人；仅省厅、管理员和审计可见，其他人为空"})
    redacted = fields.String(allow_none=True, metadata={"description": "未给出的内容及原因"})
    handled = fields.Boolean(metadata={"description": "是否已处理（最后一件未处理的即本任务要处理的异议）"})
    decision = fields.String(allow_none=True, metadata={"description": "处理结论（表单中的中文名称）"})
    handled_at = fields.DateTime(allow_none=True)


class ExpertReviewSchema(Schema):
    expert = fields.String(metadata={"description": "专家姓名（不可知专家身份者为“评审专家”）"})
    score = fields.Float(allow_none=True, metadata={"description": "评分"})
    opinion = fields.String(metadata={"description": "评审意见"})
    site_inspection = fields.Boolean(metadata={"description": "是否建议现场核查"})
    at = fields.DateTime()


class ExpertResultsSchema(Schema):
    reviews = fields.List(fields.Nested(ExpertReviewSchema), metadata={"description": "最近一次专家评审的各专家结果"})
    count = fields.Integer(metadata={"description": "评审专家数"})
    average = fields.Float(allow_none=True, metadata={"description": "平均分（保留两位小数）"})
    inspection_requested_by = fields.List(fields.String(), metadata={"description": "建议现场核查的专家"})
    required_by_formal_review = fields.Boolean(metadata={"description": "形式审查时省厅是否已要求现场核查"})


class ChangeSchema(Schema):
    key = fields.String(metadata={"description": "表单字段"})
    label = fields.String(metadata={"description": "填报项（表单中的中文名称）"})
    old = fields.String(metadata={"description": "上次提交的内容（空字符串：未填）"})
    new = fields.String(metadata={"description": "本次提交的内容"})


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
    objections = fields.List(fields.Nested(ObjectionViewSchema), allow_none=True, metadata={
        "description": "异议处理环节：本申报登记的全部异议（其他环节为空）"})
    expert_results = fields.Nested(ExpertResultsSchema, allow_none=True, metadata={
        "description": "现场核查、形式审查环节：各专家评分与意见、平均分、建议现场核查的专家（尚无专家评审或其他环节为空）"})
    changes = fields.List(fields.Nested(ChangeSchema), allow_none=True, metadata={
        "description": "退回后重新审核：申报单位与上次提交相比修改的填报项（逐项；首次提交或申报单位本人为空）"})


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
