"""The public notice as a real 公示, the published list with credit codes (each city downloads its own), and the
current provincial list: readable without login, showing nothing personal; the province's register pages."""
import io
import re
from types import SimpleNamespace
from datetime import date, datetime, timezone

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from service.accounts.models import User
from service.applications.batch import batch_action
from service.applications.models import WorkItem
from service.platform.extensions import db
from service.platform.transactions import transaction
from service.register import service as register
from service.register.models import RegisterEntry
from service.rounds.service import open_round
from tests.conftest import OBJECTION_CHANNEL
from tests.api import ApiClient, refused
from tests.pages import Visitor, text
from tests.scenario import Scenario, fresh

NOTICE_OVER = datetime(2024, 8, 1, tzinfo=timezone.utc)
# What the declarations hold about people (versions/samples.py): none of it may reach a public page.
PERSONAL = ("李四", "张三", "王五", "赵六", "13800000000", "0431-88881111", "0431-88880000", "contact@example.cn")


@pytest.fixture
def client(app, demo_passwords):
    return ApiClient(app.test_client())


def through_notice(users, round_, clock, who, reviewer):
    s = Scenario(users, round_, clock).start(applicant=who).declare(who=who)
    s.city_review("recommend", who=reviewer).formal_review().expert_review("expert1", 85).expert_review("expert2", 80)
    return s.batch("start_notice")


@pytest.fixture
def published_two(users, round_, clock, client):
    """A Changchun unit and a Jilin unit noticed on Monday 6 May 2024 and published on 1 August."""
    units = [through_notice(users, round_, clock, "applicant", "changchun"),
             through_notice(users, round_, clock, "other_applicant", "jilin")]
    clock.set(NOTICE_OVER)
    for s in units:
        s.run_worker()
    with transaction():  # one publication for both units
        batch_action(message="publish", round_id=round_, application_ids=[s.application_id for s in units],
                     user=fresh(User, users["staff"]))
    for who in ("changchun", "jilin", "staff", "applicant"):
        client.login(who)
    return [SimpleNamespace(id=a.id, unit_name=a.unit_name, credit_code=a.credit_code)
            for a in (s.application for s in units)]


def rows_of(response):
    assert response.status_code == 200, response.data
    return list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))


def test_each_city_downloads_its_own_published_list_with_credit_codes(published_two, round_, client):
    changchun, jilin = published_two
    own = rows_of(client.get(f"/api/rounds/{round_}/lists/published.xlsx", "changchun"))
    assert "（长春市）" in own[0][0]
    assert list(own[1]) == ["序号", "单位名称", "统一社会信用代码", "申报类别", "所在市州"]
    assert [row for row in own[2:] if isinstance(row[0], int)] == [
        (1, changchun.unit_name, changchun.credit_code, "绿色工厂", "长春市")]
    assert any(isinstance(row[0], str) and row[0] == "发布日期：2024-08-01" for row in own)
    refused(client.get(f"/api/rounds/{round_}/lists/published.xlsx?city=220200", "changchun"), 403, "forbidden")
    refused(client.get(f"/api/rounds/{round_}/lists/notice.xlsx", "changchun"), 403, "forbidden")
    refused(client.get(f"/api/rounds/{round_}/lists/published.xlsx", "applicant"), 403, "forbidden")
    theirs = rows_of(client.get(f"/api/rounds/{round_}/lists/published.xlsx", "jilin"))
    assert [row[1] for row in theirs[2:] if isinstance(row[0], int)] == [jilin.unit_name]
    everyone = rows_of(client.get(f"/api/rounds/{round_}/lists/published.xlsx", "staff"))
    assert sorted(row[2] for row in everyone[2:] if isinstance(row[0], int)) == sorted(
        [changchun.credit_code, jilin.credit_code])
    one_city = rows_of(client.get(f"/api/rounds/{round_}/lists/published.xlsx?city=220200", "staff"))
    assert [row[1] for row in one_city[2:] if isinstance(row[0], int)] == [jilin.unit_name]


def test_the_published_list_prints_on_a4_landscape_with_its_header_repeated(published_two, round_, client):
    response = client.get(f"/api/rounds/{round_}/lists/published.xlsx", "staff")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$2:$2"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet["C3"].border.top.style == "thin"


def test_the_public_notice_is_a_real_notice_readable_without_login(published_two, round_, app):
    page = app.test_client().get(f"/lists/{round_}/notice")
    assert page.status_code == 200
    html = text(page)
    assert "吉林省工业和信息化厅" in html
    assert "关于2024年度省级绿色制造名单的公示" in html
    # Noticed on Monday 6 May 2024; five working days end on Friday 10 May (May 11 is a make-up Saturday after).
    words = " ".join(re.sub(r"<[^>]+>", "", html).split())
    assert "公示期：2024年05月06日 至 2024年05月10日 （5 个工作日）" in words
    for unit in published_two:
        assert unit.unit_name in html and unit.credit_code in html
    assert "资源节约与综合利用处 白佳齐" in html  # the notice's contact line, the round setting's default
    assert "长春市人民大街 3555 号 资源节约与综合利用处" in html and "0431-88914475" in html and "yiyi@example.cn" in html
    assert "data-print" in html and "print.js" in html
    assert not any(value in html for value in PERSONAL)


def test_the_published_list_page_names_issuer_date_and_credit_codes(published_two, round_, app):
    html = text(app.test_client().get(f"/lists/{round_}/published"))
    assert "吉林省工业和信息化厅" in html and "2024年08月01日" in html and "共 2 家" in html
    for unit in published_two:
        assert unit.credit_code in html
    assert not any(value in html for value in PERSONAL)


def test_the_public_provincial_list_is_searchable_paginated_and_impersonal(published_two, app, client):
    anonymous = app.test_client()
    html = text(anonymous.get("/lists/register"))
    assert "吉林省省级绿色制造名单（现行）" in html
    for unit in published_two:
        assert unit.unit_name in html and unit.credit_code in html
    assert not any(value in html for value in PERSONAL)
    found = text(anonymous.get("/lists/register?q=" + published_two[1].credit_code))
    assert published_two[1].unit_name in found and published_two[0].unit_name not in found
    by_city = text(anonymous.get("/lists/register?city=220100"))
    assert published_two[0].unit_name in by_city and published_two[1].unit_name not in by_city
    api_page = anonymous.get("/api/list-register/public?page_size=1")
    assert api_page.status_code == 200 and api_page.json["total"] == 2 and len(api_page.json["items"]) == 1
    assert set(api_page.json["items"][0]) == {"unit_name", "credit_code", "category_name", "round_name", "year", "city"}
    assert anonymous.get("/api/list-register").status_code == 401  # the full register needs a login


def test_the_province_searches_the_register_and_records_a_removal_on_its_page(published_two, app, client, tmp_path):
    app.config["GREENLIST_ATTACHMENTS_DIR"] = str(tmp_path)
    province = Visitor(app)
    assert province.login("staff").status_code == 302
    listing = text(province.get("/list-register?city=220200"))
    assert published_two[1].unit_name in listing and published_two[0].unit_name not in listing
    entry_id = db.session.scalar(select(RegisterEntry.id).where(RegisterEntry.application_id == published_two[1].id))
    page = text(province.get(f"/list-register/{entry_id}"))
    assert "动态调整出名单" in page and published_two[1].credit_code in page
    empty = province.post(f"/list-register/{entry_id}/removal", {"reason": "", "effective_on": ""})
    assert empty.status_code == 422
    assert "请填写动态调整的原因" in text(empty) and "请填写调整日期" in text(empty) and "请上传动态调整的文件" in text(empty)
    done = province.post(f"/list-register/{entry_id}/removal",
                         {"reason": "发生较大安全事故", "effective_on": "2024-08-01", "document_number": "吉工信〔2024〕9号",
                          "document": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "通知.pdf")})
    assert done.status_code == 302
    after = text(province.get(f"/list-register/{entry_id}"))
    assert "已动态调整出名单" in after and "发生较大安全事故" in after and "通知.pdf" in after
    public = text(app.test_client().get("/lists/register"))
    assert published_two[1].unit_name not in public and published_two[0].unit_name in public

    applicant = Visitor(app)
    assert applicant.login("applicant").status_code == 302
    assert applicant.get("/list-register").status_code == 403
    assert applicant.post(f"/list-register/{entry_id}/removal", {"reason": "x"}).status_code == 403


def test_the_import_page_lists_each_bad_cell(app, client):
    from tests.test_register__files import PRIOR, workbook

    admin = Visitor(app)
    assert admin.login("staff").status_code == 302
    admin.get("/list-register/import")
    bad = [["91220101MA00000010", *PRIOR[0][1:]]]
    response = admin.post("/list-register/import", {"file": (io.BytesIO(workbook(bad)), "旧名单.xlsx")})
    assert response.status_code == 422
    assert "第 2 行 “统一社会信用代码”：统一社会信用代码校验位不正确，请核对" in text(response)
    good = admin.post("/list-register/import", {"file": (io.BytesIO(workbook(PRIOR)), "旧名单.xlsx")})
    assert good.status_code == 200 and "已导入 3 条名单记录" in text(good)


def test_the_declaration_page_shows_the_registers_removal(published_two, round_, app, client, tmp_path):
    """The unit sees on its own step what the register holds against it, before it answers the exclusions."""
    entry_id = db.session.scalar(select(RegisterEntry.id).where(RegisterEntry.application_id == published_two[0].id))
    staff = db.session.scalar(select(User.id).where(User.username == "staff"))
    with transaction():
        register.remove(entry_id, reason="发生较大环境污染事故", effective_on=register.today(),
                        document=register.Document("调整.pdf", b"%PDF-1.4\n%%EOF\n"), user=fresh(User, staff),
                        folder=tmp_path)
        following = open_round(name="2025年度", year=2025, city_deadline=date(2025, 6, 10),
                               actor="admin", **OBJECTION_CHANNEL).id
    applicant = Visitor(app)
    assert applicant.login("applicant").status_code == 302
    applicant.get("/my")
    started = applicant.post("/my/start", {"round": str(following), "category": "park"})
    assert started.status_code == 302, text(started)
    task_id = db.session.scalar(select(WorkItem.task_id).where(WorkItem.role == "applicant"))
    page = text(applicant.get(f"/tasks/{task_id}"))
    assert 'id="register-fact"' in page and "发生较大环境污染事故" in page and "被动态调整出" in page
    # The Jilin unit, still listed as a green factory, is told why it cannot declare one again.
    other = Visitor(app)
    assert other.login("other_applicant").status_code == 302
    other.get("/my")
    refused_start = other.post("/my/start", {"round": str(following), "category": "factory"})
    assert refused_start.status_code == 302
    shown = text(other.get(refused_start.headers["Location"]))
    assert "同一类别不得重复申报绿色工厂" in shown and "2024年度省级绿色制造名单" in shown
