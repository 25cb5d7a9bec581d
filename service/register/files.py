"""The register as spreadsheets: the import of an earlier year's list (template, cell-by-cell checks,
all or nothing) and the export for national nominations."""
from __future__ import annotations

import hashlib
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.worksheet.page import PageMargins
from sqlalchemy import select, tuple_

from service.accounts.bulk import _cell_text, _open
from service.audit import chain as audit
from service.forms.credit_code import credit_code_error
from service.platform.errors import Invalid
from service.platform.extensions import db
from service.platform.inputs import text_problem
from service.platform.reference import CITIES
from service.platform.timeutil import to_shanghai, utcnow
from service.register import service as register
from service.register.models import LISTED, STATUS_LABELS, RegisterEntry
from service.rounds.xlsx import append_row
from service.versions.categories import known_categories

SHEET = "名单库"
COLUMNS = [("credit_code", "统一社会信用代码"), ("unit_name", "单位名称"), ("category", "类别"), ("city_code", "所在市州"),
           ("round_name", "批次（名单名称）"), ("year", "年度"), ("listed_on", "列入日期")]
MAX_ROWS = 5000
MAX_ERRORS = 200
MAX_SCANNED = 20_000
EXPORT_LIMIT = 50_000
CITY_BY_NAME = {name: code for code, name in CITIES.items()}
INSTRUCTIONS = [
    "每行一家已列入省级绿色制造名单的单位（一个类别一行）；第 1 行为表头，请勿修改列名；空行会被跳过。",
    f"一次最多导入 {MAX_ROWS} 行；任何一行有错误时整个文件都不导入，页面逐条列出错误所在的行和列。",
    "统一社会信用代码：18 位，按 GB 32100 校验位核对。",
    "类别：{categories}（填名称或代码）。同一单位同一类别只能在册一次。",
    f"所在市州：填名称或代码：{'、'.join(f'{n}（{c}）' for c, n in CITIES.items())}。",
    "批次（名单名称）：如“2022年度省级绿色制造名单”；年度：四位年份；列入日期：YYYY-MM-DD（发布名单的日期）。",
]


def _save(workbook) -> bytes:
    import io

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_workbook() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    append_row(sheet, [header for _, header in COLUMNS])
    append_row(sheet, ["91220101MA0000000X", "长春某某制造有限公司", "绿色工厂", "长春市", "2022年度省级绿色制造名单", 2022,
                       "2022-12-20"])
    categories = "、".join(f"{name}（{key}）" for key, name in known_categories().items())
    notes = workbook.create_sheet("填写说明")
    for line in INSTRUCTIONS:
        append_row(notes, [line.replace("{categories}", categories)])
    notes.column_dimensions["A"].width = 120
    for index, width in enumerate((22, 36, 18, 16, 30, 8, 14)):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    return _save(workbook)


# -- import -----------------------------------------------------------------------------------------

def _rows(content: bytes) -> list[tuple[int, dict]]:
    workbook = _open(content)
    try:
        sheet = workbook[SHEET] if SHEET in workbook.sheetnames else workbook.worksheets[0]
        found, header = [], None
        for number, values in enumerate(sheet.iter_rows(values_only=True, max_row=MAX_SCANNED), start=1):
            if header is None:
                header = [_cell_text(v) for v in values]
                expected = [label for _, label in COLUMNS]
                if header[:len(expected)] != expected:
                    raise Invalid("表头与模板不一致：请下载导入模板填写", fields={"file": [
                        "第 1 行应依次为：" + "、".join(expected)]})
                continue
            raw = dict(zip((key for key, _ in COLUMNS), values))
            if all(_cell_text(v) is None for v in raw.values()):
                continue
            found.append((number, raw))
            if len(found) > MAX_ROWS:
                raise Invalid(f"一次最多导入 {MAX_ROWS} 行，请拆分文件", fields={"file": ["行数过多"]})
    finally:
        workbook.close()
    if header is None or not found:
        raise Invalid("文件中没有数据行", fields={"file": ["没有可导入的行"]})
    return found


def _year(value) -> tuple[int | None, str | None]:
    text = _cell_text(value)
    if text is None:
        return None, "必填"
    try:
        year = int(text)
    except ValueError:
        return None, f"“{text}”不是年份"
    if not 2000 <= year <= to_shanghai(utcnow()).year:
        return None, f"年度应在 2000–{to_shanghai(utcnow()).year} 之间"
    return year, None


def _date(value) -> tuple[date | None, str | None]:
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    text = _cell_text(value)
    if text is None:
        return None, "必填"
    try:
        return date.fromisoformat(text.replace("/", "-")), None
    except ValueError:
        return None, f"“{text}”不是日期，应为 YYYY-MM-DD"


def _check_row(raw: dict, categories: dict[str, str]) -> tuple[dict, dict[str, str]]:
    labels = dict(COLUMNS)
    values, problems = {}, {}
    code = (_cell_text(raw.get("credit_code")) or "").upper()
    problem = credit_code_error(code) if code else "必填"
    if problem:
        problems["credit_code"] = problem
    values["credit_code"] = code
    for key, limit in (("unit_name", 200), ("round_name", 200)):
        text = _cell_text(raw.get(key))
        if text is None:
            problems[key] = "必填"
        elif text_problem(text) or len(text) > limit:
            problems[key] = text_problem(text) or f"不能超过 {limit} 个字"
        values[key] = text
    category = _cell_text(raw.get("category"))
    by_name = {name: key for key, name in categories.items()}
    key = category if category in categories else by_name.get(category or "")
    if key is None:
        problems["category"] = f"“{category}”不是申报类别；应为 {'、'.join(categories.values())} 之一" if category else "必填"
    values["category"], values["category_name"] = key, categories.get(key, "")
    city = _cell_text(raw.get("city_code"))
    city_code = city if city in CITIES else CITY_BY_NAME.get(city or "")
    if city_code is None:
        problems["city_code"] = f"“{city}”不是吉林省的市州" if city else "必填"
    values["city_code"] = city_code
    values["year"], problem = _year(raw.get("year"))
    if problem:
        problems["year"] = problem
    values["listed_on"], problem = _date(raw.get("listed_on"))
    if problem:
        problems["listed_on"] = problem
    elif values["listed_on"] > to_shanghai(utcnow()).date():
        problems["listed_on"] = "列入日期不能晚于今天"
    elif values["year"] and abs(values["listed_on"].year - values["year"]) > 1:
        problems["listed_on"] = f"列入日期与年度 {values['year']} 不符"
    return values, {labels[k]: v for k, v in problems.items()}


def import_workbook(content: bytes, *, filename: str, user) -> list[RegisterEntry]:
    """Enter an earlier year's list; Invalid naming each bad cell ("第 N 行 “列”：原因") and nothing written."""
    register.require_keeper(user)
    categories = known_categories()
    rows = _rows(content)
    errors: list[str] = []
    checked, seen = [], {}
    for number, raw in rows:
        values, problems = _check_row(raw, categories)
        errors += [f"第 {number} 行 “{column}”：{reason}" for column, reason in problems.items()]
        if not problems:
            pair = (values["credit_code"], values["category"])
            if pair in seen:
                errors.append(f"第 {number} 行：与第 {seen[pair]} 行重复（同一单位同一类别）")
            seen.setdefault(pair, number)
            checked.append((number, values))
    pairs = [(v["credit_code"], v["category"]) for _, v in checked]
    on_register = set()
    for start in range(0, len(pairs), 500):
        chunk = pairs[start:start + 500]
        on_register |= set(db.session.execute(select(RegisterEntry.credit_code, RegisterEntry.category).where(
            RegisterEntry.status == LISTED,
            tuple_(RegisterEntry.credit_code, RegisterEntry.category).in_(chunk))).all())
    for number, values in checked:
        if (values["credit_code"], values["category"]) in on_register:
            errors.append(f"第 {number} 行：{values['unit_name']}（{values['credit_code']}）已在名单库中在册"
                          f"（{values['category_name']}），不能重复导入")
    if errors:
        shown = errors[:MAX_ERRORS]
        more = f"（另有 {len(errors) - MAX_ERRORS} 处未列出）" if len(errors) > MAX_ERRORS else ""
        raise Invalid(f"导入未执行：发现 {len(errors)} 处错误{more}，整个文件都没有导入", fields={"file": shown})
    return register.add_imported([values for _, values in checked], actor=user.username, file_name=filename or "名单.xlsx",
                                 file_sha256=hashlib.sha256(content).hexdigest())


# -- export for national nominations -----------------------------------------------------------------

EXPORT_COLUMNS = ["序号", "统一社会信用代码", "单位名称", "类别", "级别", "所在市州", "批次（名单名称）", "年度", "列入日期", "状态"]


def export_workbook(query: register.Query, *, user) -> bytes:
    """The current register (or the filtered part of it) as one sheet a clerk can print: borders, A4
    landscape, the header row repeated on every page, fit to width. The export is audited."""
    register.require_reader(user)
    categories = known_categories()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    scope = "·".join(filter(None, [categories.get(query.category) if query.category else "",
                                   CITIES.get(query.city, "") if query.city else ""]))
    heading = f"吉林省省级绿色制造名单库（{scope or '全部'}{'' if query.status else '·含已调整出名单'}）"
    append_row(sheet, [heading])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(EXPORT_COLUMNS))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    append_row(sheet, EXPORT_COLUMNS)
    count = 0
    for count, entry in enumerate(register.every_match(query, EXPORT_LIMIT), start=1):
        append_row(sheet, [count, entry.credit_code, entry.unit_name, entry.category_name, entry.level,
                           CITIES.get(entry.city_code, entry.city_code), entry.round_name, entry.year,
                           entry.listed_on.isoformat(), STATUS_LABELS.get(entry.status, entry.status)])
    append_row(sheet, [])
    append_row(sheet, [f"共 {count} 家；导出时间：{to_shanghai(utcnow()):%Y-%m-%d %H:%M}"])
    _print_setup(sheet, count)
    audit.append(audit.SYSTEM_CHAIN, actor=user.username, action="report_exported",
                 data={"report": "register", "category": query.category, "city": query.city, "count": count})
    return _save(workbook)


def _print_setup(sheet, count: int) -> None:
    thin = Side(style="thin")
    for row in sheet.iter_rows(min_row=2, max_row=count + 2, max_col=len(EXPORT_COLUMNS)):
        for cell in row:
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
            cell.alignment = Alignment(vertical="center", wrap_text=True)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for index, width in enumerate((6, 22, 36, 20, 6, 16, 30, 8, 12, 14), start=1):
        sheet.column_dimensions[sheet.cell(row=2, column=index).column_letter].width = width
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "2:2"
    sheet.page_margins = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.6)
