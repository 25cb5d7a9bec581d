"""Process administration: drafts of next year's diagram and forms, validation, rehearsal, deployment,
next year's round. Administrators only."""
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from service.applications.access import visible_application_or_404
from service.engine.diff import diff_bundles
from service.versions.drafts import (bundle_of, create_draft, delete_file, deploy_draft, files_of, get_draft_or_404, problem_dict, save_file, validate_draft)
from service.engine.bundle import Bundle
from service.platform.errors import Invalid, NotFound
from service.platform.extensions import db
from service.platform.inputs import Int, Text
from service.versions.models import ProcessDraft, ProcessVersion
from service.rounds.models import Round
from service.versions.deploy import get_version_or_404
from service.versions.rehearsal import rehearse
from service.rounds.service import next_round
from service.platform.transactions import transaction
from service.applications.moves import check_move, move_application
from service.api.auth import BEARER, current_user, protect, roles_required
from service.api.blueprint import Blueprint
from service.api.processes import DiffSchema, VersionSchema
from service.api.schemas import EXTRA_SETTINGS, ActorNames, RoundOutSchema, person

blp = Blueprint("process_drafts", __name__, url_prefix="/api/process-drafts", description="流程草稿（管理员）")
protect(blp)
rounds_blp = Blueprint("round_admin", __name__, url_prefix="/api/rounds", description="年度批次（管理员）")
protect(rounds_blp)


class NewProcessDraftSchema(Schema):
    from_version = Int(required=True, metadata={"description": "以哪个流程版本为底稿（id）"})
    name = Text(validate=validate.Length(min=1, max=200))


class ProcessDraftSummarySchema(ActorNames):
    ACTORS = ("created_by", "updated_by")
    id = fields.Integer()
    name = fields.String()
    base_version_id = fields.Integer(allow_none=True)
    revision = fields.Integer(metadata={"description": "保存次数；保存时带回，以免覆盖他人的修改"})
    created_by = fields.String()
    created_by_name = person("创建人")
    created_at = fields.DateTime()
    updated_by = fields.String()
    updated_by_name = person("最后修改人")
    updated_at = fields.DateTime()
    deployed_version_id = fields.Integer(allow_none=True)


class ProcessDraftSchema(ProcessDraftSummarySchema):
    files = fields.Dict(metadata={"description": "文件名（processes/… 或 forms/…）→ 内容"})


class DraftFileSchema(Schema):
    content = Text(required=True, multiline=True, metadata={"description": "BPMN/DMN XML 或 form-js JSON 文本"})
    revision = Int(load_default=None, metadata={"description": "打开时读到的 revision"})


class DraftRevisionArgs(Schema):
    revision = Int(load_default=None)


class BundleProblemSchema(Schema):
    file = fields.String()
    element = fields.String(allow_none=True, metadata={"description": "元素 id 与名称"})
    element_id = fields.String(allow_none=True, metadata={"description": "元素 id（在流程图上标注用）"})
    message = fields.String()


class BundleValidationSchema(Schema):
    valid = fields.Boolean()
    problems = fields.List(fields.Nested(BundleProblemSchema))


class RehearseSchema(Schema):
    round = Int(load_default=None, metadata={"description": "回放哪个批次的真实申报（可不填）"})


class RehearsedPathSchema(Schema):
    label = fields.String()
    status = fields.String(metadata={"description": "same / different / stuck / running / skipped"})
    expected = fields.String(allow_none=True)
    rehearsed = fields.String(allow_none=True)
    diverged_at = fields.String(allow_none=True)
    diverged_name = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    application_id = fields.Integer(allow_none=True)
    new_steps = fields.List(fields.String(), metadata={"description": "脚本未写到、按表单自动办理的新增环节"})
    findings = fields.List(fields.Dict(), metadata={"description": "这条真实申报从未回答、草稿却要求的字段"})


class RequirementSchema(Schema):
    kind = fields.String(metadata={"description": "required_field（新增必填字段）或 exclusion（新增排除情形）"})
    element_id = fields.String()
    step = fields.String()
    key = fields.String()
    label = fields.String()
    unanswered_by = fields.List(fields.Integer(), metadata={"description": "从未回答此项的真实申报编号"})


class CoverageSchema(Schema):
    categories = fields.List(fields.Dict())
    steps = fields.Integer(metadata={"description": "草稿中的用户任务数"})
    steps_not_covered = fields.List(fields.Dict(), metadata={"description": "标准路径未经过的环节"})


class PreviewRowSchema(Schema):
    application_id = fields.Integer()
    unit_name = fields.String()
    city = fields.String()
    average_score = fields.Float(allow_none=True)
    rank = fields.Integer(metadata={"description": "按草稿的优先推荐情形决策表的排名"})
    rank_before = fields.Integer(metadata={"description": "按批次现行版本的排名"})
    priority_weight = fields.Float()
    priority_weight_before = fields.Float()
    signals = fields.List(fields.Dict(), metadata={"description": "草稿决策表给出的优先推荐情形"})
    problem = fields.String(allow_none=True)


class PreviewCategorySchema(Schema):
    key = fields.String()
    name = fields.String()
    changed = fields.Integer(metadata={"description": "排名变化的申报数"})
    rows = fields.List(fields.Nested(PreviewRowSchema))


class RankingPreviewSchema(Schema):
    round_id = fields.Integer()
    pending_review = fields.Integer()
    categories = fields.List(fields.Nested(PreviewCategorySchema))


class RehearsalSchema(Schema):
    round_id = fields.Integer(allow_none=True)
    standard = fields.List(fields.Nested(RehearsedPathSchema))
    recorded = fields.List(fields.Nested(RehearsedPathSchema))
    coverage = fields.Nested(CoverageSchema)
    findings = fields.List(fields.Nested(RequirementSchema),
                           metadata={"description": "草稿新增的必填字段和排除情形，及从未回答它们的真实申报"})
    summary = fields.Dict()
    ranking = fields.Nested(RankingPreviewSchema, metadata={
        "description": "所选批次专家评审完成的申报按草稿的优先推荐情形决策表重新排名，与现行排名对照（选了批次才有）"})


class DeploySchema(Schema):
    note = Text(required=True, multiline=True, validate=validate.Length(max=2000),
                metadata={"description": "部署说明"})


class NextRoundSchema(Schema):
    """Everything else is carried over from the previous round; these replace what would be carried."""

    process_version_id = Int(required=True)
    name = Text(validate=validate.Length(min=1, max=200))
    unit_deadline = fields.Date(metadata={"description": "单位申报截止日（省略则为上一批次的一年后）"})
    city_deadline = fields.Date(metadata={"description": "市州推荐截止日（省略则为上一批次的一年后）"})
    objection_address = Text(validate=validate.Length(min=1, max=300))
    objection_phone = Text(validate=validate.Length(min=1, max=50))
    objection_email = Text(validate=validate.Length(min=1, max=200))
    notice_days = Int(metadata={"description": "公示期（工作日；省略则照搬）"})
    expert_count = Int(metadata={"description": "评审专家人数（省略则照搬）"})
    pass_score = fields.Float(metadata={"description": "合格分（省略则照搬）"})
    extra_settings = EXTRA_SETTINGS()


def _draft_view(draft: ProcessDraft, with_files: bool = True) -> dict:
    view = {c.key: getattr(draft, c.key) for c in ProcessDraft.__table__.columns if c.key != "bundle"}
    if with_files:
        view["files"] = files_of(bundle_of(draft))
    return view


@blp.route("", methods=["POST"])
@blp.response(201, ProcessDraftSchema)
@blp.doc(security=BEARER)
@roles_required("admin")
@blp.arguments(NewProcessDraftSchema)
def new_draft(body):
    """以一个已部署版本为底稿新建草稿"""
    with transaction():
        draft_id = create_draft(actor=current_user().username, from_version_id=body["from_version"],
                                name=body.get("name")).id
    return _draft_view(get_draft_or_404(draft_id))


@blp.route("")
@blp.response(200, ProcessDraftSummarySchema(many=True))
@blp.doc(security=BEARER)
@roles_required("admin")
def list_drafts():
    """全部草稿"""
    return db.session.scalars(select(ProcessDraft).order_by(ProcessDraft.id.desc())).all()


@blp.route("/<int:draft_id>")
@blp.response(200, ProcessDraftSchema)
@blp.doc(security=BEARER)
@roles_required("admin")
def get_draft(draft_id):
    """一个草稿及其全部文件"""
    return _draft_view(get_draft_or_404(draft_id))


@blp.route("/<int:draft_id>/files/<path:name>", methods=["PUT"])
@blp.response(200, ProcessDraftSummarySchema)
@blp.doc(security=BEARER)
@roles_required("admin")
@blp.arguments(DraftFileSchema)
def put_file(body, draft_id, name):
    """保存草稿中的一个文件（建模器中编辑的、别处画好上传的流程图，表单或规则）"""
    with transaction():
        draft = save_file(get_draft_or_404(draft_id), name, body["content"], actor=current_user().username,
                          expected_revision=body["revision"])
        return _draft_view(draft, with_files=False)


@blp.route("/<int:draft_id>/files/<path:name>", methods=["DELETE"])
@blp.response(200, ProcessDraftSummarySchema)
@blp.doc(security=BEARER)
@roles_required("admin")
@blp.arguments(DraftRevisionArgs, location="query")
def remove_file(args, draft_id, name):
    """删除草稿中的一个文件"""
    with transaction():
        draft = delete_file(get_draft_or_404(draft_id), name, actor=current_user().username,
                            expected_revision=args["revision"])
        return _draft_view(draft, with_files=False)


@blp.route("/<int:draft_id>/validate", methods=["POST"])
@blp.response(200, BundleValidationSchema)
@blp.doc(security=BEARER)
@roles_required("admin")
def validate_view(draft_id):
    """校验草稿：每个问题给出文件、元素和改法"""
    problems = validate_draft(get_draft_or_404(draft_id))
    return {"valid": not problems, "problems": [problem_dict(p) for p in problems]}


@blp.route("/<int:draft_id>/rehearse", methods=["POST"])
@blp.response(200, RehearsalSchema)
@blp.doc(security=BEARER)
@roles_required("admin")
@blp.arguments(RehearseSchema)
def rehearse_view(body, draft_id):
    """预演：标准路径与所选批次真实申报的路径在草稿上重放（不写入任何申报）"""
    draft = get_draft_or_404(draft_id)
    problems = validate_draft(draft)
    if problems:
        raise Invalid("草稿未通过校验，无法预演", code="bundle_invalid", details=[problem_dict(p) for p in problems])
    if body["round"] is not None and db.session.get(Round, body["round"]) is None:
        raise NotFound(f"批次 {body['round']} 不存在")
    baseline = db.session.get(ProcessVersion, draft.base_version_id) if draft.base_version_id else None
    baseline = baseline or db.session.scalar(select(ProcessVersion).order_by(ProcessVersion.number.desc()))
    report = rehearse(bundle_of(draft), baseline_version=baseline, round_id=body["round"])
    db.session.rollback()  # a rehearsal reads; nothing it touched may be written
    return report


@blp.route("/<int:draft_id>/compare")
@blp.response(200, DiffSchema)
@blp.doc(security=BEARER)
@roles_required("admin")
def compare_with_base(draft_id):
    """草稿与其底稿版本的差异"""
    draft = get_draft_or_404(draft_id)
    base = get_version_or_404(draft.base_version_id)
    return diff_bundles(Bundle.from_json(base.bundle), bundle_of(draft))


@blp.route("/<int:draft_id>/deploy", methods=["POST"])
@blp.response(201, VersionSchema)
@blp.doc(security=BEARER)
@roles_required("admin")
@blp.arguments(DeploySchema)
def deploy_view(body, draft_id):
    """把通过校验的草稿部署为新的不可变版本（记入审计）"""
    with transaction():
        version_id = deploy_draft(get_draft_or_404(draft_id), actor=current_user().username, note=body["note"]).id
    return get_version_or_404(version_id)


@rounds_blp.route("/<int:round_id>/next", methods=["POST"])
@rounds_blp.response(201, RoundOutSchema)
@rounds_blp.doc(security=BEARER)
@roles_required("admin")
@rounds_blp.arguments(NextRoundSchema)
def create_next_round(body, round_id):
    """以上一年度批次为模板新建下一年度批次（设置照搬，截止日期顺延一年，选定流程版本）"""
    with transaction():
        new_id = next_round(round_id, actor=current_user().username, **body).id
    return db.session.get(Round, new_id)


applications_blp = Blueprint("application_moves", __name__, url_prefix="/api/applications",
                             description="申报迁移到其他流程版本（管理员）")
protect(applications_blp)


class MoveSchema(Schema):
    process_version_id = Int(required=True)
    dry_run = fields.Boolean(load_default=True, metadata={"description": "只检查不迁移（默认）"})
    note = Text(load_default="", multiline=True, validate=validate.Length(max=500),
                metadata={"description": "迁移原因"})


class MoveCheckSchema(Schema):
    application_id = fields.Integer()
    from_version = fields.Integer()
    to_version = fields.Integer()
    allowed = fields.Boolean()
    reasons = fields.List(fields.String())
    moved = fields.Boolean()


@applications_blp.route("/<int:application_id>/move", methods=["POST"])
@applications_blp.response(200, MoveCheckSchema)
@applications_blp.doc(security=BEARER)
@roles_required("admin")
@applications_blp.arguments(MoveSchema)
def move(body, application_id):
    """检查（dry_run）或执行把运行中的申报迁移到另一流程版本；已完成或进行中的环节有改动、多实例环节进行中时拒绝"""
    visible_application_or_404(current_user(), application_id)
    if body["dry_run"]:
        return {**check_move(application_id, body["process_version_id"]), "moved": False}
    if not body["note"].strip():
        raise Invalid("请说明迁移原因", fields={"note": ["迁移会记入审计，请写明原因"]})
    with transaction():
        move_application(application_id, body["process_version_id"], user=current_user(), note=body["note"].strip())
    return {**check_move(application_id, body["process_version_id"]), "allowed": True, "reasons": [], "moved": True}
