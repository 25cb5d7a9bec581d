"""Rounds and the round-level batch actions."""
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from service.applications.batch import batch_action
from service.platform.extensions import db
from service.platform.inputs import Int
from service.rounds.models import Round
from service.rounds.changes import deadline_history, has_started, update_round
from service.rounds.service import get_round_or_404, open_round, settings_of as all_settings_of
from service.rounds.setting_values import extras, listed
from service.platform.transactions import transaction
from service.api.auth import BEARER, current_user, protect, roles_required
from service.api.blueprint import Blueprint
from service.api.schemas import RoundChangeSchema, RoundDetailSchema, RoundOutSchema, RoundSchema

blp = Blueprint("rounds", __name__, url_prefix="/api/rounds", description="年度批次与批量操作")
protect(blp)


class BatchSchema(Schema):
    applications = fields.List(Int(), required=True, validate=validate.Length(min=1, max=5000))


class BatchResultSchema(Schema):
    batch_id = fields.String()
    action = fields.String()
    applications = fields.List(fields.Integer())



@blp.route("")
@blp.response(200, RoundOutSchema(many=True))
@blp.doc(security=BEARER)
def list_rounds():
    """全部批次"""
    return db.session.scalars(select(Round).order_by(Round.year.desc(), Round.id.desc())).all()


@blp.route("", methods=["POST"])
@blp.response(201, RoundOutSchema)
@blp.doc(security=BEARER)
@roles_required("admin", "province_staff")
@blp.arguments(RoundSchema)
def create_round(settings):
    """新建批次（管理员、省厅）：开放类别、两个截止日、公示期、专家人数、合格分、异议受理方式、流程版本"""
    with transaction():
        round_ = open_round(actor=current_user().username, **settings)
        round_id = round_.id
    return get_round_or_404(round_id)


def _detail(round_id: int) -> dict:
    round_ = get_round_or_404(round_id)
    columns = {column.key: getattr(round_, column.key) for column in Round.__table__.columns}
    recorded = all_settings_of(round_)
    return {**columns, "editable": not has_started(round_id), "deadline_changes": deadline_history(round_id),
            "extra_settings": {s.name: recorded[s.name] for s in extras(round_.process_version_id)},
            "settings_list": [s.as_dict() for s in listed(round_.process_version_id)]}


@blp.route("/<int:round_id>")
@blp.response(200, RoundDetailSchema)
@blp.doc(security=BEARER)
def get_round(round_id):
    """一个批次：全部设置、是否仍可修改、截止日期调整记录"""
    return _detail(round_id)


@blp.route("/<int:round_id>", methods=["PATCH"])
@blp.response(200, RoundDetailSchema)
@blp.doc(security=BEARER, responses={409: {"description": "已有申报开始后修改截止日期以外的设置"}})
@roles_required("admin", "province_staff")
@blp.arguments(RoundChangeSchema)
def change_round(changes, round_id):
    """修改批次设置（管理员、省厅）：尚无申报时均可修改；已有申报后只能延后截止日期并说明原因（记入审计，已在办申报的定时器随之移动）"""
    reason = changes.pop("reason", "")
    with transaction():
        update_round(round_id, changes=changes, actor=current_user().username, reason=reason)
    return _detail(round_id)


def _batch(round_id, body, message):
    get_round_or_404(round_id)
    with transaction():
        return batch_action(message=message, round_id=round_id, application_ids=body["applications"],
                            user=current_user())


@blp.route("/<int:round_id>/start-notice", methods=["POST"])
@blp.response(200, BatchResultSchema)
@blp.doc(security=BEARER)
@roles_required("province_staff")
@blp.arguments(BatchSchema)
def start_notice(body, round_id):
    """启动公示（省厅，批量；任何一个申报不能启动时全部不执行）"""
    return _batch(round_id, body, "start_notice")


@blp.route("/<int:round_id>/publish", methods=["POST"])
@blp.response(200, BatchResultSchema)
@blp.doc(security=BEARER)
@roles_required("province_staff")
@blp.arguments(BatchSchema)
def publish(body, round_id):
    """发布名单（省厅，批量）"""
    return _batch(round_id, body, "publish")
