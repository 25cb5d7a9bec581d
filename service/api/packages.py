"""市州推荐材料 (city packages): the city's ordering, freeze, sealed files and sending; the province's receipt."""
import io
from flask import send_file
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from service.platform.inputs import Int, Text
from service.platform.reference import CITIES
from service.platform.storage import files_folder
from service.platform.transactions import transaction
from service.rounds import packages
from service.rounds.reports import consolidated_table
from service.rounds.service import get_round_or_404
from service.api.auth import BEARER, current_user, protect
from service.api.blueprint import Blueprint

blp = Blueprint("packages", __name__, url_prefix="/api", description="市州推荐材料")
protect(blp)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RankSchema(Schema):
    application_id = Int(required=True)
    rank = Int(required=True)


class FreezeSchema(Schema):
    ranks = fields.List(fields.Nested(RankSchema), required=True, validate=validate.Length(max=2000),
                        metadata={"description": "每个待封存申报的推荐排序（每个类别内 1..n，不重复）"})
    filler_name = Text(required=True, validate=validate.Length(max=50), metadata={"description": "填报人"})
    filler_phone = Text(required=True, validate=validate.Length(max=30), metadata={"description": "填报人联系电话"})


class SentSchema(Schema):
    note = Text(load_default="", validate=validate.Length(max=500),
                metadata={"description": "寄送说明（如快递单号；评价报告一式两份已随寄）"})


class PackageFile(Schema):
    file = Upload(required=True)


class MemberSchema(Schema):
    application_id = fields.Integer()
    category = fields.String()
    rank = fields.Integer()


class PackageSchema(Schema):
    id = fields.Integer()
    round_id = fields.Integer()
    city_code = fields.String()
    city = fields.String()
    number = fields.Integer(metadata={"description": "第几批（1 为首批，之后为补充推荐）"})
    status = fields.String(metadata={"description": "frozen 已封存 / sent 已寄送 / received 已签收"})
    status_label = fields.String()
    members = fields.List(fields.Nested(MemberSchema))
    table_sha256 = fields.String()
    frozen_by = fields.String(metadata={"description": "封存人的登录名"})
    frozen_by_name = fields.String(metadata={"description": "封存人：单位/科室 + 姓名（如“长春市工信局”）"})
    frozen_at = fields.DateTime()
    letter_name = fields.String(allow_none=True)
    letter_sha256 = fields.String(allow_none=True)
    sealed_table_name = fields.String(allow_none=True)
    sealed_table_sha256 = fields.String(allow_none=True)
    sent_by = fields.String(allow_none=True, metadata={"description": "确认寄送人的登录名"})
    sent_by_name = fields.String(metadata={"description": "确认寄送人：单位/科室 + 姓名；未寄送时为空"})
    sent_at = fields.DateTime(allow_none=True)
    sent_note = fields.String()
    received_by = fields.String(allow_none=True, metadata={"description": "签收人的登录名"})
    received_by_name = fields.String(metadata={"description": "签收人：单位/科室 + 姓名（如“省工信厅 张三”）；未签收时为空"})
    received_at = fields.DateTime(allow_none=True)


class PendingRowSchema(Schema):
    application_id = fields.Integer()
    unit_name = fields.String()
    credit_code = fields.String(allow_none=True)


class PendingGroupSchema(Schema):
    category = fields.String()
    name = fields.String()
    rows = fields.List(fields.Nested(PendingRowSchema))


class OpenReviewSchema(Schema):
    application_id = fields.Integer()
    unit_name = fields.String()
    step = fields.String()


class CityViewSchema(Schema):
    round_id = fields.Integer()
    city_code = fields.String()
    city = fields.String()
    deadline = fields.DateTime(metadata={"description": "市州推荐截止（该日 24 时，北京时间）"})
    overdue = fields.Boolean()
    packages = fields.List(fields.Nested(PackageSchema))
    pending = fields.List(fields.Nested(PendingGroupSchema))
    open_reviews = fields.Integer()
    open_review_rows = fields.List(fields.Nested(OpenReviewSchema))
    can_freeze = fields.Boolean()


class CityRowSchema(Schema):
    city_code = fields.String()
    city = fields.String()
    packages = fields.List(fields.Nested(PackageSchema))
    pending = fields.Integer(metadata={"description": "已推荐但尚未封存进推荐材料的申报数"})


@blp.route("/rounds/<int:round_id>/cities/<city_code>/package")
@blp.response(200, CityViewSchema)
@blp.doc(security=BEARER)
def city_package(round_id, city_code):
    """本市州的推荐材料：已封存的各批、待封存的推荐申报（按类别）、仍在初审中的申报"""
    return packages.city_view(current_user(), get_round_or_404(round_id), city_code)


@blp.route("/rounds/<int:round_id>/cities/<city_code>/package", methods=["POST"])
@blp.arguments(FreezeSchema)
@blp.response(201, PackageSchema)
@blp.alt_response(409, schema="Error", description="city_reviews_open：仍有初审未办结；nothing_to_freeze：没有待封存的推荐")
@blp.alt_response(422, schema="Error", description="validation_failed：排序重复、缺号或越界，errors.ranks 按申报编号指明")
@blp.doc(security=BEARER)
def freeze(data, round_id, city_code):
    """排序并封存推荐汇总表（仅本市州初审账号）：生成一次并存档，SHA-256 记入审计链，此后下载均为该文件"""
    round_ = get_round_or_404(round_id)
    with transaction():
        package = packages.freeze(user=current_user(), round_id=round_.id, city_code=city_code, ranks=data["ranks"],
                                  filler_name=data["filler_name"], filler_phone=data["filler_phone"],
                                  folder=files_folder())
        return packages.package_dict(package)


@blp.route("/rounds/<int:round_id>/packages")
@blp.response(200, CityRowSchema(many=True))
@blp.doc(security=BEARER)
def round_packages(round_id):
    """各市州推荐材料一览（省厅、管理员、审计）"""
    return packages.round_view(current_user(), get_round_or_404(round_id))


@blp.route("/rounds/<int:round_id>/packages/consolidated.xlsx")
@blp.doc(security=BEARER, responses={200: {"description": "全省推荐汇总表 .xlsx，每个类别一页，按市州分组"}})
def consolidated(round_id):
    """全省推荐汇总表：各市州已封存的推荐材料合为一个文件（省厅、管理员、审计）"""
    round_ = get_round_or_404(round_id)
    packages.round_view(current_user(), round_)  # the same rule as the overview
    content = consolidated_table(round_.id, packages.packages_of(round_.id))
    return send_file(io.BytesIO(content), mimetype=XLSX, as_attachment=True,
                     download_name=f"{round_.name}-全省推荐汇总表.xlsx")


@blp.route("/packages/<int:package_id>")
@blp.response(200, PackageSchema)
@blp.doc(security=BEARER)
def package_detail(package_id):
    """一批推荐材料（本市州或省厅）"""
    return packages.package_dict(packages.package_or_404(current_user(), package_id))


@blp.route("/packages/<int:package_id>/files/<any(letter, sealed_table):kind>", methods=["POST"])
@blp.arguments(PackageFile, location="files")
@blp.response(200, PackageSchema)
@blp.doc(security=BEARER)
def upload(files, package_id, kind):
    """上传盖章的推荐文件（letter）或盖章的推荐汇总表（sealed_table），PDF，寄送前可更换"""
    upload_file = files["file"]
    with transaction():
        package = packages.upload(user=current_user(), package_id=package_id, kind=kind,
                                  filename=upload_file.filename or "", content=upload_file.read(),
                                  folder=files_folder())
        return packages.package_dict(package)


@blp.route("/packages/<int:package_id>/sent", methods=["POST"])
@blp.arguments(SentSchema)
@blp.response(200, PackageSchema)
@blp.doc(security=BEARER)
def sent(data, package_id):
    """确认已寄送（盖章材料已上传，评价报告一式两份已寄出）"""
    with transaction():
        return packages.package_dict(packages.confirm_sent(user=current_user(), package_id=package_id,
                                                           note=data["note"]))


@blp.route("/packages/<int:package_id>/received", methods=["POST"])
@blp.response(200, PackageSchema)
@blp.doc(security=BEARER)
def received(package_id):
    """省厅登记签收；该批推荐申报随即进入形式审查"""
    with transaction():
        return packages.package_dict(packages.register_receipt(user=current_user(), package_id=package_id))


@blp.route("/packages/<int:package_id>/<any(table, letter, sealed_table):kind>.<any(xlsx, pdf):ext>")
@blp.doc(security=BEARER, responses={200: {"description": "封存的推荐汇总表（xlsx）或盖章扫描件（PDF）"}})
def download(package_id, kind, ext):
    """下载封存的推荐汇总表（table.xlsx，每次都是封存时的同一文件）或盖章扫描件（letter.pdf / sealed_table.pdf）"""
    if (kind == "table") != (ext == "xlsx"):
        from service.platform.errors import NotFound
        raise NotFound("没有这种材料")
    package, content, name = packages.stored_file(current_user(), package_id, kind, files_folder())
    round_ = get_round_or_404(package.round_id)
    city = CITIES.get(package.city_code, package.city_code)
    if kind == "table":
        suffix = f"（补充第{package.number}批）" if package.number > 1 else ""
        response = send_file(io.BytesIO(content), mimetype=XLSX, as_attachment=True,
                             download_name=f"{round_.name}-推荐汇总表-{city}{suffix}.xlsx")
    else:
        response = send_file(io.BytesIO(content), mimetype="application/pdf", as_attachment=True,
                             download_name=name or f"{kind}.pdf")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
