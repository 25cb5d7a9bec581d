"""站内消息: the caller's messages, their unread count, and marking them read."""
from marshmallow import Schema, fields
from marshmallow.utils import get_value

from service.notify.messages import KIND_NAMES, mark_all_read, mark_read, message_list, unread_count
from service.platform.transactions import transaction
from service.api.auth import BEARER, current_user, protect
from service.api.blueprint import Blueprint
from service.api.schemas import PageArgs

blp = Blueprint("messages", __name__, url_prefix="/api/messages", description="站内消息")
protect(blp)


class MessageArgs(PageArgs):
    unread = fields.Boolean(load_default=False, metadata={"description": "只列未读消息"})


class SiteMessageSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "task_assigned / sent_back / deadline_soon / outcome / urged / copied"})
    kind_name = fields.Function(lambda m: KIND_NAMES.get(get_value(m, "kind"), "通知"))
    application_id = fields.Integer(allow_none=True)
    subject = fields.String()
    body = fields.String()
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


class UnreadSchema(Schema):
    unread_count = fields.Integer(metadata={"description": "未读消息数（最多数到 100，页面显示为 99+）"})


class MarkedSchema(Schema):
    marked = fields.Integer(metadata={"description": "本次标为已读的条数"})


class SiteMessagePageSchema(Schema):
    items = fields.List(fields.Nested(SiteMessageSchema))
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()
    unread_count = fields.Integer(metadata={"description": "未读消息数（最多数到 100）"})


@blp.route("")
@blp.arguments(MessageArgs, location="query")
@blp.response(200, SiteMessagePageSchema)
@blp.doc(security=BEARER)
def index(args):
    """我的站内消息，最新在前，分页；unread=true 只列未读"""
    return message_list(current_user(), **args)


@blp.route("/unread-count")
@blp.response(200, UnreadSchema)
@blp.doc(security=BEARER)
def unread():
    """未读消息数（页头的数字）"""
    return {"unread_count": unread_count(current_user())}


@blp.route("/<int:message_id>/read", methods=["POST"])
@blp.response(200, SiteMessageSchema)
@blp.doc(security=BEARER)
def read(message_id):
    """把一条消息标为已读（别人的消息答 404）"""
    with transaction():
        message = mark_read(current_user(), message_id)
        # Built before the commit, from the row just written: nothing is read again.
        return {c.key: getattr(message, c.key) for c in message.__table__.columns}


@blp.route("/read-all", methods=["POST"])
@blp.response(200, MarkedSchema)
@blp.doc(security=BEARER)
def read_all():
    """把我的未读消息全部标为已读"""
    with transaction():
        return {"marked": mark_all_read(current_user())}
