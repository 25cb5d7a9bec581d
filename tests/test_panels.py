"""Expert panels: who is eligible for an application (回避 of the applicant's city and organisation, a
specialty or an industry that matches), their workload, the reproducible draw, and the refusals of a
panel that is not eligible, not of the round's size, or chosen without a reason."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import event, insert, select, text

from service.accounts.models import User
from service.applications import panels
from service.applications.models import WorkItem
from service.applications.commands import complete_task
from service.applications.panel_changes import draw_panel
from service.audit.models import AuditEvent
from service.commands.demo import ensure_user
from service.platform.errors import Conflict, Invalid
from service.platform.extensions import db
from service.platform.transactions import transaction
from tests.plans import plan, scans
from tests.scenario import Scenario

EVERY = ["factory", "park", "supply_chain"]


@pytest.fixture
def scenario(users, round_, clock):
    return Scenario(users, round_, clock)


def expert(users, username, **fields):
    if "expert" in fields.get("roles", ["expert"]):  # an expert's profile; other accounts have none
        fields.setdefault("city_code", "220500")
        fields.setdefault("specialties", ["factory"])
    # Not account fields an administrator types: set on the record as the situation under test has it.
    situation = {key: fields.pop(key) for key in ("unit_code", "active") if key in fields}
    with transaction():
        user = ensure_user(username=username, display_name=fields.pop("name", username),
                           roles=fields.pop("roles", ["expert"]), **fields)
        for key, value in situation.items():
            setattr(user, key, value)
        users[username] = user.id


def at_formal_review(s: Scenario) -> Scenario:
    """The applicant (长春示范制造有限公司, Changchun) declared a factory in industry C3670; the city recommended."""
    with transaction():
        s.start("factory").declare("factory").city_review("recommend").seal_city_package()
    return s


def eligible_names(s: Scenario) -> set[str]:
    return {c.name for c in panels.eligible_experts(s.application)}


def test_eligibility_excludes_the_applicants_city_and_organisation_and_other_specialties(scenario, users):
    s = at_formal_review(scenario)
    expert(users, "same_city", name="长春本地专家", city_code="220100")
    expert(users, "same_employer", name="申报单位职工", employer="长春示范制造有限公司")
    expert(users, "same_unit_code", name="申报单位账号", unit_code=s.application.applicant_unit)
    expert(users, "park_only", name="园区专家", specialties=["park"])
    expert(users, "park_but_auto", name="汽车行业专家", specialties=["park"], industry_codes=["C36"])
    expert(users, "park_but_group", name="汽车零部件专家", specialties=["park"], industry_codes=["367"])
    expert(users, "park_but_exact", name="细分行业专家", specialties=["park"], industry_codes=["C3670"])
    expert(users, "park_but_sibling", name="相邻行业专家", specialties=["park"], industry_codes=["C3671"])
    expert(users, "no_city", name="未填市州专家", city_code=None)
    expert(users, "inactive", name="已停用专家", active=False)
    expert(users, "not_an_expert", name="省厅干部", roles=["province_staff"])

    assert eligible_names(s) == {"专家一", "专家二", "专家三", "汽车行业专家", "汽车零部件专家", "细分行业专家",
                                 "未填市州专家"}


def test_each_expert_comes_with_their_workload_from_one_query(scenario, users, round_, clock):
    other = Scenario(users, round_, clock)
    with transaction():
        other.start("factory", applicant="other_applicant").declare("factory", who="other_applicant")
        other.city_review("recommend", who="jilin").formal_review(experts=("expert1", "expert2"))
    application = at_formal_review(scenario).application
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731 - (conn, cursor, statement, ...)
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        pool = {c.name: c for c in panels.eligible_experts(application)}
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    # The declaration's industry, then the experts and their workloads together.
    assert len([s for s in statements if s.startswith("SELECT")]) == 2
    assert {name: c.workload for name, c in pool.items()} == {"专家一": 1, "专家二": 1, "专家三": 0}
    assert pool["专家一"].label == "专家一 · 延边大学 · 延边朝鲜族自治州 · 在办 1 件"


def test_a_candidates_workload_is_counted_on_the_assignee_index(users, round_, clock):
    # Not every open expert task grouped by expert (a round in review has hundreds of thousands): each
    # candidate's own, by index. A thousand reviews among 200 experts, so that PostgreSQL's statistics tell the
    # expert's index from the one by role (on a handful of rows both cost the same).
    application_id = Scenario(users, round_, clock).start().application_id
    db.session.execute(insert(WorkItem), [
        {"application_id": application_id, "task_id": f"review-{n}", "bpmn_id": "Task_expert_review", "name": "专家评审",
         "role": "expert", "city_code": "220100", "category": "factory", "applicant_unit": "x",
         "assignee": str(1000 + n % 200), "due_order": datetime(2024, 6, 1, tzinfo=timezone.utc)} for n in range(1000)])
    db.session.commit()
    db.session.execute(text("ANALYZE work_item"))
    found = plan(select(User.id, panels.open_reviews()).where(User.id == users["expert1"]))
    assert "ix_work_item_assignee" in found and not scans(found, "work_item")


def test_the_same_seed_and_eligible_set_draw_the_same_panel():
    eligible = list(range(100, 140))
    panel = panels.draw("5eed", eligible, 3)
    assert len(set(panel)) == 3 and set(panel) <= set(eligible)
    assert panels.draw("5eed", list(reversed(eligible)), 3) == panel  # the order of the list does not matter
    assert panels.draw("5eed", eligible + [panel[0]], 3) == panel
    # An expert who would not have been drawn leaving the pool changes nothing.
    assert panels.draw("5eed", [i for i in eligible if i not in panel][:5] + panel, 3) == panel
    assert any(panels.draw(seed, eligible, 3) != panel for seed in ("a", "b", "c"))


def submit_formal(s: Scenario, **data):
    item = s.item("Task_formal_review")
    form = {"materials_complete": True, "decision": "accept", "require_site_inspection": False, **data}
    with transaction():
        complete_task(application_id=s.application_id, task_id=item.task_id, data=form, user=s.user("staff"))


def refused(s: Scenario, **data) -> Invalid:
    with pytest.raises(Invalid) as caught:
        submit_formal(s, **data)
    db.session.rollback()
    return caught.value


def test_a_drawn_panel_is_recorded_and_submitted_without_a_reason(scenario, users):
    s = at_formal_review(scenario)
    expert(users, "expert4", name="专家四", city_code="220300")
    with transaction():
        drawn = draw_panel(task_id=s.item("Task_formal_review").task_id, user=s.user("staff"))
    assert drawn["count"] == 2 and drawn["eligible_count"] == 4 and len(drawn["experts"]) == 2
    record = json.loads(db.session.scalar(select(AuditEvent.data).where(AuditEvent.action == panels.DRAWN)))
    assert record["seed"] == drawn["seed"] and sorted(record["eligible"]) == sorted(
        users[n] for n in ("expert1", "expert2", "expert3", "expert4"))
    # Anyone can redo the draw from the record.
    assert panels.draw(record["seed"], record["eligible"], 2) == record["panel"] == [e["id"] for e in drawn["experts"]]

    submit_formal(s, experts=[e["value"] for e in drawn["experts"]], panel_seed=drawn["seed"])
    assigned = sorted(int(i.assignee) for i in s.items() if i.bpmn_id == "Task_expert_review")
    assert assigned == sorted(record["panel"])
    assert s.chain_ok()


def test_a_panel_is_refused_naming_the_field(scenario, users):
    s = at_formal_review(scenario)
    expert(users, "local", name="长春本地专家", city_code="220100")
    one, two, local = str(users["expert1"]), str(users["expert2"]), str(users["local"])

    assert refused(s, experts=[one, two]).fields == {"panel_reason": ["未随机抽取时，须填写人工选择专家的理由"]}
    assert "不是可选项" in refused(s, experts=[one, local], panel_reason="熟悉行业").fields["experts"][0]
    assert refused(s, experts=[one], panel_reason="熟悉行业").fields == {"experts": ["需要选择 2 项，现选择了 1 项"]}
    assert "panel_seed" in refused(s, experts=[one, two], panel_seed="forged").fields

    with transaction():
        drawn = draw_panel(task_id=s.item("Task_formal_review").task_id, user=s.user("staff"))
    changed = [v for v in (one, two, str(users["expert3"])) if v != drawn["experts"][0]["value"]][:2]
    assert set(changed) != {e["value"] for e in drawn["experts"]}
    assert "panel_reason" in refused(s, experts=changed, panel_seed=drawn["seed"]).fields
    submit_formal(s, experts=changed, panel_seed=drawn["seed"], panel_reason="抽中专家之一出差，人工调整")
    assert len([i for i in s.items() if i.bpmn_id == "Task_expert_review"]) == 2


def test_too_few_eligible_experts_to_draw(scenario, users):
    s = at_formal_review(scenario)
    with transaction():
        for name in ("expert2", "expert3"):
            db.session.get(User, users[name]).active = False
    with pytest.raises(Conflict) as caught, transaction():
        draw_panel(task_id=s.item("Task_formal_review").task_id, user=s.user("staff"))
    assert caught.value.code == "too_few_experts"


def test_a_broad_declared_industry_matches_narrower_expert_codes(scenario, users):
    from service.versions.samples import sample_declaration

    s = scenario.start("factory")
    declaration = sample_declaration("factory", unit_name=s.user("applicant").unit_name)
    s.complete("applicant", {**declaration, "industry_codes": "36, C3011"}, bpmn_id="Task_declare_factory")
    s.city_review("recommend").seal_city_package()
    expert(users, "auto_parts", name="汽车零部件专家", specialties=["park"], industry_codes=["C3670"])
    expert(users, "cement", name="水泥专家", specialties=["park"], industry_codes=["30"])
    expert(users, "glass", name="玻璃专家", specialties=["park"], industry_codes=["C3041"])
    assert panels.industry_codes("36, C3011") == ["36", "3011"]
    assert eligible_names(s) == {"专家一", "专家二", "专家三", "汽车零部件专家", "水泥专家"}


def test_a_form_choosing_a_panel_must_record_the_seed_or_the_reason():
    from service.forms.schema import form_problems

    taglist = {"type": "taglist", "key": "experts", "id": "F1", "valuesKey": "expert_pool"}
    assert form_problems({"components": [taglist]}) == [
        ("experts", "遴选专家的表单还须有字段 panel_seed 和 panel_reason（随机抽取种子、人工选择理由）")]
    seed = {"type": "textfield", "key": "panel_seed", "id": "F2"}
    reason = {"type": "textarea", "key": "panel_reason", "id": "F3"}
    assert form_problems({"components": [taglist, seed, reason]}) == []
