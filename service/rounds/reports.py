"""The documents the notice asks for: 推荐汇总表 per city, and the proposed and published lists.

Everything is read from the audit trail (what was submitted at each step, which batch
actions an application received), so a report says exactly what the record says.
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy import select

from service.audit import chain as audit
from service.platform.extensions import db
from service.platform.reference import CITIES
from service.versions.categories import category_label, version_categories
from service.applications.models import Application
from service.audit.models import AuditEvent
from service.rounds.models import Round
from service.versions.deploy import loaded_version
from service.platform.timeutil import to_shanghai, utcnow
from service.rounds.xlsx import append_row

SUMMARY_COLUMNS = ["推荐排序", "市州", "县（市、区）", "单位名称", "统一社会信用代码", "申报类别", "所属行业及代码",
                   "评价依据标准", "评价方式", "第三方机构", "评价得分", "联系人", "联系电话", "备注"]
LIST_COLUMNS = ["序号", "单位名称", "统一社会信用代码", "申报类别", "所在市州"]
METHODS = {"self": "自评价", "third_party": "第三方评价"}


@dataclass
class Submitted:
    declaration: dict
    city_review: dict


def _role_of_elements(application: Application) -> dict[str, str]:
    definition = loaded_version(application.process_version_id).definition
    return {t.bpmn_id: t.role for t in definition.user_tasks.values()}


def latest_submissions(application: Application) -> Submitted:
    """The last declaration and the last city review submitted for ``application``."""
    roles = _role_of_elements(application)
    declaration, review = {}, {}
    for event in audit.trail(audit.application_chain(application.id)):
        if event.action != "task_completed":
            continue
        form = json.loads(event.data).get("form") or {}
        if roles.get(event.element_id) == "applicant":
            declaration = form
        elif roles.get(event.element_id) == "city_reviewer":
            review = form
    return Submitted(declaration, review)


def recommended(round_id: int, city_code: str) -> list[tuple[Application, Submitted]]:
    """The city's recommended applications, in the city's order of recommendation."""
    rows = []
    for application in db.session.scalars(select(Application).where(Application.round_id == round_id,
                                                                     Application.city_code == city_code)):
        submitted = latest_submissions(application)
        if submitted.city_review.get("decision") == "recommend":
            rows.append((application, submitted))
    rows.sort(key=lambda row: (row[1].city_review.get("recommend_rank") or 10**6, row[0].id))
    return rows


def _summary_row(rank: int, application: Application, submitted: Submitted, category) -> list:
    """One row of the 推荐汇总表: the common columns, then the ones the category's definition adds."""
    d = submitted.declaration
    third_party = d.get("third_party_name") if d.get("evaluation_method") == "third_party" else ""
    extra = [_cell(d.get(column.field)) for column in category.summary_columns]
    return [rank, CITIES.get(application.city_code), d.get("county"), d.get("unit_name") or application.unit_name,
            d.get("credit_code"), category.name, d.get("industry_codes"),
            d.get("evaluation_standard"), METHODS.get(d.get("evaluation_method"), ""), third_party,
            d.get("evaluation_score"), d.get("contact_name"), d.get("contact_phone"), *extra,
            "开展过工业节能诊断" if d.get("energy_diagnosis") else ""]


def _cell(value):
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(str(item) for item in value)
    return value


def _sheet(workbook, title: str, heading: str, columns: list[str], rows: list[list], footer: list[str]):
    sheet = workbook.create_sheet(title)
    append_row(sheet, [heading])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    append_row(sheet, columns)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        append_row(sheet, row)
    append_row(sheet, [])
    for line in footer:
        append_row(sheet, [line])
    for index, name in enumerate(columns, start=1):
        sheet.column_dimensions[sheet.cell(row=2, column=index).column_letter].width = max(10, len(name) * 2 + 2)
    return sheet


def summary_table(round_id: int, city_code: str) -> bytes:
    """推荐汇总表 (attachment 1): one sheet per category, ranked, with a footer for the seal and date."""
    round_ = db.session.get(Round, round_id)
    city = CITIES.get(city_code, city_code)
    rows = recommended(round_id, city_code)
    workbook = Workbook()
    workbook.remove(workbook.active)
    offered = version_categories(round_.process_version_id)
    for key in round_.categories:
        category = offered.get(key)
        if category is None:
            continue
        in_category = [(a, s) for a, s in rows if a.category == key]
        columns = [*SUMMARY_COLUMNS[:-1], *(c.label for c in category.summary_columns), SUMMARY_COLUMNS[-1]]
        _sheet(workbook, category.name, f"{round_.name} 省级绿色制造名单推荐汇总表（{city}·{category.name}）", columns,
               [_summary_row(n, a, s, category) for n, (a, s) in enumerate(in_category, start=1)],
               ["推荐单位（盖章）：", "日期：    年    月    日"])
    return _save(workbook)


def _received(application_id: int, action: str) -> bool:
    events = db.session.scalars(select(AuditEvent.data).where(
        AuditEvent.chain == audit.application_chain(application_id), AuditEvent.action == "batch_action"))
    return any(json.loads(data).get("action") == action for data in events)


def round_list(round_id: int, kind: str) -> list[Application]:
    """'notice': every application put under public notice; 'published': those published and finished."""
    action = "start_notice" if kind == "notice" else "publish"
    applications = db.session.scalars(select(Application).where(Application.round_id == round_id)
                                      .order_by(Application.city_code, Application.category, Application.id)).all()
    chosen = [a for a in applications if _received(a.id, action)]
    if kind == "published":
        chosen = [a for a in chosen if a.completed_at is not None]
    return chosen


def list_rows(units) -> list[list]:
    """The public lists' rows: number, unit, credit code, category, city (nothing personal)."""
    return [[n, u.unit_name, u.credit_code, u.category, u.city] for n, u in enumerate(units, start=1)]


def objection_lines(round_: Round) -> list[str]:
    """What the public notice says about objections: how long, what is accepted, and where to send them."""
    from service.rounds.notice import objection_contact

    contact = objection_contact(round_)
    return [f"公示期为 {round_.notice_days} 个工作日。公示期内如有异议，请以书面形式实名提出（单位须加盖公章），"
            "并提供必要的证明材料；匿名或逾期的异议不予受理。",
            *([f"联系人：{contact}"] if contact else []),
            f"受理异议地址：{round_.objection_address or '（未设置）'}",
            f"受理异议电话：{round_.objection_phone or '（未设置）'}",
            f"受理异议邮箱：{round_.objection_email or '（未设置）'}"]


def list_workbook(round_id: int, kind: str, city: str | None = None) -> bytes:
    """公示名单 or 认定名单 as a sheet to print: issuer, date (and for the notice its period and how to object),
    one row per unit with its credit code; ``city`` keeps one city's units (a city's own published list)."""
    from service.rounds.notice import issuer, notice_batches, publications

    round_ = db.session.get(Round, round_id)
    title = "拟认定名单（公示）" if kind == "notice" else "认定名单"
    batches = notice_batches(round_) if kind == "notice" else publications(round_, city=city)
    units = [u for b in batches for u in b.units if city is None or u.city_code == city]
    lines = [f"发布机关：{issuer(round_)}"]
    for batch in batches:
        if kind == "notice":
            to = f"{batch.period_to:%Y-%m-%d}" if batch.period_to else "（节假日安排未确认，暂无法计算）"
            lines.append(f"公示期：{batch.period_from:%Y-%m-%d} 至 {to}（{round_.notice_days} 个工作日）；"
                         f"发布日期：{batch.period_from:%Y-%m-%d}")
        else:
            lines.append(f"发布日期：{batch.period_from:%Y-%m-%d}")
    footer = objection_lines(round_) if kind == "notice" else []
    scope = f"（{CITIES.get(city, city)}）" if city else ""
    workbook = Workbook()
    workbook.remove(workbook.active)
    sheet = _sheet(workbook, title, f"{round_.name} 省级绿色制造{title}{scope}", LIST_COLUMNS, list_rows(units),
                   [*lines, *footer, f"导出时间：{to_shanghai(utcnow()):%Y-%m-%d %H:%M}"])
    _printable(sheet, len(units))
    return _save(workbook)


def _printable(sheet, count: int) -> None:
    """Borders round the table, A4 landscape, the header row on every page, fit to the page width."""
    from openpyxl.styles import Border, Side

    thin = Side(style="thin")
    for row in sheet.iter_rows(min_row=2, max_row=count + 2, max_col=len(LIST_COLUMNS)):
        for cell in row:
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for letter, width in zip("ABCDE", (6, 40, 22, 22, 18)):
        sheet.column_dimensions[letter].width = width
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "2:2"


def _save(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def statistics_workbook(round_id: int) -> bytes:
    """The round's statistics as three sheets: where applications stand, time per step, missed deadlines."""
    from service.rounds.statistics import round_statistics

    round_ = db.session.get(Round, round_id)
    figures = round_statistics(round_id)
    offered = version_categories(round_.process_version_id)
    workbook = Workbook()
    workbook.remove(workbook.active)
    _sheet(workbook, "环节分布", f"{round_.name} 各环节申报数", ["环节", "市州", "类别", "申报数"],
           [[row["stage"] or "未开始", CITIES.get(row["city_code"]),
            offered[row["category"]].name if row["category"] in offered else category_label(row["category"]), row["count"]]
            for row in figures["by_stage"]], [])
    _sheet(workbook, "办理时长", f"{round_.name} 各环节办理时长（小时）", ["环节", "名称", "办结数", "中位数", "P90", "办理时限（工作日）"],
           [[row["step"], row["name"], row["completed"], row["median_hours"], row["p90_hours"], row.get("time_limit_days")]
            for row in figures["steps"]], [])
    _sheet(workbook, "超期", f"{round_.name} 各环节超期次数", ["环节", "名称", "超期次数"],
           [[row["step"], row["name"], row["count"]] for row in figures["missed_deadlines"]],
           [f"导出时间：{to_shanghai(utcnow()):%Y-%m-%d %H:%M}"])
    return _save(workbook)
