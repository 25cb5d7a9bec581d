"""Applications: start one, list and read them, their audit trail, and objections during notice."""
import json

from flask import Response
from marshmallow import Schema, fields, validate

from service.audit import chain as audit
from service.applications.views import (application_detail, audit_export, audit_view, detail_view, list_applications,
                                        open_items)
from service.versions.deploy import loaded_version
from service.applications.commands import start_application
from service.applications.batch import ObjectionSchema, record_objection
from service.platform.inputs import Int, Text
from service.platform.reference import CITIES
from service.platform.transactions import transaction, write_lock_late
from service.api.auth import BEARER, current_user, protect, roles_required
from service.api.blueprint import Blueprint
from service.api.schemas import (SEARCH_DESCRIPTION, ApplicationDetailSchema, ApplicationSchema, AuditTrailSchema,
                                 PageArgs, page_schema)

blp = Blueprint("applications", __name__, url_prefix="/api/applications", description="申报")
protect(blp)


class StartSchema(Schema):
    round = Int(required=True, metadata={"description": "批次 id"})
    category = Text(required=True, validate=validate.Length(min=1, max=40),
                    metadata={"description": "类别代码：批次所用流程版本声明的类别之一，如 factory"})


class ListArgs(PageArgs):
    round = Int()
    stage = Text()
    city = Text(validate=validate.OneOf(list(CITIES)))
    category = Text(validate=validate.Length(min=1, max=40))
    outcome = Text()
    q = Text(validate=validate.Length(max=60), metadata={"description": SEARCH_DESCRIPTION})


class ObjectionOutSchema(ObjectionSchema):
    received_at = fields.String()
    recorded_by = fields.String()


@blp.route("", methods=["POST"])
@blp.response(201, ApplicationDetailSchema)
@blp.doc(security=BEARER)
@roles_required("applicant")
@blp.arguments(StartSchema)
@write_lock_late  # reads and the engine before the lock; every check made again under it (start_application)
def start(body):
    """申报单位开始一项申报；返回的待办中有填报任务"""
    with transaction():
        application = start_application(round_id=body["round"], category=body["category"], user=current_user())
        # Built before the commit, from the rows just written: nothing is read again.
        return detail_view(current_user(), application, open_items(application.id),
                           loaded_version(application.process_version_id).number, attachments=[])


@blp.route("")
@blp.arguments(ListArgs, location="query")
@blp.response(200, page_schema(ApplicationSchema, "ApplicationPage", capped=True))
@blp.doc(security=BEARER)
def index(args):
    """可见的申报（按角色和范围过滤），分页"""
    return list_applications(current_user(), page=args["page"], page_size=args["page_size"],
                             round_id=args.get("round"), city_code=args.get("city"),
                             category=args.get("category"), stage=args.get("stage"), outcome=args.get("outcome"),
                             q=args.get("q"))


@blp.route("/<int:application_id>")
@blp.response(200, ApplicationDetailSchema)
@blp.doc(security=BEARER)
def detail(application_id):
    """一项申报：环节、结果、流程版本、待办"""
    return application_detail(current_user(), application_id)


@blp.route("/<int:application_id>/audit")
@blp.response(200, AuditTrailSchema)
@blp.doc(security=BEARER)
def trail(application_id):
    """审计轨迹（有序）及哈希链是否校验通过"""
    return audit_view(current_user(), application_id)


@blp.route("/<int:application_id>/audit/export")
@blp.doc(security=BEARER, responses={200: {"description": "审计导出（JSON 文件）"}})
def trail_export(application_id):
    """审计导出：轨迹、各环节提交的数据、经过的流程元素、流程图和校验结果（JSON 下载，读取本身被记录）"""
    export = audit_export(current_user(), application_id)
    with transaction():
        audit.append(audit.SYSTEM_CHAIN, actor=current_user().username, action="report_exported",
                     data={"report": "audit_export", "application_id": application_id,
                           "verified": export["verification"]["verified"]})
    body = json.dumps(export, ensure_ascii=False, default=str, indent=2)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f"attachment; filename=audit-application-{application_id}.json"})


@blp.route("/<int:application_id>/objections", methods=["POST"])
@blp.response(201, ObjectionOutSchema)
@blp.doc(security=BEARER)
@roles_required("province_staff")
@blp.arguments(ObjectionSchema)
def objection(body, application_id):
    """省厅登记公示期内收到的实名异议"""
    with transaction():
        return record_objection(application_id=application_id, data=body, user=current_user())
