"""Response schemas (and the shared query arguments) of the HTTP API."""
from __future__ import annotations

from marshmallow import Schema, fields, post_dump, validate
from marshmallow.utils import get_value

from service.accounts.names import display_names
from service.platform.inputs import Int, Text
from service.platform.reference import CITIES
from service.versions.categories import category_label


def person(description: str):
    """A ``<field>_name`` filled in by ActorNames: who a login field names, as people know them."""
    return fields.String(dump_only=True, allow_none=True,
                         metadata={"description": f"{description}：单位/科室 + 姓名（如“长春市工信局 张三”）"})


class ActorNames(Schema):
    """Puts beside each login field listed in ACTORS its ``<field>_name``, resolved with one query for all the
    rows dumped together (lists are nested with many=True for that reason), so that no API reader has to map
    login names to people. Declare the name fields with ``person()`` so the OpenAPI document lists them."""

    ACTORS: tuple[str, ...] = ()

    @post_dump(pass_collection=True)
    def _name_actors(self, data, many, **kwargs):
        rows = data if many else [data]
        names = display_names(row.get(key) for row in rows for key in self.ACTORS)
        for row in rows:
            for key in self.ACTORS:
                if key in row:
                    row[f"{key}_name"] = names.get(row[key]) if row[key] else None
        return data


class UserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    roles = fields.List(fields.String())
    city_code = fields.String(allow_none=True)
    city_name = fields.Function(lambda u: CITIES.get(get_value(u, "city_code")))
    unit_name = fields.String(allow_none=True)


SEARCH_DESCRIPTION = "搜索：申报编号或统一社会信用代码（整串或开头部分），或申报单位名称中的文字"


class PageArgs(Schema):
    # Bounded so that the offset, (page - 1) × page_size, still fits the database's 64-bit integer.
    page = Int(load_default=1, validate=validate.Range(min=1, max=10 ** 9))
    page_size = Int(load_default=20, validate=validate.Range(min=1, max=100))


def page_schema(item_schema, name, *, capped=False):
    """A page of ``item_schema``; ``capped``: its total is counted up to a cap (``total_capped`` says it was hit)."""
    page = {"items": fields.Nested(item_schema, many=True), "total": fields.Integer(), "page": fields.Integer(),
            "page_size": fields.Integer()}
    if capped:
        page["total_capped"] = fields.Boolean(metadata={"description": "总数只数到 total 为止，实际更多（请加筛选条件缩小范围）"})
    return Schema.from_dict(page, name=name)


# The settings' values are checked by rounds/settings.py, whose reasons name the setting in Chinese.
# A category is a key the round's version declares (processes/categories.json); the service says which.
CATEGORY = Text(validate=validate.Length(min=1, max=40), metadata={"description": "类别代码，如 factory"})
DEADLINE_DAY = "当日24时（北京时间）为止；不能是已过去的日期"


def EXTRA_SETTINGS(**kwargs):
    return fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), metadata={
        "description": "流程版本列出的其他批次设置（processes/settings.json）：设置项名 → 值（日期为 YYYY-MM-DD，当日24时截止）；"
                       "省略的取版本给出的默认值"}, **kwargs)


class RoundSettingSchema(Schema):
    name = fields.String()
    type = fields.String(metadata={"enum": ["date", "int", "number", "text"]})
    label = fields.String()
    default = fields.Raw(allow_none=True)
    min = fields.Float(allow_none=True)
    max = fields.Float(allow_none=True)
    help = fields.String()


class RoundSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    year = Int(required=True, validate=validate.Range(min=2000, max=2100))
    categories = fields.List(CATEGORY, load_default=None,
                             metadata={"description": "开放申报的类别（至少一个；省略则全部开放）"})
    unit_deadline = fields.Date(load_default=None, metadata={
        "description": f"单位申报截止日（{DEADLINE_DAY}；不能晚于市州推荐截止日；省略则与之相同）"})
    city_deadline = fields.Date(required=True, metadata={"description": f"市州推荐截止日（{DEADLINE_DAY}）"})
    notice_days = Int(load_default=5, metadata={"description": "公示期（工作日，1–30）"})
    expert_count = Int(load_default=3, metadata={"description": "评审专家人数（1–15）"})
    pass_score = fields.Float(load_default=60.0, metadata={"description": "合格分（0–100）"})
    objection_address = Text(required=True, error_messages={"required": "异议受理地址为必填项"},
                           metadata={"maxLength": 300, "description": "公示中受理异议的地址"})
    objection_phone = Text(required=True, error_messages={"required": "异议受理电话为必填项"},
                         metadata={"maxLength": 50, "description": "公示中受理异议的电话"})
    objection_email = Text(required=True, error_messages={"required": "异议受理邮箱为必填项"},
                         metadata={"maxLength": 200, "description": "公示中受理异议的邮箱"})
    process_version_id = Int(load_default=None, allow_none=True,
                             metadata={"description": "流程版本（已部署的版本之一；省略则为最新版本）"})
    extra_settings = EXTRA_SETTINGS(load_default=None)
    status = fields.String(dump_only=True)


class RoundOutSchema(RoundSchema):
    unit_deadline = fields.DateTime()
    city_deadline = fields.DateTime()


class DeadlineChangeSchema(ActorNames):
    ACTORS = ("changed_by",)
    field = fields.String(metadata={"description": "unit_deadline 或 city_deadline"})
    before = fields.DateTime()
    after = fields.DateTime()
    reason = fields.String()
    changed_by = fields.String()
    changed_by_name = person("调整人")
    changed_at = fields.DateTime()
    applications_moved = fields.Integer(metadata={"description": "随之移动了定时器的申报数"})


class RoundDetailSchema(RoundOutSchema):
    editable = fields.Boolean(metadata={"description": "尚无申报开始：所有设置均可修改；否则只能延长截止日期"})
    settings_list = fields.List(fields.Nested(RoundSettingSchema), metadata={
        "description": "本批次流程版本读取的批次设置（名称、类型、中文名、默认值、范围）"})
    deadline_changes = fields.Nested(DeadlineChangeSchema, many=True)


class RoundChangeSchema(Schema):
    """Only the settings to change. Once an application has started, only later deadlines, with a reason."""

    name = Text(validate=validate.Length(min=1, max=200))
    year = Int(validate=validate.Range(min=2000, max=2100))
    categories = fields.List(CATEGORY, metadata={"description": "开放申报的类别（至少一个）"})
    unit_deadline = fields.Date(metadata={"description": f"单位申报截止日（{DEADLINE_DAY}）"})
    city_deadline = fields.Date(metadata={"description": f"市州推荐截止日（{DEADLINE_DAY}）"})
    notice_days = Int()
    expert_count = Int()
    pass_score = fields.Float()
    objection_address = Text(metadata={"maxLength": 300})
    objection_phone = Text(metadata={"maxLength": 50})
    objection_email = Text(metadata={"maxLength": 200})
    process_version_id = Int()
    extra_settings = EXTRA_SETTINGS()
    reason = Text(validate=validate.Length(max=500), metadata={"description": "原因（已有申报开始后延长截止日期时必填）"})


class OpenTaskSchema(Schema):
    task_id = fields.String()
    step = fields.String(attribute="bpmn_id")
    name = fields.String()
    role = fields.String()
    claimed_by = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    due_at = fields.DateTime(allow_none=True)


def _category_name(application) -> str:
    version_id = get_value(application, "process_version_id")
    return category_label(get_value(application, "category"), version_id if isinstance(version_id, int) else None)


class ApplicationSchema(Schema):
    id = fields.Integer()
    number = fields.String(allow_none=True, metadata={"description": "申报编号，如 2025-GC-220100-0007（年度-类别简称-市州代码-序号）"})
    round_id = fields.Integer()
    category = fields.String()
    category_name = fields.Function(lambda a: _category_name(a))
    city_code = fields.String()
    city_name = fields.Function(lambda a: CITIES.get(get_value(a, "city_code")))
    unit_name = fields.String()
    credit_code = fields.String(allow_none=True)
    stage = fields.String()
    outcome = fields.String(allow_none=True)
    outcome_reasons = fields.Function(lambda a: get_value(a, "outcome_reasons") or [],
                                      metadata={"description": "结束原因（如不符合申报范围的各项理由）"})
    version = fields.Integer(metadata={"description": "乐观锁版本，提交任务时带回"})
    needs_repair = fields.Boolean(metadata={"description": "流程出错，待管理员修复（见 /repair）"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)


class AttachmentSchema(Schema):
    id = fields.Integer()
    application_id = fields.Integer()
    name = fields.String(attribute="original_name")
    kind = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_at = fields.DateTime()
    removed_at = fields.DateTime(allow_none=True, metadata={"description": "提交前被删除或替换的时间"})
    replaced_by_id = fields.Integer(allow_none=True, metadata={"description": "替换它的附件 id"})


class ExclusionMismatchSchema(Schema):
    exclusion = fields.String(metadata={"description": "排除情形字段（exc_*）"})
    label = fields.String(data_key="排除情形", attribute="排除情形")
    declared = fields.String(data_key="自查", attribute="自查", metadata={"description": "单位自查：是/否"})
    verified = fields.String(data_key="核查", attribute="核查", metadata={"description": "市州核查：是/否"})
    source = fields.String(data_key="核查来源", attribute="核查来源")
    queried_on = fields.String(data_key="查询日期", attribute="查询日期")
    evidence = fields.String(data_key="核查证据", attribute="核查证据", metadata={"description": "证据文件名"})
    evidence_id = fields.Integer(allow_none=True, metadata={"description": "证据附件编号：GET /api/attachments/{id}"})


class ApplicationDetailSchema(ApplicationSchema):
    process_version = fields.Integer()
    open_tasks = fields.List(fields.Nested(OpenTaskSchema))
    attachments = fields.List(fields.Nested(AttachmentSchema))
    removed_attachments = fields.List(fields.Nested(AttachmentSchema), metadata={
        "description": "提交前被删除或替换的附件（留档，不再计入申报材料）"})
    exclusion_mismatches = fields.List(fields.Nested(ExclusionMismatchSchema), metadata={
        "description": "市州核查结果与单位自查不一致的排除情形（仅市州、省厅和审计可见）"})


class AuditEventSchema(Schema):
    seq = fields.Integer()
    at = fields.DateTime()
    actor = fields.String(metadata={"description": "登录名（不许查看专家身份的读者看到“评审专家”）"})
    actor_name = fields.String(metadata={"description": "办理人：单位/科室 + 姓名；系统（定时器）；评审专家"})
    action = fields.String()
    element_id = fields.String(allow_none=True)
    data = fields.Dict()
    hash = fields.String()


class AuditTrailSchema(Schema):
    verified = fields.Boolean()
    broken_at = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)
    events = fields.List(fields.Nested(AuditEventSchema))
