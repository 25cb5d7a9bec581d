"""The 推荐汇总表 a clerk prints and seals, and the province-wide table, opened with openpyxl cell by cell."""
import io

import pytest
from openpyxl import load_workbook

from service.rounds.reports import SUMMARY_COLUMNS, SUMMARY_TAIL
from tests.api import ApiClient, ok
from tests.scenario import Scenario

OPINIONS = {"consult_ecology": "无环境违法记录", "consult_emergency": "无安全事故", "consult_market": "经营正常"}


@pytest.fixture
def client(app, demo_passwords):
    return ApiClient(app.test_client())


def recommended(users, round_, clock, unit, category="factory", city="changchun"):
    s = Scenario(users, round_, clock).start(category=category, applicant=unit).declare(category=category, who=unit)
    return s.city_review("recommend", who=city)


def freeze(client, round_, ranks, city="220100", who="changchun"):
    return ok(client.post(f"/api/rounds/{round_}/cities/{city}/package", who, json={
        "ranks": [{"application_id": k, "rank": v} for k, v in ranks.items()], "filler_name": "王填报",
        "filler_phone": "0431-88886666"}), 201)


def assert_printable(sheet, columns: int):
    """A4 landscape, fitted to one page wide, header row repeated, bordered cells."""
    assert sheet.page_setup.orientation == "landscape"
    assert str(sheet.page_setup.paperSize) == str(sheet.PAPERSIZE_A4)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
    assert sheet.print_title_rows == "$2:$2"
    assert "A1:" in str(sheet.merged_cells)
    for row in sheet.iter_rows(min_row=2, max_row=sheet.max_row):
        if row[0].value is None or not isinstance(row[0].value, (int, str)) or row[0].row == 1:
            continue
        if row[0].row == 2 or isinstance(row[0].value, int):
            for cell in row[:columns]:
                assert cell.border.left.style == "thin" and cell.border.bottom.style == "thin", cell.coordinate


def test_the_city_table_has_every_column_the_notice_asks_for_and_prints_on_a4_landscape(
        users, round_, clock, client):
    factory = recommended(users, round_, clock, "unit0")
    park = recommended(users, round_, clock, "unit1", category="park")
    chain = recommended(users, round_, clock, "unit2", category="supply_chain")
    package = freeze(client, round_, {factory.application_id: 1, park.application_id: 1, chain.application_id: 1})
    book = load_workbook(io.BytesIO(client.get(f"/api/packages/{package['id']}/table.xlsx", "changchun").data))
    assert book.sheetnames == ["绿色工厂", "绿色工业园区", "绿色供应链管理企业"]

    sheet = book["绿色工厂"]
    header = [c.value for c in sheet[2]]
    assert header == SUMMARY_COLUMNS + SUMMARY_TAIL
    assert header[:2] == ["序号", "推荐排序"] and header[-7:] == ["优先推荐情形", "排除情形核查与自查不一致",
                                                               "生态环境部门意见", "应急管理部门意见",
                                                               "市场监管部门意见", "市州推荐意见", "备注"]
    row = dict(zip(header, [c.value for c in sheet[3]]))
    assert row["序号"] == 1 and row["推荐排序"] == 1 and row["市州"] == "长春市" and row["申报类别"] == "绿色工厂"
    assert row["单位名称"] == "长春单位0" and row["联系电话"] == "0431-88881111" and row["联系人"] == "李四"
    # The labels the version's priority decision (processes/priority.dmn) gives; the city's check agreed.
    assert row["优先推荐情形"] == "能效达到国家标杆水平；开展过工业节能诊断服务"
    assert row["排除情形核查与自查不一致"] in ("", None)
    assert (row["生态环境部门意见"], row["应急管理部门意见"], row["市场监管部门意见"]) == tuple(OPINIONS.values())
    assert sheet["A1"].value == "2024年度省级绿色制造名单 省级绿色制造名单推荐汇总表（长春市·绿色工厂）"
    footer = [sheet.cell(row=r, column=1).value for r in range(5, 8)]
    assert footer == ["推荐单位（盖章）：", "填报人：王填报　　联系电话：0431-88886666", "日期：    年    月    日"]
    assert_printable(sheet, len(header))

    parks = book["绿色工业园区"]
    header = [c.value for c in parks[2]]
    assert header[14:17] == ["园区级别", "工业增加值占比（%）", "园区内绿色工厂数量"]
    values = [c.value for c in parks[3]]
    assert values[14] == "省级"  # the option's label, not its stored value "provincial"
    assert "园区内绿色工厂数量多（5家及以上）" in values[17]  # 6 green factories: the priority decision's rule
    assert_printable(parks, len(header))

    chains = book["绿色供应链管理企业"]
    header = [c.value for c in chains[2]]
    assert header[14:16] == ["行业", "绿色供应商数量"]
    signals = [c.value for c in chains[3]][16]
    assert "汽车产品生产者责任延伸试点企业" in signals and "供应商中绿色工厂数量多（10家及以上）" in signals


def test_the_province_wide_table_holds_every_citys_frozen_package_grouped_by_city(users, round_, clock, client):
    first, second = recommended(users, round_, clock, "unit0"), recommended(users, round_, clock, "unit1")
    freeze(client, round_, {first.application_id: 2, second.application_id: 1})
    jilin = recommended(users, round_, clock, "other_applicant", city="jilin")
    freeze(client, round_, {jilin.application_id: 1}, city="220200", who="jilin")
    recommended(users, round_, clock, "unit2")  # recommended, not yet frozen: not in the province's table

    response = client.get(f"/api/rounds/{round_}/packages/consolidated.xlsx", "staff")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data))["绿色工厂"]
    assert "全省推荐汇总表" in sheet["A1"].value
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3) if isinstance(row[0].value, int)]
    assert [(r[0], r[1], r[2], r[4]) for r in rows] == [(1, 1, "长春市", "长春单位1"), (2, 2, "长春市", "长春单位0"),
                                                        (3, 1, "吉林市", "吉林另一公司")]
    assert_printable(sheet, len(SUMMARY_COLUMNS + SUMMARY_TAIL))
