"""The working-day calendar (administrators): each year's holidays and make-up workdays, entered one day
at a time or by pasting the State Council's notice, previewed before saving, and the year confirmed."""
from marshmallow import Schema, fields, validate

from service.platform.errors import Invalid
from service.platform.inputs import Text
from service.platform.transactions import transaction
from service.rounds.calendar import (NOTE_MAX, check_year, clear_day, confirm_year, preview_notice, save_notice,
                                     set_day, year_view)
from service.api.auth import BEARER, current_user, protect, roles_required
from service.api.blueprint import Blueprint
from service.api.schemas import ActorNames, person

blp = Blueprint("calendar", __name__, url_prefix="/api/calendar", description="工作日历（管理员）")
protect(blp)
NOTICE_MAX = 20000


class CalendarDaySchema(ActorNames):
    ACTORS = ("updated_by",)
    day = fields.Date()
    is_workday = fields.Boolean(metadata={"description": "true：调休上班日；false：放假"})
    note = fields.String()
    source = fields.String(metadata={"description": "library（内置日历）或 override（管理员录入）"})
    library = fields.Boolean(allow_none=True, metadata={"description": "内置日历中这一天是否上班（不知道为空）"})
    updated_by = fields.String()
    updated_by_name = person("录入人")
    updated_at = fields.DateTime()


class CalendarYearSchema(ActorNames):
    ACTORS = ("confirmed_by",)
    year = fields.Integer()
    library = fields.Boolean(metadata={"description": "内置日历（chinesecalendar）是否包含该年"})
    confirmed = fields.Boolean(metadata={"description": "管理员是否已确认该年录入完整"})
    confirmed_by = fields.String(allow_none=True)
    confirmed_by_name = person("确认人")
    confirmed_at = fields.DateTime(allow_none=True)
    known = fields.Boolean(metadata={"description": "能否按工作日计算该年的期限"})
    holidays = fields.Integer(metadata={"description": "工作日放假的天数"})
    workdays = fields.Integer(metadata={"description": "周末调休上班的天数"})
    days = fields.Nested(CalendarDaySchema, many=True)


class NoticeSchema(Schema):
    text = Text(required=True, multiline=True, validate=validate.Length(min=1, max=NOTICE_MAX),
                metadata={"description": "国务院办公厅节假日安排通知的正文各行"})


class PreviewDaySchema(Schema):
    day = fields.Date()
    is_workday = fields.Boolean()
    note = fields.String()
    line = fields.Integer(metadata={"description": "来自粘贴内容的第几行"})
    now = fields.Boolean(allow_none=True, metadata={"description": "这一天目前是否上班（未知为空）"})
    changes = fields.Boolean(metadata={"description": "保存后是否有变化"})


class LineProblemSchema(Schema):
    line = fields.Integer()
    text = fields.String()
    reason = fields.String()


class PreviewSchema(Schema):
    year = fields.Integer()
    days = fields.List(fields.Nested(PreviewDaySchema))
    problems = fields.List(fields.Nested(LineProblemSchema), metadata={"description": "无法识别的行及原因"})


class DayEntrySchema(Schema):
    day = fields.Date(required=True)
    is_workday = fields.Boolean(required=True, allow_none=True,
                                metadata={"description": "true 上班、false 放假、null 删除录入（恢复默认）"})
    note = Text(load_default="", validate=validate.Length(max=NOTE_MAX))


@blp.route("/<int:year>")
@blp.response(200, CalendarYearSchema)
@blp.doc(security=BEARER)
@roles_required("admin")
def get_year(year):
    """某年的节假日与调休上班日（内置日历与管理员录入）及确认状态"""
    return year_view(year)


@blp.route("/<int:year>/preview", methods=["POST"])
@blp.response(200, PreviewSchema)
@blp.doc(security=BEARER)
@roles_required("admin")
@blp.arguments(NoticeSchema)
def preview(body, year):
    """预览粘贴的节假日安排通知：逐日列出将录入的内容，并指出无法识别的行（不保存）"""
    return preview_notice(year, body["text"])


@blp.route("/<int:year>/notice", methods=["POST"])
@blp.response(200, CalendarYearSchema)
@blp.doc(security=BEARER)
@roles_required("admin")
@blp.arguments(NoticeSchema)
def save(body, year):
    """保存粘贴的节假日安排通知（有无法识别的行时拒绝并逐行说明）"""
    with transaction():
        save_notice(year, body["text"], actor=current_user().username)
    return year_view(year)


@blp.route("/<int:year>/days", methods=["POST"])
@blp.response(200, CalendarYearSchema)
@blp.doc(security=BEARER)
@roles_required("admin")
@blp.arguments(DayEntrySchema)
def enter_day(body, year):
    """录入或更正一天：放假、调休上班，或删除录入"""
    check_year(year)
    if body["day"].year != year:
        raise Invalid(f"日期不在{year}年", fields={"day": [f"日期不在{year}年"]})
    with transaction():
        if body["is_workday"] is None:
            clear_day(body["day"], actor=current_user().username)
        else:
            set_day(body["day"], is_workday=body["is_workday"], note=body["note"], actor=current_user().username)
    return year_view(year)


@blp.route("/<int:year>/confirm", methods=["POST"])
@blp.response(200, CalendarYearSchema)
@blp.doc(security=BEARER)
@roles_required("admin")
def confirm(year):
    """确认该年的节假日安排已录入完整"""
    with transaction():
        confirm_year(year, actor=current_user().username)
    return year_view(year)
