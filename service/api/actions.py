"""Task actions over HTTP: 转办, 撤回, 放弃申报, 催办, 抄送 and the 抄送我的 list (service: applications/actions.py)."""
from marshmallow import Schema, fields, validate

from service.api.auth import BEARER, current_user, protect
from service.api.blueprint import Blueprint
from service.api.schemas import ApplicationDetailSchema, PageArgs, page_schema
from service.api.tasks import TaskSummarySchema
from service.applications import actions
from service.applications.inbox import in_inbox, task_summary
from service.applications.views import detail_view, open_items
from service.platform.extensions import db
from service.platform.inputs import Int, Text
from service.platform.reference import CITIES
from service.applications.models import Application
from service.platform.transactions import transaction
from service.versions.deploy import loaded_version

blp = Blueprint("task_actions", __name__, url_prefix="/api", description="转办、撤回、放弃申报、催办、抄送")
protect(blp)

REFUSED_409 = "take_back_refused / deadline_passed / urged_today / already_copied / claimed_by_other / " \
              "not_transferable 等：当前不能执行，message 说明原因，申报未作任何改动"


class SearchArgs(Schema):
    q = Text(load_default="", validate=validate.Length(max=50), metadata={"description": "姓名或账号的一部分"})


class CandidateSchema(Schema):
    id = fields.Integer()
    display_name = fields.String()
    city_name = fields.String(allow_none=True)


class HandOverSchema(Schema):
    to = Int(load_default=None, allow_none=True, metadata={"description": "接收转办的同事（账号编号，来自 colleagues）"})
    reason = Text(multiline=True, load_default=None, allow_none=True, metadata={"description": "转办原因（必填，记入审计）"})


class ReasonSchema(Schema):
    reason = Text(multiline=True, load_default=None, allow_none=True, metadata={"description": "原因（必填，记入审计）"})


class UrgeArgs(Schema):
    note = Text(multiline=True, load_default=None, allow_none=True, metadata={"description": "催办说明（选填）"})


class UrgedSchema(Schema):
    task_id = fields.String()
    application_id = fields.Integer()
    name = fields.String()
    urged_at = fields.DateTime()
    urged_by = fields.Dict()
    note = fields.String(allow_none=True)
    owners = fields.List(fields.String(), metadata={"description": "收到催办通知的办理人（最多列出 20 位）"})
    owner_count = fields.Integer()


class CopyArgs(Schema):
    to = Int(load_default=None, allow_none=True, metadata={"description": "抄送给的同事（账号编号，来自 copy-candidates）"})
    note = Text(multiline=True, load_default=None, allow_none=True, metadata={"description": "抄送说明（选填）"})


class CopiedSchema(Schema):
    application_id = fields.Integer()
    to = fields.Dict()
    note = fields.String(allow_none=True)
    copied_at = fields.DateTime()


class CopyRowSchema(Schema):
    application_id = fields.Integer()
    unit_name = fields.String()
    category = fields.String()
    city_code = fields.String()
    stage = fields.String()
    outcome = fields.String(allow_none=True)
    copied_by = fields.String()
    copied_at = fields.DateTime()
    note = fields.String(allow_none=True)


def _people(users):
    return [{"id": u.id, "display_name": u.display_name, "city_name": CITIES.get(u.city_code or "")} for u in users]


def _detail(application: Application):
    # Built before the commit, from the rows just written.
    return detail_view(current_user(), application, open_items(application.id),
                       loaded_version(application.process_version_id).number)


@blp.route("/tasks/<task_id>/colleagues")
@blp.arguments(SearchArgs, location="query")
@blp.response(200, CandidateSchema(many=True))
@blp.doc(security=BEARER)
def colleagues(args, task_id):
    """可转办的同事：本环节同角色、同范围（同一市州或同一单位）的在岗账号，按姓名搜索，最多 20 位"""
    return in_inbox(current_user(), task_id, lambda: _people(
        actions.colleagues_for_task(task_id=task_id, user=current_user(), text=args["q"])))


@blp.route("/tasks/<task_id>/hand-over", methods=["POST"])
@blp.arguments(HandOverSchema)
@blp.response(200, TaskSummarySchema)
@blp.alt_response(409, schema="Error", description=REFUSED_409)
@blp.doc(security=BEARER)
def hand_over(body, task_id):
    """转办：把待办（未认领或本人认领的；省厅也可转办他人认领的）交给同角色、同范围的同事，同事收到通知，认领人改为该同事"""
    def command():
        with transaction():
            item = actions.hand_over(task_id=task_id, to=body["to"], reason=body["reason"], user=current_user())
            return task_summary(item, db.session.get(Application, item.application_id).unit_name)
    return in_inbox(current_user(), task_id, command)


@blp.route("/tasks/<task_id>/urge", methods=["POST"])
@blp.arguments(UrgeArgs)
@blp.response(200, UrgedSchema)
@blp.alt_response(409, schema="Error", description="urged_today：该任务今天已催办过（每个任务每天最多一次）")
@blp.doc(security=BEARER)
def urge(body, task_id):
    """催办：省厅可催办任何待办，市州可催办本市州申报单位的待办；办理人收到通知，待办列表显示“已催办”"""
    with transaction():
        return actions.urge(task_id=task_id, note=body["note"], user=current_user())


@blp.route("/applications/<int:application_id>/take-back", methods=["POST"])
@blp.arguments(ReasonSchema)
@blp.response(200, ApplicationDetailSchema)
@blp.alt_response(409, schema="Error", description=REFUSED_409)
@blp.doc(security=BEARER)
def take_back(body, application_id):
    """撤回：撤回本单位（本市州）最近一次提交，条件是其后的待办尚无人认领或办理；环节带着上次提交的内容回到待办"""
    with transaction():
        return _detail(actions.take_back(application_id=application_id, reason=body["reason"], user=current_user()))


@blp.route("/applications/<int:application_id>/withdraw", methods=["POST"])
@blp.arguments(ReasonSchema)
@blp.response(200, ApplicationDetailSchema)
@blp.alt_response(409, schema="Error", description=REFUSED_409)
@blp.doc(security=BEARER)
def withdraw(body, application_id):
    """放弃申报：申报单位在市州推荐截止前放弃整份申报，结果为“放弃申报”，其待办与期限一并撤销"""
    with transaction():
        return _detail(actions.withdraw(application_id=application_id, reason=body["reason"], user=current_user()))


@blp.route("/applications/<int:application_id>/copy-candidates")
@blp.arguments(SearchArgs, location="query")
@blp.response(200, CandidateSchema(many=True))
@blp.doc(security=BEARER)
def copy_candidates(args, application_id):
    """可抄送的同事：本单位（省厅或本市州）在岗的工作人员，按姓名搜索，最多 20 位"""
    return _people(actions.copy_candidates(application_id=application_id, user=current_user(), text=args["q"]))


@blp.route("/applications/<int:application_id>/copies", methods=["POST"])
@blp.arguments(CopyArgs)
@blp.response(201, CopiedSchema)
@blp.alt_response(409, schema="Error", description="already_copied：已抄送给该同事")
@blp.doc(security=BEARER)
def copy(body, application_id):
    """抄送：同事获得这份申报的查看权限并收到通知（不能办理）"""
    with transaction():
        return actions.copy_application(application_id=application_id, to=body["to"], note=body["note"],
                                        user=current_user())


@blp.route("/copies")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(CopyRowSchema, "CopyPage"))
@blp.doc(security=BEARER)
def copied_to_me(args):
    """抄送我的：抄送给我的申报，最新的在前"""
    return actions.copied_to_me(current_user(), **args)
