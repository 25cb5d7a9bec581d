"""The documents the notice asks for: 推荐汇总表 per city, and the proposed and published lists.

Everything is read from the audit trail (what was submitted at each step, which batch
actions an application received), so a report says exactly what the record says.
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from sqlalchemy import select

from service.audit import chain as audit
from service.platform.extensions import db
from service.platform.reference import CITIES
from service.versions.categories import category_label, version_categories
from service.applications.models import Application
from service.applications.verification import mismatch_text
from service.engine.priority import PriorityFailed, priority_decision
from service.audit.models import AuditEvent
from service.rounds.models import Round
from service.versions.deploy import loaded_version
from service.platform.timeutil import to_shanghai, utcnow
from service.rounds.xlsx import append_row

# 推荐汇总表 (attachment 1): the common columns; a category's own columns (categories.json) go before 优先推荐情形.
SUMMARY_COLUMNS = ["序号", "推荐排序", "市州", "县（市、区）", "单位名称", "统一社会信用代码", "申报类别", "所属行业及代码",
                   "评价依据标准", "评价方式", "第三方机构", "评价得分", "联系人", "联系电话"]
SUMMARY_TAIL = ["优先推荐情形", "排除情形核查与自查不一致", "生态环境部门意见", "应急管理部门意见", "市场监管部门意见", "市州推荐意见", "备注"]
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


def _option_labels(version_id: int, form_name: str | None) -> dict[str, dict]:
    """key -> {value: label} of the choice fields of a form, so a cell shows 国家级, not "national"."""
    if not form_name:
        return {}
    from service.forms.schema import input_components

    bundle = loaded_version(version_id).definition.bundle
    if form_name not in bundle.forms:
        return {}
    return {c["key"]: {str(v.get("value")): v.get("label") for v in c.get("values") or []}
            for c in input_components(bundle.form(form_name)) if c.get("values")}


def priority_signals(application: Application, declaration: dict) -> list[str]:
    """优先推荐情形 as the version's priority decision (processes/priority.dmn) finds them in the declaration:
    the same rule the province's ranking uses, so the sealed table and the ranking never disagree."""
    decision = priority_decision(loaded_version(application.process_version_id).definition.bundle)
    if decision is None:
        return []
    try:
        return [signal.label for signal in decision.signals({**declaration, "category": application.category})]
    except PriorityFailed as failed:
        return [str(failed)]


def city_opinion(review: dict) -> str:
    """The city's recommendation opinion: its own field where the form has one, else the review comments."""
    return review.get("recommend_opinion") or review.get("opinion") or review.get("comments") or ""


def summary_row(number: int, rank, application: Application, submitted: Submitted, category, labels: dict) -> list:
    """One row of the 推荐汇总表: the common columns, the category's own, then priority and opinions."""
    d, r = submitted.declaration, submitted.city_review
    third_party = d.get("third_party_name") if d.get("evaluation_method") == "third_party" else ""
    extra = [_cell(labels.get(c.field, {}).get(str(d.get(c.field)), d.get(c.field))) for c in category.summary_columns]
    return [number, rank, CITIES.get(application.city_code), d.get("county"), d.get("unit_name") or application.unit_name,
            d.get("credit_code") or application.credit_code, category.name, d.get("industry_codes"),
            d.get("evaluation_standard"), METHODS.get(d.get("evaluation_method"), ""), third_party,
            d.get("evaluation_score"), d.get("contact_name"), d.get("contact_phone") or d.get("contact_mobile"),
            *extra, "；".join(priority_signals(application, d)), mismatch_text(application, declared=d, verified=r),
            r.get("consult_ecology"), r.get("consult_emergency"), r.get("consult_market"), city_opinion(r), ""]


def summary_columns(category) -> list[str]:
    return [*SUMMARY_COLUMNS, *(c.label for c in category.summary_columns), *SUMMARY_TAIL]


def _cell(value):
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(str(item) for item in value)
    return value


THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def _sheet(workbook, title: str, heading: str, columns: list[str], rows: list[list], footer: list[str]):
    """A sheet a clerk can print and seal: title, bordered table, header row repeated on every page,
    A4 landscape fitted to the page width, and the footer lines (seal, date, 填报人) under the table."""
    sheet = workbook.create_sheet(title[:31])
    append_row(sheet, [heading])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[1].height = 28
    append_row(sheet, columns)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = BORDER
    for row in rows:
        append_row(sheet, row)
        for cell in sheet[sheet.max_row]:
            cell.border = BORDER
            cell.alignment = Alignment(vertical="center", wrap_text=True)
    append_row(sheet, [])
    for line in footer:
        append_row(sheet, [line])
    for index, name in enumerate(columns, start=1):
        sheet.column_dimensions[sheet.cell(row=2, column=index).column_letter].width = max(8, min(len(name) * 2 + 2, 30))
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as the rows need
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "2:2"
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"
    return sheet


def summary_table(round_id: int, city_code: str, members: list[tuple[Application, int | None]], *,
                  number: int = 1, filler: tuple[str, str] | None = None, preview: bool = False) -> bytes:
    """推荐汇总表 (attachment 1) of one city package: one sheet per category, ``members`` in the city's order
    (application, rank), with a footer for the seal, the 填报人 and the date. ``preview``: not yet frozen."""
    round_ = db.session.get(Round, round_id)
    city = CITIES.get(city_code, city_code)
    workbook = Workbook()
    workbook.remove(workbook.active)
    offered = version_categories(round_.process_version_id)
    note = ("（补充推荐第 %d 批）" % number if number > 1 else "") + ("（预览，尚未封存）" if preview else "")
    name, phone = filler or ("", "")
    for key in round_.categories:
        category = offered.get(key)
        if category is None:
            continue
        in_category = [(a, rank) for a, rank in members if a.category == key]
        labels = _option_labels(round_.process_version_id, category.form)
        rows = [summary_row(n, rank, a, latest_submissions(a), category, labels)
                for n, (a, rank) in enumerate(in_category, start=1)]
        _sheet(workbook, category.name, f"{round_.name} 省级绿色制造名单推荐汇总表（{city}·{category.name}）{note}",
               summary_columns(category), rows,
               ["推荐单位（盖章）：", f"填报人：{name}　　联系电话：{phone}", "日期：    年    月    日"])
    return _save(workbook)


def consolidated_table(round_id: int, packages: list) -> bytes:
    """全省推荐汇总表: every city's frozen packages in one file, a sheet per category, grouped by city (in the
    order of the 11 recommenders) and ranked as each city froze it."""
    round_ = db.session.get(Round, round_id)
    offered = version_categories(round_.process_version_id)
    order = {code: n for n, code in enumerate(CITIES)}
    packages = sorted(packages, key=lambda p: (order.get(p.city_code, 99), p.number))
    ids = [m["application_id"] for p in packages for m in p.members]
    applications = {a.id: a for a in db.session.scalars(select(Application).where(Application.id.in_(ids)))}
    workbook = Workbook()
    workbook.remove(workbook.active)
    for key in round_.categories:
        category = offered.get(key)
        if category is None:
            continue
        labels = _option_labels(round_.process_version_id, category.form)
        members = [(applications[m["application_id"]], m["rank"], p) for p in packages for m in p.members
                   if m["category"] == key and m["application_id"] in applications]
        rows = [summary_row(n, rank, a, latest_submissions(a), category, labels)[:-1]
                + [f"补充推荐第 {p.number} 批" if p.number > 1 else ""]
                for n, (a, rank, p) in enumerate(members, start=1)]
        _sheet(workbook, category.name, f"{round_.name} 省级绿色制造名单全省推荐汇总表（{category.name}）",
               summary_columns(category), rows,
               [f"共 {len(rows)} 家，来自 {len({p.city_code for p in packages})} 个市州已封存的推荐材料",
                f"导出时间：{to_shanghai(utcnow()):%Y-%m-%d %H:%M}"])
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
