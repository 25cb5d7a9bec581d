"""The province ranks each category by the experts' average score, and breaks a tie with the priority signals
(优先推荐情形) that the version's priority decision (processes/priority.dmn) reads from each declaration."""
import io
import json

import pytest
from openpyxl import load_workbook

from service.applications.models import Application
from service.audit.chain import SYSTEM_CHAIN, trail
from service.commands.demo import ensure_user
from service.engine.bundle import Bundle
from service.engine.priority import priority_decision, priority_problems
from service.platform.extensions import db
from service.platform.transactions import transaction
from service.rounds.ranking import RULE_TEXT
from service.versions.samples import sample_declaration
from tests.api import ApiClient, ok, refused
from tests.conftest import ROOT
from tests.scenario import Scenario

PRIORITY = "processes/priority.dmn"


@pytest.fixture
def client(app, demo_passwords):
    with transaction():
        ensure_user(username="auditor", display_name="审计员", roles=["auditor"])
        ensure_user(username="admin", display_name="系统管理员", roles=["admin"])
    return ApiClient(app.test_client())


def signals(category, **declared):
    decision = priority_decision(Bundle.from_directories(ROOT / "processes", ROOT / "forms"))
    data = {**sample_declaration(category), "energy_diagnosis": False, **declared, "category": category}
    return [s.key for s in decision.signals(data)]


def test_each_category_shows_the_signals_the_notice_names():
    # 绿色工厂: national benchmark; otherwise the energy-consumption limit's advanced value or level 1.
    assert signals("factory", energy_benchmark="yes", energy_limit_advanced="no") == ["energy_benchmark"]
    assert signals("factory", energy_benchmark="no", energy_limit_advanced="yes") == ["energy_limit_advanced"]
    assert signals("factory", energy_benchmark="no", energy_limit_advanced="no") == []
    # 绿色工业园区: many green factories, a high share of them.
    assert signals("park", green_factories_in_park=6, industrial_enterprises_in_park=20) == [
        "many_green_factories", "green_factory_share"]
    assert signals("park", green_factories_in_park=3, industrial_enterprises_in_park=10) == ["green_factory_share"]
    assert signals("park", green_factories_in_park=2, industrial_enterprises_in_park=50) == []
    # 绿色供应链: key industries, many green-factory suppliers, the producer-responsibility pilot.
    assert signals("supply_chain", supply_chain_industry="telecom", green_factory_suppliers=3, epr_pilot="no") == [
        "key_industry"]
    assert signals("supply_chain", supply_chain_industry="other", green_factory_suppliers=10, epr_pilot="yes") == [
        "green_factory_suppliers", "epr_pilot"]
    # Every category: an industrial energy-saving diagnosis, with the smallest weight (equal conditions only).
    assert signals("park", green_factories_in_park=0, industrial_enterprises_in_park=9, energy_diagnosis=True) == [
        "energy_diagnosis"]
    # A declaration made before a field existed reads it as absent, not as an error.
    assert signals("park", green_factories_in_park=6, industrial_enterprises_in_park=None) == ["many_green_factories"]


def test_the_deployed_rule_passes_validation_and_a_broken_one_is_explained_in_chinese():
    files = Bundle.from_directories(ROOT / "processes", ROOT / "forms").processes
    assert priority_problems(files) == []
    text = files["priority.dmn"]
    broken = text.replace('hitPolicy="COLLECT"', 'hitPolicy="FIRST"').replace(
        "<text>1</text>", '<text>"高"</text>')
    messages = [m for _, _, m in priority_problems({**files, "priority.dmn": broken})]
    assert any("命中策略必须为 COLLECT" in m for m in messages)
    assert any("权重应为" in m and "高" in m for m in messages)
    copy = {**files, "priority2.dmn": text}
    assert any("只能有一个" in m for _, _, m in priority_problems(copy))


def reviewed(users, round_, clock, unit, scores, category="factory", experts=("expert1", "expert2"), **declared):
    """``unit`` declares (sample data changed by ``declared``), Changchun recommends, experts score."""
    s = Scenario(users, round_, clock).start(category=category, applicant=unit)
    data = {**sample_declaration(category, unit_name=s.user(unit).unit_name), "energy_diagnosis": False, **declared}
    s.complete(unit, data, bpmn_id=f"Task_declare_{category}")
    s.city_review("recommend").formal_review(experts=experts)
    for expert, score in zip(experts, scores):
        s.expert_review(expert, score)
    return s


@pytest.fixture
def ranked_round(users, round_, clock, client):
    """Four factories and a park reviewed; a fifth factory still with its experts."""
    units = {
        "best": reviewed(users, round_, clock, "unit0", (90, 92), energy_benchmark="no"),
        "diagnosed": reviewed(users, round_, clock, "unit1", (80, 80), energy_benchmark="no", energy_diagnosis=True),
        "benchmark": reviewed(users, round_, clock, "unit2", (78, 82), energy_benchmark="yes"),
        "twin": reviewed(users, round_, clock, "unit3", (81, 79), energy_benchmark="no", energy_diagnosis=True),
        "park": reviewed(users, round_, clock, "unit4", (70, 75), category="park"),
        "pending": reviewed(users, round_, clock, "unit5", (88,), energy_benchmark="yes"),
    }
    return {name: s.application_id for name, s in units.items()}


def test_equal_averages_are_ordered_by_the_priority_signals(round_, ranked_round, client):
    ranking = ok(client.get(f"/api/rounds/{round_}/ranking", "staff"))
    factories, parks, chains = ranking["categories"]
    assert (factories["key"], parks["key"], chains["key"]) == ("factory", "park", "supply_chain")
    rows = [(r["application_id"], r["rank"], r["average_score"], r["priority_weight"], r["tied"])
            for r in factories["rows"]]
    ids = ranked_round
    assert rows == [(ids["best"], 1, 91.0, 0, False),
                    # 80 each: the national benchmark (10) before the diagnosis alone (1) ...
                    (ids["benchmark"], 2, 80.0, 10, False),
                    # ... and two with the same average and the same signals share a rank.
                    (ids["diagnosed"], 3, 80.0, 1, True), (ids["twin"], 3, 80.0, 1, True)]
    benchmark = factories["rows"][1]
    assert benchmark["scores"] == [78, 82] and benchmark["review_count"] == 2
    assert benchmark["signals"] == [{"key": "energy_benchmark", "label": "能效达到国家标杆水平", "weight": 10}]
    assert benchmark["city"] == "长春市" and benchmark["stage"]
    assert [r["application_id"] for r in parks["rows"]] == [ids["park"]]
    assert [s["key"] for s in parks["rows"][0]["signals"]] == ["many_green_factories", "green_factory_share"]
    assert chains["rows"] == []
    assert ranking["pending_review"] == 1  # the factory one expert has not scored yet is not ranked
    assert ranking["rule"] == RULE_TEXT and ranking["has_priority_rule"] is True
    assert {r["signal"] for r in ranking["priority_rules"]} >= {"energy_benchmark", "energy_diagnosis", "epr_pilot"}
    only = ok(client.get(f"/api/rounds/{round_}/ranking?category=park", "staff"))
    assert [c["key"] for c in only["categories"]] == ["park"]
    refused(client.get(f"/api/rounds/{round_}/ranking?category=mine", "staff"), 422, "validation_failed", "category")
    assert client.get("/api/rounds/999999/ranking", "staff").status_code == 404


@pytest.mark.parametrize("who", ["changchun", "expert1", "unit0"])
def test_cities_experts_and_units_see_no_ranking(round_, ranked_round, client, who):
    refused(client.get(f"/api/rounds/{round_}/ranking", who), 403, "ranking_forbidden")
    refused(client.get(f"/api/rounds/{round_}/expert-summary.xlsx", who), 403, "ranking_forbidden")


def test_the_auditor_and_the_administrator_see_the_ranking(round_, ranked_round, client):
    for who in ("auditor", "admin"):
        assert len(ok(client.get(f"/api/rounds/{round_}/ranking", who))["categories"][0]["rows"]) == 4


def test_the_expert_review_summary_is_the_ranking_cell_by_cell(round_, ranked_round, client):
    response = client.get(f"/api/rounds/{round_}/expert-summary.xlsx", "staff")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["绿色工厂", "绿色工业园区", "绿色供应链管理企业"]
    rows = list(workbook["绿色工厂"].iter_rows(values_only=True))
    assert rows[0][0] == "2024年度省级绿色制造名单 专家评审汇总表（绿色工厂）"
    assert list(rows[1]) == ["排名", "市州", "单位名称", "统一社会信用代码", "专家1评分", "专家2评分", "评审专家数",
                             "平均分", "优先推荐情形", "同分排序权重", "当前环节"]
    code = {name: db.session.get(Application, i).credit_code for name, i in ranked_round.items()}
    assert [row[:10] for row in rows[2:6]] == [
        (1, "长春市", "长春单位0", code["best"], 90, 92, 2, 91, "无", 0),
        (2, "长春市", "长春单位2", code["benchmark"], 78, 82, 2, 80, "能效达到国家标杆水平", 10),
        (3, "长春市", "长春单位1", code["diagnosed"], 80, 80, 2, 80, "开展过工业节能诊断服务", 1),
        (3, "长春市", "长春单位3", code["twin"], 81, 79, 2, 80, "开展过工业节能诊断服务", 1)]
    assert all(row[10] for row in rows[2:6])  # where each stands now
    assert rows[6] == (None,) * 11 or all(cell is None for cell in rows[6])
    assert rows[7][0] == RULE_TEXT
    assert rows[8][0] == "另有 1 个申报专家评审尚未完成，未列入本表。"
    assert rows[9][0].startswith("导出时间：")
    parks = list(workbook["绿色工业园区"].iter_rows(values_only=True))
    assert parks[2][:9] == (1, "长春市", "长春单位4", code["park"], 70, 75, 2, 72.5,
                            "园区内绿色工厂数量多（5家及以上）、园区内绿色工厂占比高（20%及以上）")
    exports = [json.loads(e.data) for e in trail(SYSTEM_CHAIN) if e.action == "report_exported"]
    assert exports == [{"report": "expert_summary", "round_id": round_}]


def test_editing_the_rule_in_a_draft_changes_the_previewed_ranking(round_, version, ranked_round, client):
    draft = ok(client.post("/api/process-drafts", "admin", json={"from_version": version}), 201)
    text = draft["files"][PRIORITY]
    # The administrator makes the energy-saving diagnosis weigh more than the benchmark.
    edited = text.replace('<outputEntry id="Output_energy_diagnosis_weight">\n          <text>1</text>',
                          '<outputEntry id="Output_energy_diagnosis_weight">\n          <text>20</text>')
    assert edited != text
    ok(client.put(f"/api/process-drafts/{draft['id']}/files/{PRIORITY}", "admin",
                  json={"content": edited, "revision": draft["revision"]}))
    report = ok(client.post(f"/api/process-drafts/{draft['id']}/rehearse", "admin", json={"round": round_}))
    factories = report["ranking"]["categories"][0]
    ids = ranked_round
    assert [(r["application_id"], r["rank"], r["rank_before"]) for r in factories["rows"]] == [
        (ids["best"], 1, 1), (ids["diagnosed"], 2, 3), (ids["twin"], 2, 3), (ids["benchmark"], 4, 2)]
    assert factories["changed"] == 3
    assert factories["rows"][1]["priority_weight"] == 20 and factories["rows"][1]["priority_weight_before"] == 1
    # The round itself still ranks by its own version until a round runs the new one.
    assert ok(client.get(f"/api/rounds/{round_}/ranking", "staff"))["categories"][0]["rows"][1]["application_id"] == \
        ids["benchmark"]


def test_a_draft_with_a_broken_rule_is_refused_with_the_reason(version, client):
    draft = ok(client.post("/api/process-drafts", "admin", json={"from_version": version}), 201)
    broken = draft["files"][PRIORITY].replace('name="weight"', 'name="score"')
    ok(client.put(f"/api/process-drafts/{draft['id']}/files/{PRIORITY}", "admin",
                  json={"content": broken, "revision": draft["revision"]}))
    checked = ok(client.post(f"/api/process-drafts/{draft['id']}/validate", "admin"))
    assert checked["valid"] is False
    assert [p["message"] for p in checked["problems"] if p["file"] == PRIORITY][0].startswith(
        "优先推荐情形决策表的输出列必须依次为 signal")


def test_a_rule_that_fails_on_one_declaration_marks_that_row_and_ranks_the_rest():
    from service.engine.priority import PriorityDecision
    from service.rounds.ranking import Reviewed, rank

    text = Bundle.from_directories(ROOT / "processes", ROOT / "forms").processes["priority.dmn"]
    # An administrator's input expression that cannot cope with a missing number.
    fragile = PriorityDecision(text.replace("<text>green_factories_in_park or 0</text>",
                                            "<text>green_factories_in_park + 0</text>"), "priority.dmn")

    def entry(n, average, **declared):
        return Reviewed(n, "park", "220100", f"园区{n}", None, "启动公示", {"category": "park", **declared},
                        [average, average])

    ranked = rank([entry(1, 70, green_factories_in_park=6, industrial_enterprises_in_park=10),
                   entry(2, 90)], fragile)["park"]
    assert [(r.entry.application_id, r.rank, r.weight) for r in ranked] == [(2, 1, 0), (1, 2, 10)]
    assert ranked[0].problem.startswith("优先推荐情形无法计算：") and ranked[0].signals == []
    assert ranked[1].problem is None
