"""The register as spreadsheets: an earlier year's list imported cell by cell (a bad credit code names its row,
nothing is written), and the export for national nominations checked cell by cell, print set-up included."""
import io
import json
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from service.audit.chain import SYSTEM_CHAIN, trail
from service.forms.credit_code import check_character
from service.platform.extensions import db
from service.register.files import COLUMNS, EXPORT_COLUMNS
from service.register.models import RegisterEntry
from tests.api import ok, refused


def code(body: str) -> str:
    """A valid credit code: 17 characters and their GB 32100 check character."""
    return body + check_character(body)


GOOD = [code("91220101MA0000001"), code("91220201MA0000002"), code("91220301MA0000003")]


def workbook(rows, header=None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "名单库"
    sheet.append(header or [label for _, label in COLUMNS])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(api, content, who="province"):
    return api.post("/api/list-register/import", who, data={"file": (io.BytesIO(content), "2022年名单.xlsx")},
                    content_type="multipart/form-data")


def entries():
    db.session.remove()
    return db.session.scalar(select(func.count()).select_from(RegisterEntry))


PRIOR = [[GOOD[0], "长春一汽零部件有限公司", "绿色工厂", "长春市", "2022年度省级绿色制造名单", 2022, date(2022, 12, 20)],
         [GOOD[1], "吉林化纤园区管委会", "绿色工业园区", "220200", "2022年度省级绿色制造名单", 2022, "2022-12-20"],
         [GOOD[2], "四平换热设备有限公司", "supply_chain", "四平市", "2023年度省级绿色制造名单", "2023", "2023/12/01"]]


def test_a_prior_list_is_imported_and_blocks_a_second_declaration(api):
    assert ok(upload(api, workbook(PRIOR))) == {"imported": 3}
    listed = ok(api.get("/api/list-register?status=all&page_size=10", "province"))
    assert listed["total"] == 3
    by_code = {e["credit_code"]: e for e in listed["items"]}
    assert by_code[GOOD[1]]["category"] == "park" and by_code[GOOD[1]]["city"] == "吉林市"
    assert by_code[GOOD[2]]["listed_on"] == "2023-12-01" and by_code[GOOD[2]]["source"] == "imported"
    event = next(e for e in trail(SYSTEM_CHAIN) if e.action == "register_imported")
    assert json.loads(event.data)["count"] == 3 and event.actor == "province"
    # The same file again: every row is already on the register.
    body = refused(upload(api, workbook(PRIOR)), 422, "validation_failed", "file")
    assert any("第 2 行" in problem and "已在名单库中在册" in problem for problem in body["errors"]["file"])


def test_a_bad_credit_code_refuses_the_whole_file_naming_the_row(api):
    bad = GOOD[2][:-1] + ("0" if GOOD[2][-1] != "0" else "1")
    rows = [PRIOR[0], PRIOR[1], [bad, *PRIOR[2][1:]], ["", "无名", "绿色工厂", "哈尔滨市", "", "二〇二二", "昨天"],
            [GOOD[0], *PRIOR[0][1:]]]
    body = refused(upload(api, workbook(rows)), 422, "validation_failed", "file")
    problems = body["errors"]["file"]
    assert "第 4 行 “统一社会信用代码”：统一社会信用代码校验位不正确，请核对" in problems
    assert "第 5 行 “统一社会信用代码”：必填" in problems
    assert "第 5 行 “所在市州”：“哈尔滨市”不是吉林省的市州" in problems
    assert "第 5 行 “批次（名单名称）”：必填" in problems
    assert "第 5 行 “年度”：“二〇二二”不是年份" in problems
    assert "第 5 行 “列入日期”：“昨天”不是日期，应为 YYYY-MM-DD" in problems
    assert "第 6 行：与第 2 行重复（同一单位同一类别）" in problems
    assert "整个文件都没有导入" in body["message"]
    assert entries() == 0


def test_a_file_that_is_not_the_template_is_refused(api):
    refused(upload(api, b"not a spreadsheet"), 422, "validation_failed", "file")
    body = refused(upload(api, workbook(PRIOR, header=["信用代码", "名称"])), 422, "validation_failed", "file")
    assert "第 1 行应依次为" in body["errors"]["file"][0]
    refused(upload(api, workbook(PRIOR), who="changchun"), 403, "forbidden")
    refused(upload(api, workbook(PRIOR), who="auditor"), 403, "forbidden")
    assert entries() == 0


def test_the_template_downloads_with_its_instructions(api):
    response = api.get("/api/list-register/template", "admin")
    book = load_workbook(io.BytesIO(response.data))
    assert [c.value for c in book["名单库"][1]] == [label for _, label in COLUMNS]
    assert "GB 32100" in " ".join(str(row[0].value) for row in book["填写说明"].iter_rows())


def test_the_export_for_national_nominations_cell_by_cell(api):
    ok(upload(api, workbook(PRIOR)))
    response = api.get("/api/list-register/export?category=factory", "province")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/vnd.openxml")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "吉林省省级绿色制造名单库（绿色工厂）"
    assert list(rows[1]) == EXPORT_COLUMNS
    assert list(rows[2]) == [1, GOOD[0], "长春一汽零部件有限公司", "绿色工厂", "省级", "长春市", "2022年度省级绿色制造名单",
                             2022, "2022-12-20", "在册"]
    assert rows[3] == (None,) * len(EXPORT_COLUMNS) and rows[4][0].startswith("共 1 家")
    assert sheet.page_setup.orientation == "landscape" and int(sheet.page_setup.paperSize) == 9  # A4
    assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$2:$2"
    assert sheet["B3"].border.left.style == "thin" and sheet["A2"].font.bold
    by_city = api.get("/api/list-register/export?city=220300", "auditor")
    assert [r[2] for r in list(load_workbook(io.BytesIO(by_city.data)).active.iter_rows(values_only=True))[2:3]] == [
        "四平换热设备有限公司"]
    assert api.get("/api/list-register/export", "changchun").status_code == 403
    exports = [json.loads(e.data) for e in trail(SYSTEM_CHAIN) if e.action == "report_exported"]
    assert [(e["report"], e["category"], e["city"], e["count"]) for e in exports] == [
        ("register", "factory", None, 1), ("register", None, "220300", 1)]


@pytest.mark.parametrize("who", ["factory1", "changchun", "expert1"])
def test_only_the_province_reads_the_register(api, who):
    refused(api.get("/api/list-register", who), 403, "forbidden")
