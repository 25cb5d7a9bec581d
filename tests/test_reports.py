"""The 推荐汇总表 and the lists hold exactly what the record says, for exactly who may read them."""
import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook

from service.audit.chain import SYSTEM_CHAIN, trail
from service.rounds.reports import SUMMARY_COLUMNS, SUMMARY_TAIL
from tests.api import ApiClient
from tests.scenario import Scenario


@pytest.fixture
def client(app, demo_passwords):
    return ApiClient(app.test_client())


def reviewed(users, round_, clock, unit, decision, rank=None, category="factory"):
    s = Scenario(users, round_, clock).start(category=category, applicant=unit).declare(category=category, who=unit)
    return s.city_review(decision)


def freeze(users, round_, ranks: dict, who="changchun", city="220100"):
    """The city ranks and freezes what waits (ranks: application id -> rank)."""
    from service.platform.storage import files_folder
    from service.platform.extensions import db
    from service.platform.transactions import transaction
    from service.accounts.models import User
    from service.rounds.packages import freeze as freeze_package

    with transaction():
        return freeze_package(user=db.session.get(User, users[who]), round_id=round_, city_code=city,
                              ranks=[{"application_id": k, "rank": v} for k, v in ranks.items()],
                              filler_name="王填报", filler_phone="0431-88886666", folder=files_folder()).id


def test_summary_table_holds_the_citys_recommendations_in_order(users, round_, clock, client):
    second = reviewed(users, round_, clock, "unit0", "recommend")
    first = reviewed(users, round_, clock, "unit1", "recommend")
    park = reviewed(users, round_, clock, "unit2", "recommend", category="park")
    reviewed(users, round_, clock, "unit3", "send_back")
    reviewed(users, round_, clock, "unit4", "reject")
    jilin = Scenario(users, round_, clock).start(applicant="other_applicant").declare(who="other_applicant")
    jilin.city_review("recommend", who="jilin")
    # unit3 was sent back: its declaration is with the unit, not in a city review, so the city may freeze.
    freeze(users, round_, {second.application_id: 2, first.application_id: 1, park.application_id: 1})

    response = client.get(f"/api/rounds/{round_}/summary-table", "changchun")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["绿色工厂", "绿色工业园区", "绿色供应链管理企业"]
    factories = list(workbook["绿色工厂"].iter_rows(values_only=True))
    assert "长春市" in factories[0][0] and "绿色工厂" in factories[0][0]
    assert list(factories[1]) == SUMMARY_COLUMNS + SUMMARY_TAIL
    units = {s.application_id: s.application.unit_name for s in (first, second, park)}
    assert [(row[0], row[1], row[4]) for row in factories[2:4]] == [(1, 1, units[first.application_id]),
                                                                    (2, 2, units[second.application_id])]
    assert factories[2][2] == "长春市" and factories[2][6] == "绿色工厂" and factories[2][9] == "第三方评价"
    assert factories[5][0] == "推荐单位（盖章）：" and factories[6][0].startswith("填报人：王填报")
    assert factories[7][0].startswith("日期")
    parks = list(workbook["绿色工业园区"].iter_rows(values_only=True))
    assert [row[4] for row in parks[2:3]] == [units[park.application_id]]
    chains = list(workbook["绿色供应链管理企业"].iter_rows(values_only=True))
    assert [row for row in chains if isinstance(row[0], int)] == []


def test_summary_table_access(users, round_, clock, client):
    assert client.get(f"/api/rounds/{round_}/summary-table", "jilin").status_code == 200  # its own city
    assert client.get(f"/api/rounds/{round_}/summary-table?city=220100", "jilin").status_code == 403
    assert client.get(f"/api/rounds/{round_}/summary-table?city=220100", "staff").status_code == 200
    assert client.get(f"/api/rounds/{round_}/summary-table?city=220100", "applicant").status_code == 403
    exports = [json.loads(e.data) | {"actor": e.actor} for e in trail(SYSTEM_CHAIN) if e.action == "report_exported"]
    assert [(e["actor"], e["city"]) for e in exports] == [("jilin", "220200"), ("staff", "220100")]


def test_lists_hold_exactly_the_noticed_and_the_published(users, round_, clock, client):
    done = []
    for n, objection in ((0, False), (1, False), (2, True)):
        s = reviewed(users, round_, clock, f"unit{n}", "recommend", rank=n + 1).formal_review()
        s.expert_review("expert1", 80).expert_review("expert2", 80).batch("start_notice")
        if objection:
            s.objection().handle_objection("upheld")
        done.append(s)
    clock.set(datetime(2024, 8, 1, tzinfo=timezone.utc))
    for s in done[:2]:
        s.run_worker()
        s.batch("publish")
    names = [s.application.unit_name for s in done]

    def units(kind):
        response = client.get(f"/api/rounds/{round_}/lists/{kind}.xlsx", "staff")
        assert response.status_code == 200
        rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
        assert list(rows[1]) == ["序号", "单位名称", "统一社会信用代码", "申报类别", "所在市州"]
        return sorted(row[1] for row in rows[2:] if isinstance(row[0], int))

    assert units("notice") == sorted(names)
    assert units("published") == sorted(names[:2])
    page = client.client.get(f"/lists/{round_}/published")
    assert page.status_code == 200
    html = page.data.decode()
    assert names[0] in html and names[1] in html and names[2] not in html and "共 2 家" in html
    assert "13800000000" not in html and "李四" not in html  # no personal data
    # A city downloads its own city's published list only (see test_register__published_lists.py).
    assert client.get(f"/api/rounds/{round_}/lists/published.xlsx?city=220200", "changchun").status_code == 403
    assert client.get(f"/api/rounds/{round_}/lists/notice.xlsx", "changchun").status_code == 403


def test_step_durations_follow_the_clock(users, round_, clock, client):
    """Declared after 2 days, reviewed 3 days later, formal review after 1 day: the statistics say so."""
    start = clock.now()
    fast = Scenario(users, round_, clock).start(applicant="unit0")
    clock.set(start + timedelta(days=2))
    fast.declare(who="unit0")
    clock.set(start + timedelta(days=5))
    fast.city_review("recommend").seal_city_package()
    clock.set(start + timedelta(days=6))
    fast.formal_review("reject")
    slow = Scenario(users, round_, clock).start(applicant="unit1")  # opened at day 6
    clock.set(start + timedelta(days=10))
    slow.declare(who="unit1")
    clock.set(datetime(2024, 6, 11, tzinfo=timezone.utc))
    assert slow.run_worker() == 1  # the slow one then missed the city deadline

    response = client.get(f"/api/rounds/{round_}/statistics", "staff")
    assert response.status_code == 200
    steps = {row["step"]: row for row in response.json["steps"]}
    assert steps["Task_declare_factory"]["median_hours"] == 72.0  # 48 h and 96 h
    assert steps["Task_declare_factory"]["p90_hours"] == 96.0
    assert steps["Task_city_review"]["median_hours"] == 72.0
    assert steps["Task_formal_review"]["median_hours"] == 24.0
    assert response.json["missed_deadlines"] == [{"step": "Timer_city_review", "name": "推荐截止", "count": 1}]
    stages = {(row["stage"], row["city_code"]): row["count"] for row in response.json["by_stage"]}
    assert stages == {("形式审查未通过", "220100"): 1, ("逾期未推荐", "220100"): 1}
    assert client.get(f"/api/rounds/{round_}/statistics", "changchun").status_code == 403

    exported = client.get(f"/api/rounds/{round_}/statistics.xlsx", "staff")
    assert exported.status_code == 200
    book = load_workbook(io.BytesIO(exported.data))
    assert book.sheetnames == ["环节分布", "办理时长", "超期"]
    durations = {row[0]: row for row in book["办理时长"].iter_rows(min_row=3, values_only=True) if row[0]}
    assert durations["Task_declare_factory"][3:] == (72.0, 96.0, None)  # the declaration has no time limit
    assert durations["Task_formal_review"][5] == 10  # 办理时限, working days
    assert [row[:3] for row in book["超期"].iter_rows(min_row=3, max_row=3, values_only=True)] == \
        [("Timer_city_review", "推荐截止", 1)]
    assert client.get(f"/api/rounds/{round_}/statistics.xlsx", "changchun").status_code == 403
