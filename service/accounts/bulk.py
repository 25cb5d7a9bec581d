"""Accounts as spreadsheets: the import template, an all-or-nothing import, and the export.

An import is checked whole before anything is written: every bad cell is named by its row and column
("第 7 行 “所在市州”：……"), usernames repeated inside the file and names already taken are found with
chunked queries, and then every account is created through ``admin.insert_checked`` (audited, a link or a
temporary password each) in the caller's one transaction, so a file is imported entirely or not at all.
"""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

from openpyxl import Workbook, load_workbook

from service.accounts.roles import role_names
from service.accounts.admin import (FIELD_NAMES, USERNAME, account_kinds, account_problems, account_query, insert_checked,
                                    normalise, taken_usernames)
from service.accounts.models import User
from service.audit import chain as audit
from service.platform.errors import Invalid, ServiceError, TooLarge
from service.platform.extensions import db
from service.platform.inputs import text_problem
from service.platform.reference import CITIES
from service.versions.categories import known_categories
from service.platform.timeutil import to_shanghai
from service.rounds.xlsx import append_row

MAX_ROWS = 1000
MAX_BYTES = 2 * 1024 * 1024
MAX_UNPACKED = 40 * 1024 * 1024  # what the xlsx's zip members may unpack to (a zip bomb stops here)
MAX_ERRORS = 200
MAX_SCANNED = 20_000  # spreadsheet rows read at most, blank ones included
SHEET = "账号"
NOT_IMPORTED = ("admin", "applicant")  # administrators are made one by one; applicants register themselves
COLUMNS = [("username", "用户名"), ("display_name", "姓名"), ("roles", "账号类型"), ("city_code", "所在市州"),
           ("employer", "工作单位"), ("specialties", "专业类别"), ("industry_codes", "行业代码"),
           ("phone", "手机"), ("email", "邮箱")]
REQUIRED = ("username", "display_name", "roles")
KIND_ALIASES = {"省厅工作人员": "province_staff",
                "省厅": "province_staff", "市州审核员": "city_reviewer", "市州初审员": "city_reviewer",
                "专家": "expert", "审计员": "auditor"}
CITY_BY_NAME = {name: code for code, name in CITIES.items()}



def instructions() -> list[str]:
    """The template's instruction lines (the kinds are the deployment's roles; the categories those the
    deployed versions declare)."""
    kinds, categories = "、".join(import_kinds().values()), "、".join(known_categories().values())
    return [line.replace("{categories}", categories).replace("{kinds}", kinds) for line in INSTRUCTIONS]


INSTRUCTIONS = [
    "每行一个账号；第 1 行为表头，请勿修改列名；空行会被跳过。",
    f"一次最多导入 {MAX_ROWS} 行，文件不超过 {MAX_BYTES // 1024 // 1024} MB；任何一行有错误时整个文件都不导入。",
    "用户名：3–64 位字母、数字或 _ . -，以字母或数字开头，不能与已有账号重复。",
    "账号类型：{kinds}（一人多种用“、”分隔）。",
    f"所在市州：市州工信局必填，评审专家选填；填名称或代码：{'、'.join(f'{n}（{c}）' for c, n in CITIES.items())}。",
    "专业类别（仅评审专家）：{categories}，多个用“、”分隔。",
    "行业代码（仅评审专家）：国民经济行业分类 GB/T 4754 代码，如 C3670，多个用“、”分隔。",
    "手机：11 位手机号或带区号的固定电话；邮箱：填写后系统发送设置密码的链接，不填则导入后显示一次临时密码。",
]


def template_workbook() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    append_row(sheet, [header for _, header in COLUMNS])
    append_row(sheet, ["zhangsan", "张三", "评审专家", "长春市", "吉林大学", "绿色工厂、绿色供应链管理企业",
                       "C3670、C3825", "13800000000", "zhangsan@example.com"])
    notes = workbook.create_sheet("填写说明")
    for line in instructions():
        append_row(notes, [line])
    notes.column_dimensions["A"].width = 120
    for letter in "ABCDEFGHI":
        sheet.column_dimensions[letter].width = 18
    return _save(workbook)


def _save(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _open(content: bytes):
    if len(content) > MAX_BYTES:
        raise TooLarge(f"文件过大：不能超过 {MAX_BYTES // 1024 // 1024} MB", fields={"file": ["文件过大"]})
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if sum(member.file_size for member in archive.infolist()) > MAX_UNPACKED:
                raise TooLarge("文件解压后过大，请拆分后导入", fields={"file": ["文件解压后过大"]})
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except TooLarge:
        raise
    except Exception:  # openpyxl raises many kinds (zip, XML, KeyError…) for a file that is not an xlsx
        raise Invalid("无法读取文件：请上传由模板填写的 .xlsx 文件", fields={"file": ["不是有效的 .xlsx 文件"]}) from None
    return workbook


def _cell_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def read_rows(content: bytes) -> list[tuple[int, dict]]:
    """(Excel row number, {field: text}) for each non-empty data row; Invalid for a file we cannot use."""
    workbook = _open(content)
    try:
        found = _data_rows(workbook)
    except ServiceError:
        raise
    except Exception:  # a read-only workbook parses its sheet XML only now, while the rows are read
        raise Invalid("无法读取文件：请上传由模板填写的 .xlsx 文件", fields={"file": ["文件内容已损坏"]}) from None
    finally:
        workbook.close()
    if not found:
        raise Invalid("文件中没有账号数据", fields={"file": ["没有数据行"]})
    return found


def _data_rows(workbook) -> list[tuple[int, dict]]:
    sheet = workbook[SHEET] if SHEET in workbook.sheetnames else workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [_cell_text(v) for v in next(rows, ())]
    by_header = {name: field for field, name in COLUMNS}
    positions = {by_header[name]: i for i, name in enumerate(header) if name in by_header}
    missing = [FIELD_NAMES[f] for f in REQUIRED if f not in positions]
    if missing:
        raise Invalid(f"第 1 行缺少列：{'、'.join(missing)}（请使用下载的模板）",
                      fields={"file": [f"第 1 行缺少列“{name}”" for name in missing]})
    found = []
    for number, values in enumerate(rows, start=2):
        cells = {field: _cell_text(values[i]) if i < len(values) else None for field, i in positions.items()}
        if any(cells.values()):
            found.append((number, cells))
        if len(found) > MAX_ROWS or number > MAX_SCANNED:
            raise Invalid(f"行数过多：一次最多导入 {MAX_ROWS} 行，请拆分文件", fields={"file": [f"超过 {MAX_ROWS} 行"]})
    return found


def import_kinds() -> dict[str, str]:
    """key -> name of the kinds an import may give: the deployment's roles but administrators and applicants."""
    return {key: name for key, name in account_kinds().items() if key not in NOT_IMPORTED}


def _translate(cells: dict, kinds_allowed: dict[str, str],
               category_by_name: dict[str, str]) -> tuple[dict, dict[str, list[str]]]:
    """A row's cells as account values (Chinese names → keys), with what could not be translated."""
    values, errors = normalise(cells), {}
    aliases = {**{name: key for key, name in kinds_allowed.items()}, **KIND_ALIASES}
    kinds = []
    for label in values.get("roles") or []:
        kind = aliases.get(label, label if label in kinds_allowed else None)
        if kind is None:
            errors.setdefault("roles", []).append(
                f"未知的账号类型“{label}”，可选：{'、'.join(kinds_allowed.values())}")
        kinds.append(kind or label)
    values["roles"] = kinds
    city = values.get("city_code")
    if city:
        code = CITY_BY_NAME.get(city, city)
        if code not in CITIES:
            errors.setdefault("city_code", []).append(f"“{city}”不是吉林省的市州，请填名称或代码（如 长春市 或 220100）")
        values["city_code"] = code
    values["specialties"] = [category_by_name.get(s, s) for s in values.get("specialties") or []]
    return values, errors


def check_rows(rows: list[tuple[int, dict]]) -> list[tuple[int, dict]]:
    """Account values for every row, or Invalid naming every bad cell of the whole file."""
    messages, details, accounts, first_row = [], [], [], {}

    def note(number, field, reason):
        column = FIELD_NAMES[field]
        messages.append(f"第 {number} 行 “{column}”：{reason}")
        details.append({"row": number, "column": column, "message": reason})

    kinds_allowed = import_kinds()
    category_by_name = {name: key for key, name in known_categories().items()}
    for number, cells in rows:
        values, errors = _translate(cells, kinds_allowed, category_by_name)
        for field, reasons in account_problems(values, roles_allowed=tuple(kinds_allowed)).items():
            if field not in errors:  # a translation problem already says it better
                errors[field] = reasons
        username = values.get("username")
        if username and "username" not in errors:
            if username in first_row:
                errors["username"] = [f"“{username}”与第 {first_row[username]} 行重复"]
            else:
                first_row[username] = number
        for field in (f for f, _ in COLUMNS if f in errors):
            for reason in errors[field]:
                note(number, field, reason)
        accounts.append((number, values))
    taken = taken_usernames(v["username"] for _, v in accounts if USERNAME.match(v.get("username") or ""))
    for number, values in accounts:
        if values.get("username") in taken:
            note(number, "username", f"“{values['username']}”已被已有账号使用")
    if messages:
        details.sort(key=lambda detail: detail["row"])  # stable: a row's cells stay in column order
        messages = [f"第 {d['row']} 行 “{d['column']}”：{d['message']}" for d in details]
        shown = messages[:MAX_ERRORS]
        more = f"（另有 {len(messages) - MAX_ERRORS} 处未列出）" if len(messages) > MAX_ERRORS else ""
        raise Invalid(f"导入文件有 {len(messages)} 处错误，未导入任何账号{more}：" + "；".join(shown[:5]),
                      fields={"file": shown}, details=details[:MAX_ERRORS])
    return accounts


def import_accounts(content: bytes, *, actor: str, base_url: str | None, filename: str = "") -> dict:
    """Create every account of the file, or none (Invalid naming each bad row and cell)."""
    accounts = check_rows(read_rows(content))
    temporary, links_sent = [], 0
    for number, values in accounts:
        created = insert_checked(actor=actor, values=values, base_url=base_url)
        links_sent += created.link_sent
        if created.temporary_password:
            temporary.append({"row": number, "username": created.user.username,
                              "display_name": created.user.display_name,
                              "temporary_password": created.temporary_password})
    audit.append(audit.SYSTEM_CHAIN, actor=actor, action="accounts_imported",
                 data={"filename": "" if text_problem(filename) else filename[:200], "created": len(accounts),
                       "links_sent": links_sent})
    return {"created": len(accounts), "links_sent": links_sent, "temporary_passwords": temporary}


def export_workbook(*, role: str | None = None, city: str | None = None, active: bool | None = None) -> bytes:
    """The filtered accounts as xlsx (the template's columns, then status), read in chunks by id."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    append_row(sheet, [header for _, header in COLUMNS] + ["状态", "创建时间"])
    query, last_id = account_query(role=role, city=city, active=active), 0
    kinds, categories = role_names(), known_categories()
    while True:
        chunk = db.session.scalars(query.where(User.id > last_id).order_by(User.id).limit(1000)).all()
        for user in chunk:
            append_row(sheet, [user.username, user.display_name,
                               "、".join(kinds.get(r, r) for r in user.roles or []),
                               CITIES.get(user.city_code, user.city_code), user.employer,
                               "、".join(categories.get(s, s) for s in user.specialties or []),
                               "、".join(user.industry_codes or []), user.phone, user.email,
                               "启用" if user.active else "停用", to_shanghai(user.created_at).strftime("%Y-%m-%d %H:%M")])
        if len(chunk) < 1000:
            break
        last_id = chunk[-1].id
    return _save(workbook)
