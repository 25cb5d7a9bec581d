"""A fourth category added in a draft (绿色设计产品, design_product) works end to end: validated, deployed, opened
by next year's round, declared in by a unit over the API, seen by the city in its inbox filter and summary table;
the round on the earlier version knows nothing of it. A bad categories definition is named in Chinese."""
from __future__ import annotations

import io
import json
from datetime import date

from openpyxl import load_workbook

from service.accounts.models import User
from service.applications.commands import start_application
from service.engine.bundle import Bundle
from service.engine.categories import STANDARD_CATEGORIES, to_json
from service.engine.validation import validate_bundle
from service.platform.extensions import db
from service.platform.transactions import transaction
from service.rounds.models import Round
from service.rounds.service import open_round
from service.versions.categories import version_categories
from service.versions.deploy import deploy
from service.versions.samples import sample_declaration
from tests.api import REVIEW, ApiScenario, attach_reports, demo_round_id, first_version_id, ok, refused, review_for
from tests.conftest import OBJECTION_CHANNEL
from tests.design_product import FORM, design_product_files
from tests.test_process_admin import draft_from, put


def deployed_with_design_product(api) -> int:
    draft = draft_from(api)
    bundle = Bundle.from_json(json.dumps({
        "processes": {n[10:]: t for n, t in draft["files"].items() if n.startswith("processes/")},
        "forms": {n[6:]: t for n, t in draft["files"].items() if n.startswith("forms/")}}))
    for name, text in design_product_files(bundle).items():
        draft = {**draft, **ok(put(api, draft, name, text))}
    assert ok(api.post(f"/api/process-drafts/{draft['id']}/validate", "admin")) == {"valid": True, "problems": []}
    return ok(api.post(f"/api/process-drafts/{draft['id']}/deploy", "admin", json={"note": "增加绿色设计产品"}), 201)["id"]


def test_a_category_added_in_a_draft_works_end_to_end_and_the_old_round_is_untouched(api):
    last_year = ApiScenario(api).start().declare()  # the 2024 round, on version 1
    version = deployed_with_design_product(api)
    created = ok(api.post(f"/api/rounds/{demo_round_id()}/next", "admin", json={"process_version_id": version}), 201)
    assert created["categories"] == ["factory", "park", "supply_chain", "design_product"]  # the new one opened

    started = ok(api.post("/api/applications", "factory1", json={"round": created["id"], "category": "design_product"}),
                 201)
    assert started["category_name"] == "绿色设计产品"
    inbox = ok(api.get("/api/tasks", "factory1"))["items"]
    task = next(t for t in inbox if t["application_id"] == started["id"])
    assert task["step"] == "Task_declare_design_product" and task["category_name"] == "绿色设计产品"
    page = ok(api.get(f"/api/tasks/{task['task_id']}", "factory1"))
    assert page["form"]["id"] == "Form_declaration_design_product"
    declaration = sample_declaration("factory", unit_name="长春示范汽车零部件有限公司")
    attach_reports(api, "factory1", task["task_id"], declaration)
    ok(api.post(f"/api/tasks/{task['task_id']}/submit", "factory1",
                json={"data": declaration, "version": page["version"]}))

    # The city filters its inbox by the new category and recommends the unit.
    filtered = ok(api.get("/api/tasks?category=design_product", "changchun"))
    assert [(t["application_id"], t["category_name"]) for t in filtered["items"]] == [(started["id"], "绿色设计产品")]
    assert ok(api.get("/api/tasks?category=park", "changchun"))["items"] == []
    review = filtered["items"][0]
    page = ok(api.get(f"/api/tasks/{review['task_id']}", "changchun"))
    ok(api.post(f"/api/tasks/{review['task_id']}/submit", "changchun",
                json={"data": review_for(review["application_id"]), "version": page["version"]}))
    table = api.get(f"/api/rounds/{created['id']}/summary-table", "changchun")
    workbook = load_workbook(io.BytesIO(table.data))
    assert workbook.sheetnames == ["绿色工厂", "绿色工业园区", "绿色供应链管理企业", "绿色设计产品"]
    rows = list(workbook["绿色设计产品"].iter_rows(values_only=True))
    assert "绿色设计产品" in rows[0][0] and rows[2][4] == "长春示范汽车零部件有限公司" and rows[2][6] == "绿色设计产品"

    # The 2024 round runs version 1, which has no such category: refused with the categories it has.
    body = refused(api.post("/api/applications", "park1", json={"round": demo_round_id(), "category": "design_product"}),
                   422, "validation_failed", "category")
    assert "绿色工厂" in body["errors"]["category"][0] and "绿色设计产品" not in body["errors"]["category"][0]
    assert last_year.detail()["process_version"] == 1 and last_year.detail()["category_name"] == "绿色工厂"
    body = refused(api.post("/api/applications", "park1", json={"round": created["id"], "category": "no_such"}),
                   422, "validation_failed", "category")
    assert "design_product（绿色设计产品）" in body["errors"]["category"][0]


def test_a_round_may_open_only_the_categories_its_version_declares(api):
    version = deployed_with_design_product(api)
    created = ok(api.post(f"/api/rounds/{demo_round_id()}/next", "admin", json={"process_version_id": version}), 201)
    body = refused(api.call("PATCH", f"/api/rounds/{created['id']}", "admin",
                            json={"categories": ["factory", "recycling"]}), 422, "validation_failed", "categories")
    assert body["errors"]["categories"] == [
        "流程版本中没有类别“recycling”；开放类别应为 绿色工厂、绿色工业园区、绿色供应链管理企业、绿色设计产品 中的一个或几个"]
    # Back on version 1, the round could not keep the new category open.
    body = refused(api.call("PATCH", f"/api/rounds/{created['id']}", "admin", json={"process_version_id": first_version_id()}),
                   422, "validation_failed", "categories")
    assert "流程版本中没有类别“design_product”" in body["errors"]["categories"][0]
    only_new = ok(api.call("PATCH", f"/api/rounds/{created['id']}", "admin",
                           json={"categories": ["design_product", "design_product"]}))
    assert only_new["categories"] == ["design_product"]
    body = refused(api.post("/api/applications", "factory1", json={"round": only_new["id"], "category": "factory"}),
                   422, "validation_failed", "category")
    assert body["message"] == f"批次“{only_new['name']}”未开放绿色工厂申报"
    assert body["errors"]["category"] == ["本批次开放的类别：绿色设计产品"]


def test_validation_names_a_bad_categories_definition_in_chinese(bundle):
    files = design_product_files(bundle)
    categories = json.loads(to_json(STANDARD_CATEGORIES))["categories"]
    categories += [{"key": "factory", "name": "", "code": "sj", "step": "Task_nowhere", "form": "missing.form.json"},
                   {"key": "design_product", "name": "绿色设计产品", "code": "SJ", "step": "Task_city_review",
                    "form": FORM, "summary_columns": [{"field": "no_field", "label": "设计亮点"}]},
                   {"key": "Bad Key", "name": "另一类", "code": "LY", "step": "Task_declare_factory",
                    "form": "declaration_factory.form.json"}]
    processes = {**bundle.processes, "categories.json": json.dumps({"categories": categories}, ensure_ascii=False)}
    problems = validate_bundle(Bundle(processes, {**bundle.forms, FORM: files[f"forms/{FORM}"]}))
    messages = [p.message for p in problems if p.file == "processes/categories.json"]
    assert "类别“factory”缺少 name（中文名称，如 绿色设计产品）" in messages
    assert "类别“factory”的编号简称“sj”应为 1–6 个大写字母，如 GC、YQ、GYL" in messages
    assert "key“factory”重复：每个类别的key必须不同" in messages
    assert any("只能用小写字母、数字和下划线" in m for m in messages)
    assert len(problems) == len(messages)  # the file alone is looked at until it reads

    categories = [c for c in categories if c["key"] != "Bad Key" and c.get("name")]
    processes["categories.json"] = json.dumps({"categories": categories + [
        {"key": "recycling", "name": "再生资源", "code": "ZS", "step": "Task_nowhere", "form": "missing.form.json"}]},
        ensure_ascii=False)
    problems = validate_bundle(Bundle(processes, {**bundle.forms, FORM: files[f"forms/{FORM}"]}))
    messages = {(p.element, p.message) for p in problems}
    assert ("类别“绿色设计产品”（design_product）", "申报环节“Task_city_review”不在申报单位泳道中") in messages
    assert ("类别“绿色设计产品”（design_product）",
            "汇总表附加列“设计亮点”引用的字段“no_field”不在表单 declaration_design_product.form.json 中") in messages
    assert ("类别“绿色设计产品”（design_product）",
            "流程中没有任何分支条件引用该类别（如 category == \"design_product\"），该类别的申报将无法进入申报环节") in messages
    assert ("类别“再生资源”（recycling）", "申报环节“Task_nowhere”不是流程中的人工任务；请填写申报单位泳道中填报申报书的人工任务 id") in messages
    assert ("类别“再生资源”（recycling）", "申报表单“missing.form.json”不存在；请在“表单”页新建 forms/missing.form.json") in messages


def test_a_draft_refuses_a_categories_file_that_is_not_json_and_validation_lists_what_is_missing(api):
    draft = draft_from(api)
    body = refused(put(api, draft, "processes/categories.json", "{categories: [}"), 422, "validation_failed", "content")
    assert body["message"] == "processes/categories.json 不是有效的 JSON"
    saved = ok(put(api, draft, "processes/categories.json", json.dumps({"categories": []})))
    problems = ok(api.post(f"/api/process-drafts/{draft['id']}/validate", "admin"))["problems"]
    assert problems == [{"file": "processes/categories.json", "element": None, "element_id": None,
                         "message": "类别定义中至少要有一个申报类别"}]
    assert saved["revision"] == draft["revision"] + 1


def test_a_version_without_a_categories_file_offers_the_standard_three(app, clock, users, bundle):
    """Versions deployed before categories became data carry no categories.json: they keep working."""
    legacy = Bundle({n: t for n, t in bundle.processes.items() if n != "categories.json"}, bundle.forms,
                    bundle.files)
    with transaction():
        version_id = deploy(legacy, actor="admin")[0].id
    with transaction():
        round_id = open_round(name="旧版本批次", year=2024, city_deadline=date(2024, 6, 10), actor="admin",
                              process_version_id=version_id, **OBJECTION_CHANNEL).id
    assert [c.name for c in version_categories(version_id).values()] == ["绿色工厂", "绿色工业园区", "绿色供应链管理企业"]
    assert db.session.get(Round, round_id).categories == ["factory", "park", "supply_chain"]
    with transaction():
        started = start_application(round_id=round_id, category="park", user=db.session.get(User, users["applicant"]))
        assert (started.category, started.stage) == ("park", "填报绿色工业园区申报书")
