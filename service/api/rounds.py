"""Rounds and the round-level batch actions."""
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from service.applications.batch import batch_action
from service.platform.extensions import db
from service.platform.inputs import Int
from service.rounds.models import Round
from service.rounds.service import get_round_or_404, open_round
from service.platform.transactions import transaction
from service.api.auth import BEARER, current_user, protect, roles_required
from service.api.blueprint import Blueprint
from service.api.schemas import RoundOutSchema, RoundSchema

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
    """新建批次（管理员、省厅）"""
    with transaction():
        round_ = open_round(actor=current_user().username, **settings)
        round_id = round_.id
    return get_round_or_404(round_id)


@blp.route("/<int:round_id>")
@blp.response(200, RoundOutSchema)
@blp.doc(security=BEARER)
def get_round(round_id):
    """一个批次"""
    return get_round_or_404(round_id)


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
