"""The province's ranking per category and the expert-review summary (专家评审汇总表) of a round."""
import io

from flask import send_file
from marshmallow import Schema, fields

from service.api.auth import BEARER, current_user, protect
from service.api.blueprint import Blueprint
from service.audit import chain as audit
from service.platform.errors import Invalid
from service.platform.inputs import Text
from service.platform.transactions import transaction
from service.rounds.ranking import expert_summary_workbook, round_ranking
from service.rounds.service import get_round_or_404
from service.versions.categories import version_categories

blp = Blueprint("ranking", __name__, url_prefix="/api/rounds", description="专家评审排名与优先推荐情形")
protect(blp)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RankingArgs(Schema):
    category = Text(metadata={"description": "只看一个申报类别（如 factory）；省略则为本批次开放的全部类别"})


class SignalSchema(Schema):
    key = fields.String(metadata={"description": "情形代码（决策表输出 signal）"})
    label = fields.String(metadata={"description": "优先推荐情形"})
    weight = fields.Float(metadata={"description": "同分排序权重"})


class RankedReviewSchema(Schema):
    expert = fields.String(metadata={"description": "专家姓名（含单位）"})
    score = fields.Float(metadata={"description": "评分"})
    opinion = fields.String(metadata={"description": "评审意见"})
    site_inspection = fields.Boolean(metadata={"description": "是否建议现场核查"})


class RankedRowSchema(Schema):
    rank = fields.Integer(metadata={"description": "类别内排名（平均分与权重之和都相同的并列）"})
    tied = fields.Boolean(metadata={"description": "是否并列"})
    application_id = fields.Integer()
    unit_name = fields.String()
    credit_code = fields.String(allow_none=True)
    city_code = fields.String()
    city = fields.String()
    category = fields.String()
    stage = fields.String(metadata={"description": "当前环节"})
    average_score = fields.Float(allow_none=True, metadata={"description": "专家评审平均分（保留两位小数）"})
    scores = fields.List(fields.Float(), metadata={"description": "各位专家的评分，按评审顺序，不含专家姓名"})
    review_count = fields.Integer(metadata={"description": "评审专家数"})
    signals = fields.List(fields.Nested(SignalSchema))
    priority_weight = fields.Float(metadata={"description": "优先推荐情形权重之和（同分时高者在前）"})
    problem = fields.String(allow_none=True, metadata={"description": "优先推荐情形无法计算时的原因"})
    reviews = fields.List(fields.Nested(RankedReviewSchema), metadata={
        "description": "各位专家的评分与评审意见（每位专家最近一次评审），公示批次旁逐一列出"})
    inspection_requested = fields.List(fields.String(), metadata={"description": "建议现场核查的专家"})


class RankedCategorySchema(Schema):
    key = fields.String()
    name = fields.String()
    rows = fields.List(fields.Nested(RankedRowSchema))


class PriorityRuleSchema(Schema):
    signal = fields.String()
    label = fields.String()
    weight = fields.Float()
    description = fields.String()


class RankingSchema(Schema):
    round_id = fields.Integer()
    rule = fields.String(metadata={"description": "排名规则的说明"})
    has_priority_rule = fields.Boolean(metadata={"description": "流程版本是否含优先推荐情形决策表"})
    priority_rules = fields.List(fields.Nested(PriorityRuleSchema), metadata={"description": "决策表的各条规则"})
    pending_review = fields.Integer(metadata={"description": "专家评审尚未完成、未列入排名的申报数"})
    categories = fields.List(fields.Nested(RankedCategorySchema))


def _category(round_, args) -> str | None:
    category = args.get("category")
    if category and category not in version_categories(round_.process_version_id):
        raise Invalid("申报类别不存在", fields={"category": [f"本批次的流程版本没有类别“{category}”"]})
    return category


@blp.route("/<int:round_id>/ranking")
@blp.arguments(RankingArgs, location="query")
@blp.response(200, RankingSchema)
@blp.doc(security=BEARER)
def ranking_view(args, round_id):
    """专家评审排名：每个类别按专家平均分排序，同分按优先推荐情形（流程版本的决策表）权重之和排序。
    仅省厅、管理员和审计可见"""
    round_ = get_round_or_404(round_id)
    return round_ranking(round_.id, current_user(), _category(round_, args))


@blp.route("/<int:round_id>/expert-summary.xlsx")
@blp.doc(security=BEARER, responses={200: {"description": "专家评审汇总表 .xlsx，每个申报类别一页，按排名"}})
def expert_summary_file(round_id):
    """专家评审汇总表（按类别、按排名，含各专家评分、平均分和优先推荐情形）；仅省厅、管理员和审计可下载"""
    user = current_user()
    round_ = get_round_or_404(round_id)
    content = expert_summary_workbook(round_.id, user)
    with transaction():
        audit.append(audit.SYSTEM_CHAIN, actor=user.username, action="report_exported",
                     data={"report": "expert_summary", "round_id": round_.id})
    return send_file(io.BytesIO(content), mimetype=XLSX, as_attachment=True,
                     download_name=f"{round_.name}-专家评审汇总表.xlsx")
