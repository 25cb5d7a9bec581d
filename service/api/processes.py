"""Deployed process versions: their files and validation report."""
from flask import Response
from marshmallow import Schema, fields
from sqlalchemy import select

from service.engine.bundle import Bundle
from service.platform.extensions import db
from service.platform.inputs import Int
from service.versions.models import ProcessVersion
from service.engine.diff import diff_bundles
from service.versions.drafts import archive, version_usage
from service.versions.deploy import get_version_or_404
from service.api.auth import BEARER, protect, roles_required
from service.api.blueprint import Blueprint
from service.api.schemas import ActorNames, person

blp = Blueprint("process_versions", __name__, url_prefix="/api/process-versions", description="流程版本")
protect(blp)
READERS = ("admin", "province_staff", "auditor")


class VersionSchema(ActorNames):
    ACTORS = ("deployed_by",)
    id = fields.Integer()
    number = fields.Integer()
    content_hash = fields.String()
    process_id = fields.String()
    note = fields.String()
    deployed_by = fields.String()
    deployed_by_name = person("部署人")
    deployed_at = fields.DateTime()


class ElementSchema(Schema):
    id = fields.String()
    type = fields.String()
    name = fields.String()


class ChangedElementSchema(ElementSchema):
    changes = fields.List(fields.Dict(), metadata={"description": "[{property, before, after}]"})


class DiffSchema(Schema):
    added = fields.List(fields.Nested(ElementSchema))
    removed = fields.List(fields.Nested(ElementSchema))
    changed = fields.List(fields.Nested(ChangedElementSchema))
    files_changed = fields.List(fields.String())


class UsageSchema(Schema):
    rounds = fields.List(fields.Dict(), metadata={"description": "使用该版本的批次 [{id, name}]"})
    applications = fields.Integer(metadata={"description": "运行在该版本上的申报数"})
    running = fields.Integer(metadata={"description": "其中尚未结束的"})


class VersionListSchema(VersionSchema):
    usage = fields.Nested(UsageSchema)


class VersionDetailSchema(VersionSchema):
    files = fields.Dict(metadata={"description": "文件名 → 内容（processes/ 与 forms/）"})
    validation_report = fields.List(fields.String())


@blp.route("")
@blp.response(200, VersionListSchema(many=True))
@blp.doc(security=BEARER)
@roles_required(*READERS)
def index():
    """全部已部署的流程版本：谁、何时、说明、内容哈希、使用它的批次和运行在它上面的申报数"""
    usage = version_usage()
    empty = {"rounds": [], "applications": 0, "running": 0}
    return [{**{c.key: getattr(v, c.key) for c in ProcessVersion.__table__.columns}, "usage": usage.get(v.id, empty)}
            for v in db.session.scalars(select(ProcessVersion).order_by(ProcessVersion.number.desc()))]


class CompareArgs(Schema):
    a = Int(required=True, metadata={"description": "旧版本 id"})
    b = Int(required=True, metadata={"description": "新版本 id"})


@blp.route("/compare")
@blp.arguments(CompareArgs, location="query")
@blp.doc(security=BEARER)
@blp.response(200, DiffSchema)
@roles_required(*READERS)
def compare(args):
    """比较两个版本：新增、删除、修改的元素及修改的属性，改动过的文件"""
    old, new = get_version_or_404(args["a"]), get_version_or_404(args["b"])
    return diff_bundles(Bundle.from_json(old.bundle), Bundle.from_json(new.bundle))


@blp.route("/<int:version_id>/archive.zip")
@blp.doc(security=BEARER, responses={200: {"description": "该版本全部文件（zip：processes/ 与 forms/）"}})
@roles_required(*READERS)
def archive_file(version_id):
    """下载一个版本的全部文件"""
    version = get_version_or_404(version_id)
    return Response(archive(Bundle.from_json(version.bundle)), mimetype="application/zip", headers={
        "Content-Disposition": f"attachment; filename=process-version-{version.number}.zip"})


@blp.route("/<int:version_id>")
@blp.response(200, VersionDetailSchema)
@blp.doc(security=BEARER)
@roles_required(*READERS)
def detail(version_id):
    """一个流程版本：文件与校验报告"""
    version = get_version_or_404(version_id)
    bundle = Bundle.from_json(version.bundle)
    files = {**{f"processes/{n}": t for n, t in bundle.processes.items()},
             **{f"forms/{n}": t for n, t in bundle.forms.items()}}
    return {**{c.key: getattr(version, c.key) for c in ProcessVersion.__table__.columns}, "files": files,
            "validation_report": version.validation_report or []}
