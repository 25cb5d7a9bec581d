"""Bulk import of staff accounts from the xlsx template: a whole file or nothing, every bad row and cell
named in Chinese, duplicates found inside the file and against existing accounts; the template and the
export as files."""
from __future__ import annotations

import io
import json
import re
import zipfile

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from service.accounts.models import User
from service.accounts.recovery import set_password_with_link
from service.audit.chain import SYSTEM_CHAIN, trail
from service.notify.models import Notification
from service.platform.extensions import db
from service.platform.reference import CITIES
from service.platform.transactions import transaction
from tests.api import ApiScenario, ok, refused

HEADERS = ["用户名", "姓名", "账号类型", "所在市州", "工作单位", "专业类别", "行业代码", "手机", "邮箱"]
CITY_NAMES = list(CITIES.values())


def xlsx(rows, headers=HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "账号"
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def experts_and_reviewers():
    """200 experts (no e-mail: temporary passwords) and 30 city reviewers (e-mail: set-password links)."""
    rows = [[f"expert{n:03d}", f"专家{n:03d}", "评审专家", CITY_NAMES[n % 11] if n % 3 else "",
             f"第{n}研究院", "绿色工厂、绿色工业园区" if n % 2 else "绿色供应链管理企业", f"C{3600 + n % 90}、D4411",
             f"139{n:08d}", ""] for n in range(200)]
    rows += [[f"reviewer{n:02d}", f"审核员{n:02d}", "市州工信局", CITY_NAMES[n % 11], "", "", "", "0431-8800%04d" % n,
              f"reviewer{n:02d}@gxt.example.cn"] for n in range(30)]
    return rows


def upload(api, content, who="admin", name="账号.xlsx"):
    return api.post("/api/accounts/import", who, data={"file": (io.BytesIO(content), name)},
                    content_type="multipart/form-data")


def test_import_of_200_experts_and_30_city_reviewers_gives_usable_accounts(api):
    s = ApiScenario(api).start().declare()  # an application waits in Changchun's inbox
    result = ok(upload(api, xlsx(experts_and_reviewers())))
    assert result["created"] == 230 and result["links_sent"] == 30 and len(result["temporary_passwords"]) == 200

    for given in result["temporary_passwords"][::20]:
        api.login(given["username"], given["temporary_password"])
        me = ok(api.get("/api/me", given["username"]))
        assert me["roles"] == ["expert"]
    expert = db.session.scalar(select(User).where(User.username == "expert007"))
    assert (expert.city_code, expert.specialties, expert.industry_codes) == ("220800", ["factory", "park"],
                                                                             ["C3607", "D4411"])
    assert expert.must_change_password

    mails = db.session.scalars(select(Notification).where(Notification.kind == "set_password")).all()
    assert len(mails) == 30
    to_changchun = next(m for m in mails if m.recipients[0]["username"] == "reviewer00")
    token = re.search(r"/password/set/(\S+)", to_changchun.body).group(1)
    with transaction():  # what the set-password page does with the link
        set_password_with_link("set_password", token, "Changchun-review-2024")
    api.login("reviewer00", "Changchun-review-2024")
    inbox = ok(api.get("/api/tasks", "reviewer00"))
    assert [t["application_id"] for t in inbox["items"]] == [s.application_id]
    actions = [e.action for e in trail(SYSTEM_CHAIN)]
    assert actions.count("account_created") == 22 + 230 and actions[-2:] == ["accounts_imported", "password_set"]


def test_one_bad_row_imports_nothing_and_names_the_row_and_its_cells(api):
    rows = experts_and_reviewers()
    rows[55][3], rows[55][8] = "哈尔滨市", "expert055@@example"  # spreadsheet row 57 (row 1 is the header)
    before = db.session.scalar(select(func.count()).select_from(User))
    body = refused(upload(api, xlsx(rows)), 422, "validation_failed", "file")
    assert body["errors"]["file"] == ["第 57 行 “所在市州”：“哈尔滨市”不是吉林省的市州，请填名称或代码（如 长春市 或 220100）",
                                      "第 57 行 “邮箱”：邮箱格式不正确（如 name@example.com）"]
    assert [(d["row"], d["column"]) for d in body["details"]] == [(57, "所在市州"), (57, "邮箱")]
    assert "第 57 行" in body["message"] and "未导入任何账号" in body["message"]
    assert db.session.scalar(select(func.count()).select_from(User)) == before
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_duplicates_in_the_file_and_existing_usernames_are_found(api):
    rows = [["newexpert", "新专家", "评审专家", "", "", "", "", "", ""],
            ["changchun", "重名", "市州工信局", "长春市", "", "", "", "", ""],
            ["newexpert", "又一个", "专家", "", "", "绿色钢厂", "36-70", "", ""],
            ["", "没有用户名", "总工程师", "", "", "", "", "", ""]]
    problems = refused(upload(api, xlsx(rows)), 422, "validation_failed", "file")["errors"]["file"]
    assert problems == ["第 3 行 “用户名”：“changchun”已被已有账号使用",
                        "第 4 行 “用户名”：“newexpert”与第 2 行重复",
                        "第 4 行 “专业类别”：未知的专业类别“绿色钢厂”，可选：绿色工厂、绿色工业园区、绿色供应链管理企业",
                        "第 4 行 “行业代码”：“36-70”不是国民经济行业代码（GB/T 4754，如 C3670 或 3670：门类字母加 2–4 位数字，字母可省略）",
                        "第 5 行 “用户名”：必填项",
                        "第 5 行 “账号类型”：未知的账号类型“总工程师”，可选：省工信厅、市州工信局、评审专家、审计"]
    assert db.session.scalar(select(User).where(User.username == "newexpert")) is None


def test_files_that_are_not_the_template_are_refused_readably(api):
    refused(upload(api, b"PK\x03\x04 not really a zip"), 422, "validation_failed", "file")
    refused(upload(api, b"%PDF-1.7"), 422, "validation_failed", "file")
    missing = refused(upload(api, xlsx([["a", "b"]], headers=["用户名", "名字"])), 422, "validation_failed", "file")
    assert missing["errors"]["file"] == ["第 1 行缺少列“姓名”", "第 1 行缺少列“账号类型”"]
    refused(upload(api, xlsx([])), 422, "validation_failed", "file")
    too_many = [[f"u{n:05d}", "某", "评审专家"] + [""] * 6 for n in range(1001)]
    assert "最多导入 1000 行" in refused(upload(api, xlsx(too_many)), 422, "validation_failed", "file")["message"]
    assert upload(api, b"x" * (2 * 1024 * 1024 + 1)).status_code == 413


def test_the_template_downloads_and_its_example_row_imports(api):
    response = api.get("/api/accounts/template", "admin")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["账号", "填写说明"]
    assert [c.value for c in workbook["账号"][1]] == HEADERS
    assert "整个文件都不导入" in " ".join(str(c.value) for c in workbook["填写说明"]["A"])
    assert ok(upload(api, response.data))["created"] == 1


def test_export_is_filtered_by_role_and_city_and_recorded(api):
    response = api.get("/api/accounts/export?role=city_reviewer&city=220100", "admin")
    sheet = load_workbook(io.BytesIO(response.data))["账号"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:9] == HEADERS and rows[0][9:] == ["状态", "创建时间"]
    assert [r[:4] for r in rows[1:]] == [["changchun", "长春市工信局", "市州工信局", "长春市"]]
    everyone = load_workbook(io.BytesIO(api.get("/api/accounts/export", "admin").data))["账号"]
    assert everyone.max_row == 23
    exported = [json.loads(e.data) for e in trail(SYSTEM_CHAIN) if e.action == "accounts_exported"]
    assert exported == [{"role": "city_reviewer", "city": "220100"}, {}]


def test_a_full_file_with_blank_rows_after_it_imports_and_a_broken_sheet_is_refused(api):
    rows = [[f"bulk{n:04d}", "某", "评审专家", "", "", "", "", "", ""] for n in range(1000)] + [[None] * 9] * 50
    assert ok(upload(api, xlsx(rows)))["created"] == 1000
    content = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx([["x1y", "某", "评审专家"]])), "r") as source, \
            zipfile.ZipFile(content, "w") as broken:
        for item in source.infolist():
            data = source.read(item)
            broken.writestr(item, data[:len(data) // 2] if item.filename.endswith("sheet1.xml") else data)
    body = refused(upload(api, content.getvalue()), 422, "validation_failed", "file")
    assert body["message"].startswith("无法读取文件")
