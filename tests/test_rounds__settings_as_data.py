"""Round settings are data the version lists (processes/settings.json): the round forms are drawn from the list,
the values are checked against it and stored with the round, and the diagram reads each one as a variable.
Next year's round carries every setting over (dates a year later) and any deadline the diagram reads can be
extended once applications run, moving their timers."""
import json
from datetime import datetime, timezone

from sqlalchemy import select

from service.applications.models import Application, Timer
from service.applications.saving import engine_for
from service.engine.bundle import Bundle
from service.engine.validation import validate_bundle
from service.platform.extensions import db
from service.platform.transactions import transaction
from service.versions.deploy import deploy
from tests.api import demo_round_id, first_version_id, ok, refused
from tests.conftest import OBJECTION_CHANNEL
from tests.pages import text

DECLARE_TIMER = '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">unit_deadline</bpmn:timeDate>'
NEW_SETTINGS = [
    {"name": "material_deadline", "type": "date", "label": "纸质材料报送截止日", "default": "06-05",
     "help": "申报书的申报期限读取它"},
    {"name": "min_item_score", "type": "number", "label": "单项最低分", "default": 50, "min": 0, "max": 100},
]
# The public notice's own settings (processes/settings.json), at their defaults.
NOTICE_DEFAULTS = {"notice_issuer": "吉林省工业和信息化厅", "notice_contact": "资源节约与综合利用处 白佳齐"}




def with_declaration_timer(bundle: Bundle, expression: str, extra_settings=()) -> Bundle:
    """The shipped bundle, its factory declaration's deadline timer reading ``expression``, its settings list
    extended by ``extra_settings``."""
    main = next(name for name in bundle.processes if name.endswith(".bpmn"))
    assert DECLARE_TIMER in bundle.processes[main]
    diagram = bundle.processes[main].replace(DECLARE_TIMER, DECLARE_TIMER.replace("unit_deadline", expression), 1)
    listed = json.loads(bundle.processes["settings.json"])
    listed["settings"] += list(extra_settings)
    return Bundle({**bundle.processes, main: diagram, "settings.json": json.dumps(listed, ensure_ascii=False)},
                  bundle.forms, bundle.files)


def deploy_bundle(bundle: Bundle, note: str) -> int:
    with transaction():
        return deploy(bundle, actor="admin", note=note)[0].id


def start_data(application_id: int) -> dict:
    """What the diagram holds in its open task: the variables it was started with."""
    application = db.session.get(Application, application_id)
    engine = engine_for(application)
    (task,) = engine.ready_tasks(engine.load(application.state))
    db.session.remove()
    return task.data


def timers_of(application_id):
    rows = db.session.scalars(select(Timer).where(Timer.application_id == application_id))
    return sorted((t.element_id, t.due_at) for t in rows)


def test_next_years_form_shows_every_setting_prefilled_and_a_7_day_notice_with_a_31_may_filing_deadline_reaches_the_diagram(
        api, visitor, clock):
    admin = visitor("admin")
    page = text(admin.get(f"/admin/rounds/{demo_round_id()}/next"))
    for label in ("单位申报截止日", "市州推荐截止日", "公示期（工作日）", "评审专家人数", "合格分"):
        assert label in page, label
    assert 'name="unit_deadline" type="date" value="2025-06-10"' in page  # a year after the demo round's
    assert 'name="notice_days" type="number" value="5"' in page and 'name="pass_score" type="number" value="60' in page

    response = admin.post(f"/admin/rounds/{demo_round_id()}/next", {
        "process_version_id": str(first_version_id()), "name": "2025", "categories": ["factory", "park"],
        "unit_deadline": "2025-05-31", "city_deadline": "2025-06-10", "notice_days": "7", "expert_count": "5",
        "pass_score": "65", **OBJECTION_CHANNEL})
    assert response.status_code == 302, text(response)
    following = next(r for r in ok(api.get("/api/rounds", "admin")) if r["name"] == "2025")
    assert following["unit_deadline"].startswith("2025-05-31T16:00") and following["notice_days"] == 7
    assert (following["expert_count"], following["pass_score"], following["year"]) == (5, 65.0, 2025)

    started = ok(api.post("/api/applications", "factory1", json={"round": following["id"], "category": "factory"}),
                 201)
    data = start_data(started["id"])
    assert data["notice_days"] == 7 and data["unit_deadline"].startswith("2025-05-31T16:00")
    assert data["city_deadline"].startswith("2025-06-10T16:00") and data["pass_score"] == 65.0


def test_extending_a_second_deadline_the_diagram_reads_moves_its_timers(api, clock, bundle):
    """A diagram whose declaration deadline is the unit filing deadline: extending that deadline moves the
    timer already waiting, the inbox's due date and records the change; the city deadline stays."""
    version_id = deploy_bundle(with_declaration_timer(bundle, "unit_deadline"), "申报期限读单位申报截止日")
    round_id = ok(api.post("/api/rounds", "province", json={
        "name": "2024年度第二批", "year": 2024, "unit_deadline": "2024-05-31", "city_deadline": "2024-06-10",
        "process_version_id": version_id, **OBJECTION_CHANNEL}), 201)["id"]
    started = ok(api.post("/api/applications", "factory1", json={"round": round_id, "category": "factory"}), 201)
    may_31 = datetime(2024, 5, 31, 16, 0, tzinfo=timezone.utc)
    assert timers_of(started["id"]) == [("Timer_declare_factory", may_31)]

    body = refused(api.call("PATCH", f"/api/rounds/{round_id}", "province",
                            json={"unit_deadline": "2024-06-05"}), 422, "validation_failed", "reason")
    assert "须说明原因" in body["errors"]["reason"][0]
    detail = ok(api.call("PATCH", f"/api/rounds/{round_id}", "province",
                         json={"unit_deadline": "2024-06-05", "reason": "企业申请延期"}))
    change = detail["deadline_changes"][-1]
    assert (change["field"], change["applications_moved"]) == ("unit_deadline", 1)
    june_5 = datetime(2024, 6, 5, 16, 0, tzinfo=timezone.utc)
    assert timers_of(started["id"]) == [("Timer_declare_factory", june_5)]
    due = {t["application_id"]: t["due_at"] for t in ok(api.get("/api/tasks", "factory1"))["items"]}
    assert due[started["id"]].startswith("2024-06-05T16:00")
    assert detail["city_deadline"].startswith("2024-06-10T16:00")


def test_a_new_setting_in_the_list_is_in_the_round_form_validated_stored_and_read_by_the_diagram(
        api, visitor, clock, bundle):
    version_id = deploy_bundle(with_declaration_timer(bundle, "material_deadline", NEW_SETTINGS), "新增两个批次设置")
    province = visitor("province")
    page = text(province.get(f"/rounds/new?process_version_id={version_id}"))
    assert "纸质材料报送截止日" in page and 'name="material_deadline" type="date" value="2024-06-05"' in page
    assert "单项最低分" in page and 'name="min_item_score" type="number" value="50"' in page
    assert 'min="0" max="100"' in page

    form = {"name": "2024年度第二批", "year": "2024", "categories": ["factory"], "unit_deadline": "2024-06-10",
            "city_deadline": "2024-06-10", "notice_days": "5", "expert_count": "3", "pass_score": "60",
            "process_version_id": str(version_id), "material_deadline": "2024-06-07", **OBJECTION_CHANNEL}
    refused_page = province.post("/rounds/new", {**form, "min_item_score": "150"})
    assert refused_page.status_code == 422
    assert "单项最低分应在 0–100 之间" in text(refused_page) and 'value="150"' in text(refused_page)
    not_a_number = province.post("/rounds/new", {**form, "min_item_score": "五十"})
    assert not_a_number.status_code == 422 and "单项最低分应为数字" in text(not_a_number)
    assert all(r["name"] != "2024年度第二批" for r in ok(api.get("/api/rounds", "province")))  # nothing made

    created = province.post("/rounds/new", {**form, "min_item_score": "55.5"})
    assert created.status_code == 302
    round_id = int(created.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    detail = ok(api.get(f"/api/rounds/{round_id}", "province"))
    assert detail["extra_settings"] == {"material_deadline": "2024-06-07", "min_item_score": 55.5,
                                        **NOTICE_DEFAULTS}
    assert [s["label"] for s in detail["settings_list"]][-2:] == ["纸质材料报送截止日", "单项最低分"]
    shown = text(province.get(f"/rounds/{round_id}"))
    assert "纸质材料报送截止日</dt><dd data-setting=\"material_deadline\">2024-06-07（含）" in shown
    assert "单项最低分</dt><dd data-setting=\"min_item_score\">55.5" in shown

    started = ok(api.post("/api/applications", "factory1", json={"round": round_id, "category": "factory"}), 201)
    data = start_data(started["id"])
    assert data["min_item_score"] == 55.5 and data["material_deadline"].startswith("2024-06-07T16:00")
    june_7 = datetime(2024, 6, 7, 16, 0, tzinfo=timezone.utc)
    assert timers_of(started["id"]) == [("Timer_declare_factory", june_7)]  # the timer read the new setting

    # Once an application runs: the new number is frozen, the new deadline extends (with a reason) and moves.
    frozen = api.call("PATCH", f"/api/rounds/{round_id}", "province",
                      json={"extra_settings": {"min_item_score": 40}, "reason": "调整"})
    assert refused(frozen, 409, "round_started", "min_item_score")
    extended = province.post(f"/rounds/{round_id}/settings", {"unit_deadline": "2024-06-10",
                                                              "city_deadline": "2024-06-10",
                                                              "material_deadline": "2024-06-09",
                                                              "reason": "材料邮寄延误"})
    assert extended.status_code == 302, text(extended)
    assert timers_of(started["id"]) == [("Timer_declare_factory", datetime(2024, 6, 9, 16, 0, tzinfo=timezone.utc))]
    history = text(province.get(f"/rounds/{round_id}"))
    assert "<td>纸质材料报送截止日</td>" in history and "材料邮寄延误" in history


def test_the_api_checks_new_settings_and_names_the_bad_one(api, clock, bundle):
    version_id = deploy_bundle(with_declaration_timer(bundle, "city_deadline", NEW_SETTINGS), "新增两个批次设置")
    base = {"name": "批次甲", "year": 2024, "city_deadline": "2024-06-10", "process_version_id": version_id,
            **OBJECTION_CHANNEL}
    body = refused(api.post("/api/rounds", "province", json={**base, "extra_settings": {"min_item_score": "x"}}),
                   422, "validation_failed", "min_item_score")
    assert body["errors"]["min_item_score"] == ["单项最低分应为数字"]
    body = refused(api.post("/api/rounds", "province", json={**base, "extra_settings": {"material_deadline": "2024-05-01"}}),
                   422, "validation_failed", "material_deadline")
    assert "已过" in body["errors"]["material_deadline"][0]
    refused(api.post("/api/rounds", "province", json={**base, "extra_settings": {"unknown_one": 1}}),
            422, "validation_failed", "extra_settings")
    made = ok(api.post("/api/rounds", "province", json=base), 201)  # left out: the list's defaults
    assert ok(api.get(f"/api/rounds/{made['id']}", "province"))["extra_settings"] == {
        "material_deadline": "2024-06-05", "min_item_score": 50.0, **NOTICE_DEFAULTS}
    # Before the first application every setting may change, the new ones too.
    changed = ok(api.call("PATCH", f"/api/rounds/{made['id']}", "province",
                          json={"extra_settings": {"min_item_score": 70}}))
    assert changed["extra_settings"]["min_item_score"] == 70.0


def test_a_settings_list_with_mistakes_is_refused_at_validation_naming_each(bundle):
    broken = json.dumps({"settings": [
        {"name": "notice_days", "type": "date", "label": "公示期"},
        {"name": "Bad-Name", "type": "int", "label": "坏名字"},
        {"name": "score_floor", "type": "int", "label": "", "default": 500, "max": 100},
        {"name": "category", "type": "text", "label": "类别"},
    ]})
    problems = validate_bundle(Bundle({**bundle.processes, "settings.json": broken}, bundle.forms))
    found = [(p.file, p.element, p.message) for p in problems]
    assert all(file == "processes/settings.json" for file, _, _ in found)
    messages = " ".join(message for _, _, message in found)
    assert "notice_days 的 type 应为 int" in messages and "name 应为小写英文字母开头" in messages
    assert "label（中文名称）为必填项" in messages and "服务自己使用的变量名" in messages
    assert validate_bundle(Bundle({**bundle.processes, "settings.json": "{"}, bundle.forms))[0].message.startswith(
        "JSON 格式错误")


def test_a_draft_edits_the_settings_list_through_the_api_and_validation_names_its_mistakes(api, clock):
    draft = ok(api.post("/api/process-drafts", "admin", json={"from_version": first_version_id()}), 201)
    listed = json.loads(draft["files"]["processes/settings.json"])
    listed["settings"].append({"name": "material_deadline", "type": "date", "label": "纸质材料报送截止日",
                               "default": "6月5日"})
    url = f"/api/process-drafts/{draft['id']}/files/processes/settings.json"
    saved = ok(api.put(url, "admin", json={"content": json.dumps(listed, ensure_ascii=False),
                                           "revision": draft["revision"]}))
    report = ok(api.post(f"/api/process-drafts/{draft['id']}/validate", "admin"))
    assert not report["valid"]
    assert any(p["file"] == "processes/settings.json" and p["element"] == "material_deadline" and "MM-DD" in p["message"]
               for p in report["problems"])
    refused(api.put(url, "admin", json={"content": "{not json", "revision": saved["revision"]}),
            422, "validation_failed", "content")


def test_next_years_form_for_a_version_with_a_new_setting_offers_its_default_for_next_year(api, visitor, clock, bundle):
    version_id = deploy_bundle(with_declaration_timer(bundle, "material_deadline", NEW_SETTINGS), "新增两个批次设置")
    admin = visitor("admin")
    admin.get(f"/admin/rounds/{demo_round_id()}/next")
    refill = admin.post(f"/admin/rounds/{demo_round_id()}/next", {"process_version_id": str(version_id), "refill": "1"})
    assert refill.status_code == 302 and f"process_version_id={version_id}" in refill.headers["Location"]
    page = text(admin.get(refill.headers["Location"]))
    assert 'name="material_deadline" type="date" value="2025-06-05"' in page  # the list's 06-05, next year
    assert 'name="min_item_score" type="number" value="50"' in page
    assert 'name="city_deadline" type="date" value="2025-06-10"' in page  # last year's, a year on
    made = admin.post(f"/admin/rounds/{demo_round_id()}/next", {
        "process_version_id": str(version_id), "material_deadline": "2025-06-08", "min_item_score": "45"})
    assert made.status_code == 302
    following = next(r for r in ok(api.get("/api/rounds", "admin")) if r["name"] == "2025")
    detail = ok(api.get(f"/api/rounds/{following['id']}", "admin"))
    assert detail["extra_settings"] == {"material_deadline": "2025-06-08", "min_item_score": 45.0, **NOTICE_DEFAULTS}
    assert detail["notice_days"] == 5 and detail["process_version_id"] == version_id


def test_a_draft_reading_a_new_setting_rehearses_with_its_default(api, clock):
    """The recorded round never had the new setting: the rehearsal starts with the draft's default, so the
    paths follow the change instead of failing at the first expression that reads it."""
    from tests.api import ApiScenario

    recorded = ApiScenario(api).start().declare()
    draft = ok(api.post("/api/process-drafts", "admin", json={"from_version": first_version_id()}), 201)
    main = next(name for name in draft["files"] if name.endswith(".bpmn"))
    listed = json.loads(draft["files"]["processes/settings.json"])
    listed["settings"] += NEW_SETTINGS
    url = f"/api/process-drafts/{draft['id']}/files/"
    saved = ok(api.put(url + "processes/settings.json", "admin", json={
        "content": json.dumps(listed, ensure_ascii=False), "revision": draft["revision"]}))
    diagram = draft["files"][main].replace(DECLARE_TIMER, DECLARE_TIMER.replace("city_deadline", "material_deadline"), 1)
    ok(api.put(url + main, "admin", json={"content": diagram, "revision": saved["revision"]}))
    assert ok(api.post(f"/api/process-drafts/{draft['id']}/validate", "admin"))["valid"] is True
    report = ok(api.post(f"/api/process-drafts/{draft['id']}/rehearse", "admin", json={"round": recorded.round_id}))
    assert {row["status"] for row in report["standard"]} <= {"same", "different"}, report["standard"]
    assert [row["status"] for row in report["recorded"]] == ["running"]  # still at the city review, as recorded


def test_next_years_round_through_the_api_takes_any_setting(api, clock):
    made = ok(api.post(f"/api/rounds/{demo_round_id()}/next", "admin", json={
        "process_version_id": first_version_id(), "notice_days": 7, "unit_deadline": "2025-05-31"}), 201)
    assert made["notice_days"] == 7 and made["unit_deadline"].startswith("2025-05-31T16:00")
    body = refused(api.post(f"/api/rounds/{demo_round_id()}/next", "admin", json={
        "process_version_id": first_version_id(), "name": "2026", "notice_days": 40}), 422, "validation_failed",
        "notice_days")
    assert "公示期" in body["errors"]["notice_days"][0]
