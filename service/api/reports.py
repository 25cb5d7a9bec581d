"""Reports as files: the city's 推荐汇总表 and the round's lists. Every download is recorded."""
import io

from flask import send_file
from marshmallow import Schema, fields, validate

from service.audit import chain as audit
from service.platform.errors import Forbidden, NotFound
from service.platform.inputs import Text
from service.platform.reference import CITIES
from service.rounds.reports import list_workbook, statistics_workbook, summary_table
from service.rounds.service import get_round_or_404
from service.rounds.statistics import round_statistics
from service.platform.transactions import transaction
from service.api.auth import BEARER, current_user, protect
from service.api.blueprint import Blueprint

blp = Blueprint("reports", __name__, url_prefix="/api/rounds", description="汇总表与名单")
protect(blp)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
READ_ALL = ("province_staff", "admin", "auditor")


class CityArgs(Schema):
    city = Text(validate=validate.OneOf(list(CITIES)), metadata={"description": "市州代码（市州账号可省略）"})



def _record(report: str, **details):
    with transaction():
        audit.append(audit.SYSTEM_CHAIN, actor=current_user().username, action="report_exported",
                     data={"report": report, **details})


@blp.route("/<int:round_id>/summary-table")
@blp.arguments(CityArgs, location="query")
@blp.doc(security=BEARER, responses={200: {"description": "推荐汇总表 .xlsx，每个申报类别一页"}})
def city_summary(args, round_id):
    """市州推荐汇总表（附件1）：已封存则为最近一批封存的文件本身，未封存则为预览；市州账号只能下载本市州的"""
    user = current_user()
    round_ = get_round_or_404(round_id)
    city = args.get("city") or user.city_code
    reads_all = any(user.has_role(r) for r in READ_ALL)
    if not reads_all and not (user.has_role("city_reviewer") and city == user.city_code):
        raise Forbidden("只能下载本市州的推荐汇总表")
    if city is None:
        raise NotFound("请指定市州（city）")
    content = _summary_content(user, round_.id, city)
    _record("summary_table", round_id=round_.id, city=city)
    return send_file(_stream(content), mimetype=XLSX, as_attachment=True,
                     download_name=f"{round_.name}-推荐汇总表-{CITIES[city]}.xlsx")


def _summary_content(user, round_id: int, city: str) -> bytes:
    """The city's latest frozen 推荐汇总表, byte for byte; before any freeze, a preview marked as such."""
    from service.platform.storage import files_folder
    from service.rounds import packages

    frozen = packages.packages_of(round_id, city)
    if frozen:
        return packages.stored_file(user, frozen[-1].id, "table", files_folder())[1]
    return summary_table(round_id, city, [(a, None) for a in packages.pending(round_id, city)], preview=True)


class StageCountSchema(Schema):
    stage = fields.String()
    city_code = fields.String()
    category = fields.String()
    count = fields.Integer()


class StepDurationSchema(Schema):
    step = fields.String()
    name = fields.String()
    completed = fields.Integer()
    median_hours = fields.Float()
    p90_hours = fields.Float()
    time_limit_days = fields.Integer(allow_none=True, metadata={"description": "办理时限（工作日），流程图未设则为空"})


class MissedSchema(Schema):
    step = fields.String()
    name = fields.String()
    count = fields.Integer()


class StatisticsSchema(Schema):
    by_stage = fields.List(fields.Nested(StageCountSchema))
    steps = fields.List(fields.Nested(StepDurationSchema))
    missed_deadlines = fields.List(fields.Nested(MissedSchema))


@blp.route("/<int:round_id>/statistics")
@blp.response(200, StatisticsSchema)
@blp.doc(security=BEARER)
def round_statistics_view(round_id):
    """批次统计：各环节×市州×类别的申报数，各环节办理时长（中位数、P90），最常超期的环节"""
    if not any(current_user().has_role(r) for r in READ_ALL):
        raise Forbidden("只有省厅、管理员和审计可以查看批次统计")
    return round_statistics(get_round_or_404(round_id).id)


@blp.route("/<int:round_id>/statistics.xlsx")
@blp.doc(security=BEARER, responses={200: {"description": "批次统计 .xlsx"}})
def statistics_file(round_id):
    """批次统计导出（环节分布、办理时长、超期次数三张表）"""
    if not any(current_user().has_role(r) for r in READ_ALL):
        raise Forbidden("只有省厅、管理员和审计可以导出批次统计")
    round_ = get_round_or_404(round_id)
    content = statistics_workbook(round_.id)
    _record("statistics", round_id=round_.id)
    return send_file(_stream(content), mimetype=XLSX, as_attachment=True, download_name=f"{round_.name}-统计.xlsx")


class ListArgs(Schema):
    city = Text(validate=validate.OneOf(list(CITIES)), metadata={"description": "市州代码：只含该市州的单位（市州账号只能下载本市州的认定名单）"})


@blp.route("/<int:round_id>/lists/<any(notice, published):kind>.xlsx")
@blp.arguments(ListArgs, location="query")
@blp.doc(security=BEARER, responses={200: {"description": "名单 .xlsx"}})
def list_file(args, round_id, kind):
    """拟认定（公示）名单或认定名单（含统一社会信用代码）：省厅、管理员、审计可下载全省或某市州的；
    市州账号只能下载本市州的认定名单"""
    user = current_user()
    city = args.get("city")
    if not any(user.has_role(r) for r in READ_ALL):
        if kind != "published" or not user.has_role("city_reviewer") or not user.city_code:
            raise Forbidden("只有省厅、管理员和审计可以下载公示名单；市州只能下载本市州的认定名单")
        if city not in (None, user.city_code):
            raise Forbidden("只能下载本市州的认定名单")
        city = user.city_code
    round_ = get_round_or_404(round_id)
    content = list_workbook(round_.id, kind, city)
    _record(f"{kind}_list", round_id=round_.id, city=city)
    name = "公示名单" if kind == "notice" else "认定名单"
    scope = f"-{CITIES[city]}" if city else ""
    return send_file(_stream(content), mimetype=XLSX, as_attachment=True,
                     download_name=f"{round_.name}-{name}{scope}.xlsx")


def _stream(content: bytes) -> io.BytesIO:
    return io.BytesIO(content)
